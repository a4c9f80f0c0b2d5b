//! What the store does to a session before it reaches the database, when asked to: the id
//! replaced by its digest (`hash_ids`), the data sealed with AES-256-GCM (`encryption_keys`,
//! feature `encryption`). Both are off by default; the rest of the store calls these
//! functions either way.

use std::borrow::Cow;
use std::fmt;
#[cfg(feature = "encryption")]
use std::sync::Arc;

#[cfg(feature = "encryption")]
use crate::crypt::Keyring;
use crate::error::{Error, Result};
use crate::sealed::SEALED_PREFIX;

/// The prefix of a hashed id: the algorithm, so that another one can follow.
pub(crate) const HASHED_ID_PREFIX: &str = "b3:";

/// How ids and data are kept at rest.
#[derive(Clone, Default)]
pub(crate) struct AtRest {
    pub hash_ids: bool,
    #[cfg(feature = "encryption")]
    pub keys: Option<Arc<Keyring>>,
}

impl fmt::Debug for AtRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AtRest");
        d.field("hash_ids", &self.hash_ids);
        #[cfg(feature = "encryption")]
        d.field("keys", &self.keys);
        d.finish()
    }
}

impl AtRest {
    /// The id as the table keeps it: `b3:` and the BLAKE3 digest of `sid` in hex (67
    /// bytes) under `hash_ids`, else `sid` itself.
    pub(crate) fn stored_id<'a>(&self, sid: &'a str) -> Cow<'a, str> {
        if self.hash_ids {
            Cow::Owned(hash_id(sid))
        } else {
            Cow::Borrowed(sid)
        }
    }

    /// The data text as the table keeps it, bound to the stored id. Sealed data is kept
    /// as a JSON string (`"$gcm1$..."`: base64url needs no escaping), so that it fits a
    /// PostgreSQL `JSONB` data column as well as a text one.
    ///
    /// Plain data (no keys) is kept as it is, but for a JSON string that would read as
    /// sealed: one whose text is `"` and one or more `$` followed by `gcm1$`. That one is
    /// kept with one more `$` (`"$gcm1$x"` as `"$$gcm1$x"`, `"$$gcm1$x"` as
    /// `"$$$gcm1$x"`), which [`open`](Self::open) takes off again, so that the text
    /// `"$gcm1$` begins sealed data and nothing else. The escape is in the value, not only
    /// in its text (as `"\u0024gcm1$x"` would be): a PostgreSQL `JSONB` or MySQL `JSON`
    /// column returns the value's text in its own normal form, in which an escaped `$`
    /// would be a `$` again.
    pub(crate) fn seal(&self, plain: String, stored_id: &str) -> Result<String> {
        #[cfg(feature = "encryption")]
        if let Some(keys) = &self.keys {
            let sealed = keys.encrypt(&plain, stored_id.as_bytes())?;
            let mut quoted = String::with_capacity(sealed.len() + 2);
            quoted.push('"');
            quoted.push_str(&sealed);
            quoted.push('"');
            return Ok(quoted);
        }
        let _ = stored_id;
        Ok(match (Form::of(&plain), plain.strip_prefix('"')) {
            (Form::Plain, _) | (_, None) => plain,
            (Form::Sealed(_) | Form::Escaped { .. }, Some(after_quote)) => {
                format!("\"${after_quote}")
            }
        })
    }

    /// The data text of a row read back: decrypted when sealed (with any key of the ring),
    /// as it was written when plain (a row written without keys, before encryption was
    /// switched on or since it was switched off), with the `$` that [`seal`](Self::seal)
    /// adds to a plain string that looks sealed taken off.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptRow`] for sealed data when this store has no keys (never handed to
    /// the app as if it were its data), and those of `Keyring::decrypt`.
    pub(crate) fn open(&self, text: String, stored_id: &str) -> Result<String> {
        match Form::of(&text) {
            Form::Plain => Ok(text),
            Form::Escaped { unescaped_tail } => {
                let mut plain = String::with_capacity(text.len() - 1);
                plain.push('"');
                plain.push_str(unescaped_tail);
                Ok(plain)
            }
            Form::Sealed(sealed) => self.open_sealed(sealed, stored_id),
        }
    }

    /// `sealed` (without its quotes) opened with the ring's key it names.
    fn open_sealed(&self, sealed: &str, stored_id: &str) -> Result<String> {
        #[cfg(feature = "encryption")]
        if let Some(keys) = &self.keys {
            return keys.decrypt(sealed, stored_id.as_bytes());
        }
        let _ = (sealed, stored_id);
        Err(Error::CorruptRow {
            what: "data is encrypted and this store has no encryption keys",
            source: None,
        })
    }
}

