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
use crate::error::Result;

/// How sealed data begins (inside its JSON string quotes).
const SEALED_PREFIX: &str = "$gcm1$";

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
        Ok(plain)
    }

    /// The data text of a row read back: decrypted when sealed (with any key of the ring),
    /// as it is when it was written in plain text (before encryption was switched on).
    pub(crate) fn open(&self, text: String, stored_id: &str) -> Result<String> {
        let sealed = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|t| t.starts_with(SEALED_PREFIX));
        let Some(sealed) = sealed else {
            return Ok(text);
        };
        #[cfg(feature = "encryption")]
        if let Some(keys) = &self.keys {
            return Ok(keys.decrypt(sealed, stored_id.as_bytes())?.into_owned());
        }
        let _ = (sealed, stored_id);
        // Never hand ciphertext to the app as if it were its data.
        Err(crate::error::Error::CorruptRow {
            what: "data is encrypted and this store has no encryption keys",
            source: None,
        })
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
}