/// What a data text as stored is, told by its first bytes.
#[derive(Debug, PartialEq, Eq)]
enum Form<'a> {
    /// Plain JSON, kept as it is.
    Plain,
    /// A JSON string `"$gcm1$..."`: sealed data (without its quotes).
    Sealed(&'a str),
    /// A JSON string `"$$gcm1$..."`, `"$$$gcm1$..."`, ...: a plain string that would look
    /// sealed, or like this, with one `$` more; `unescaped_tail` is the text after the
    /// quote and that `$`.
    Escaped { unescaped_tail: &'a str },
}

impl<'a> Form<'a> {
    fn of(text: &'a str) -> Self {
        let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            return Form::Plain;
        };
        // The marker after its first `$`: `gcm1$`.
        let body = SEALED_PREFIX.trim_start_matches('$');
        let after_dollars = inner.trim_start_matches('$');
        if !after_dollars.starts_with(body) {
            return Form::Plain;
        }
        match inner.len() - after_dollars.len() {
            0 => Form::Plain,
            1 => Form::Sealed(inner),
            _ => match text.strip_prefix("\"$") {
                Some(unescaped_tail) => Form::Escaped { unescaped_tail },
                None => Form::Plain,
            },
        }
    }
}

/// `b3:` + BLAKE3(`sid`) in lowercase hex.
pub(crate) fn hash_id(sid: &str) -> String {
    let digest = blake3::hash(sid.as_bytes());
    let mut out = String::with_capacity(HASHED_ID_PREFIX.len() + 64);
    out.push_str(HASHED_ID_PREFIX);
    out.push_str(digest.to_hex().as_str());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_options_never_a_key() {
        let shown = format!(
            "{:?}",
            AtRest {
                hash_ids: true,
                ..AtRest::default()
            }
        );
        assert!(
            shown.starts_with("AtRest") && shown.contains("hash_ids: true"),
            "{shown}"
        );
        #[cfg(feature = "encryption")]
        {
            let key = crate::crypt::EncryptionKey::from_bytes([7; 32]);
            let ring = Keyring::new(vec![key.clone()]).unwrap();
            let shown = format!(
                "{:?}",
                AtRest {
                    hash_ids: false,
                    keys: Some(Arc::new(ring)),
                }
            );
            assert!(
                shown.contains(key.id()) && !shown.contains("7, 7"),
                "{shown}"
            );
        }
    }

    #[test]
    fn hashed_ids_are_prefixed_hex_digests_and_stable() {
        let at_rest = AtRest {
            hash_ids: true,
            ..AtRest::default()
        };
        let stored = at_rest.stored_id("a-session-id");
        assert_eq!(stored.len(), 67);
        assert!(stored.starts_with("b3:"));
        assert!(stored[3..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(stored, at_rest.stored_id("a-session-id"));
        assert_ne!(stored, at_rest.stored_id("a-session-ie"));
        assert_eq!(AtRest::default().stored_id("plain"), "plain");
    }

    /// Plain texts, among them JSON strings that begin like sealed data or like the form
    /// `seal` writes those in.
    const PLAIN: &[&str] = &[
        r#"{"user":42}"#,
        "null",
        "[]",
        r#""""#,
        r#""$""#,
        r#""$$""#,
        r#""plain""#,
        r#""$gcm1$""#,
        r#""$gcm1$x""#,
        r#""$gcm1$k$AAAA""#,
        r#""$gcm1$deadbeef$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA""#,
        r#""$$gcm1$x""#,
        r#""$$$gcm1$""#,
        r#""$gcm2$x""#,
        r#""gcm1$x""#,
        r#""$gcm1$\"""#,
        r#"["$gcm1$x"]"#,
        r#"{"v":"$gcm1$x"}"#,
    ];

    #[test]
    fn only_sealed_data_begins_with_the_marker() {
        assert_eq!(Form::of(r#""$gcm1$k$AAAA""#), Form::Sealed("$gcm1$k$AAAA"));
        assert_eq!(Form::of(r#""$gcm1$""#), Form::Sealed("$gcm1$"));
        assert_eq!(
            Form::of(r#""$$gcm1$x""#),
            Form::Escaped {
                unescaped_tail: r#"$gcm1$x""#
            }
        );
        for plain in [
            r#"{"a":"$gcm1$x"}"#,
            r#""$gcm1$x"#,
            r#"$gcm1$x""#,
            "$gcm1$x",
            r#""$""#,
            r#""$$""#,
            r#""$gcm2$""#,
            r#""gcm1$""#,
            r#"" $gcm1$""#,
            r#""\u0024gcm1$x""#,
            r#"""#,
            "",
        ] {
            assert_eq!(Form::of(plain), Form::Plain, "{plain}");
        }
        // One definition of the marker: a `$`, then no other.
        assert!(SEALED_PREFIX.starts_with('$') && !SEALED_PREFIX[1..].starts_with('$'));
    }

    #[test]
    fn plain_data_reads_back_as_written_without_keys() {
        let at_rest = AtRest::default();
        for &plain in PLAIN {
            let stored = at_rest.seal(plain.to_owned(), "sid").unwrap();
            assert!(
                !matches!(Form::of(&stored), Form::Sealed(_)),
                "{plain} kept as {stored}"
            );
            // The same JSON kind: a string stays a string.
            let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
            assert_eq!(
                value.is_string(),
                serde_json::from_str::<serde_json::Value>(plain)
                    .unwrap()
                    .is_string()
            );
            assert_eq!(at_rest.open(stored, "sid").unwrap(), plain);
        }
        // Only strings that would look sealed (or escaped) get the one `$` more.
        assert_eq!(
            at_rest.seal(r#""$gcm1$x""#.to_owned(), "sid").unwrap(),
            r#""$$gcm1$x""#
        );
        assert_eq!(
            at_rest.seal(r#""$$x""#.to_owned(), "sid").unwrap(),
            r#""$$x""#
        );
        // Rows written before: plain ones read as they are.
        for old in [r#"{"user":42}"#, r#""$$x""#, r#""\u0024gcm1$x""#, "1"] {
            assert_eq!(at_rest.open(old.to_owned(), "sid").unwrap(), old);
        }
    }

    #[test]
    fn sealed_data_without_keys_is_a_corrupt_row() {
        for sealed in [r#""$gcm1$deadbeef$AAAA""#, r#""$gcm1$""#] {
            match AtRest::default().open(sealed.to_owned(), "sid") {
                Err(Error::CorruptRow { what, source: None }) => {
                    assert!(what.contains("no encryption keys"), "{what}");
                }
                other => panic!("{sealed}: {other:?}"),
            }
        }
    }

    #[cfg(feature = "encryption")]
    #[test]
    fn plain_data_reads_back_as_written_with_keys() {
        let ring = Keyring::new(vec![crate::crypt::EncryptionKey::from_bytes([7; 32])]).unwrap();
        let sealed = AtRest {
            hash_ids: false,
            keys: Some(Arc::new(ring)),
        };
        let plain = AtRest::default();
        for &text in PLAIN {
            let stored = sealed.seal(text.to_owned(), "sid").unwrap();
            assert!(matches!(Form::of(&stored), Form::Sealed(_)), "{stored}");
            assert_eq!(sealed.open(stored.clone(), "sid").unwrap(), text);
            assert!(matches!(
                plain.open(stored.clone(), "sid"),
                Err(Error::CorruptRow { .. })
            ));
            assert!(matches!(
                sealed.open(stored, "other-sid"),
                Err(Error::CorruptRow { .. })
            ));
            // Written without keys (before encryption was on), read with them.
            let old = plain.seal(text.to_owned(), "sid").unwrap();
            assert_eq!(sealed.open(old, "sid").unwrap(), text);
        }
    }
}
