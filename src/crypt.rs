//! Encryption at rest of the session data (feature `encryption`).
//!
//! A session's JSON text is sealed with AES-256-GCM before it is written, and stored as
//!
//! ```text
//! $gcm1$<key id>$<base64url-no-pad(nonce || ciphertext || tag)>
//! ```
//!
//! - `$gcm1$`: the format (AES-256-GCM, 96-bit nonce, 128-bit tag, version 1), the
//!   marker `crate::sealed::SEALED_PREFIX`. This text is not JSON itself; the data column
//!   keeps it in quotes, as the JSON string `"$gcm1$..."` (see `AtRest::seal`), so that it
//!   fits a `JSON` / `JSONB` column too. A plain row (written without keys: before
//!   encryption was switched on, or since it was switched off) is told apart from a sealed
//!   one by its first bytes: only sealed data begins `"$gcm1$`, since the store writes a
//!   plain JSON string that would begin so (or `"$$gcm1$`, ...) with one `$` more.
//! - `<key id>`: 8 lowercase hex digits naming the key that sealed the value
//!   ([`EncryptionKey::id`]), so that a ring of keys can be rotated.
//! - the nonce is 12 fresh bytes from the operating system's RNG for every write; the
//!   tag authenticates the ciphertext and the associated data, which is the session id
//!   as stored: a ciphertext copied into another session's row does not decrypt.
//!
//! The value is ASCII (valid UTF-8), needs no escaping in a JSON string, and is
//! `6 + 8 + 1 + ceil(4 * (28 + n) / 3)` bytes long for `n` bytes of JSON (2 more in the
//! column, for the quotes).

use std::fmt;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::TryRngCore as _;

use crate::error::{Error, Result};
use crate::sealed::SEALED_PREFIX;

/// Separates the key id from the payload.
const SEPARATOR: char = '$';
/// AES-GCM's standard 96-bit nonce.
const NONCE_LEN: usize = 12;
/// AES-GCM's 128-bit tag.
const TAG_LEN: usize = 16;
/// Length of a key id, in hex digits (4 bytes of a BLAKE3 derivation of the key).
const KEY_ID_LEN: usize = 8;
/// BLAKE3 key-derivation context of key ids: the id is not the hash of the key used for
/// anything else.
const KEY_ID_CONTEXT: &str = "sqlx-session-store 2025-01 encryption key id v1";
/// The longest plaintext (and associated data) AES-GCM takes: 2^36 bytes.
const MAX_LEN: u64 = aes_gcm::P_MAX;

/// Strict decoder of the stored payload: URL-safe alphabet, no padding, canonical.
const STORED: GeneralPurpose = URL_SAFE_NO_PAD;
/// Decoding configuration of [`EncryptionKey::from_base64`]: padded or not.
const KEY_CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const KEY_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, KEY_CONFIG);
const KEY_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, KEY_CONFIG);

/// A 256-bit AES-GCM key that encrypts session data at rest.
///
/// Make one from 32 random bytes, for example `openssl rand -base64 32` read with
/// [`from_base64`](Self::from_base64) from your secret store. Each key has a short public
/// [`id`](Self::id) that is written next to every value it encrypts, so that old values
/// keep decrypting after a new key is put in front of it.
///
/// Its `Debug` output shows the id only, never the key.
#[derive(Clone)]
pub struct EncryptionKey {
    bytes: [u8; 32],
    id: String,
}

impl EncryptionKey {
    /// A key made of these 32 bytes, which must come from a cryptographically secure
    /// random source.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let [a, b, c, d, ..] = blake3::derive_key(KEY_ID_CONTEXT, &bytes);
        let id = format!("{a:02x}{b:02x}{c:02x}{d:02x}");
        EncryptionKey { bytes, id }
    }

    /// A key from its base64 text (standard or URL-safe alphabet, with or without
    /// padding; surrounding whitespace is ignored), which must decode to exactly 32 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with `option: "encryption_key"` when the text is not
    /// base64 or does not decode to 32 bytes. The message never quotes the text.
    pub fn from_base64(text: &str) -> Result<Self> {
        let text = text.trim();
        let engine = if text.contains(['-', '_']) {
            KEY_URL_SAFE
        } else {
            KEY_STANDARD
        };
        let decoded = engine.decode(text).map_err(|_| Error::InvalidConfig {
            option: "encryption_key",
            reason: "the key is not valid base64",
        })?;
        let bytes = <[u8; 32]>::try_from(decoded.as_slice()).map_err(|_| Error::InvalidConfig {
            option: "encryption_key",
            reason: "the key must decode to exactly 32 bytes",
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key's public id: 8 lowercase hex digits (the first 4 bytes of a BLAKE3 key
    /// derivation from the key), written into every value the key encrypts.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.bytes.into())
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The keys a store encrypts and decrypts with: the first encrypts every new value, all
/// of them decrypt. Rotation: put the new key first, keep the old ones until the sessions
/// they encrypted have expired.
pub(crate) struct Keyring {
    /// Never empty, no two keys with the same id.
    keys: Vec<EncryptionKey>,
}

impl Keyring {
    /// A ring of these keys, the first one encrypting.
    ///
    /// Refuses an empty list and two keys with the same id (the same key given twice, or,
    /// with odds of about 2^-32 per pair, two keys whose ids collide).
    pub(crate) fn new(keys: Vec<EncryptionKey>) -> Result<Self> {
        if keys.is_empty() {
            return Err(Error::InvalidConfig {
                option: "encryption_key",
                reason: "at least one key is needed",
            });
        }
        for (i, key) in keys.iter().enumerate() {
            if keys.iter().skip(i + 1).any(|other| other.id == key.id) {
                return Err(Error::InvalidConfig {
                    option: "encryption_key",
                    reason: "two keys have the same id (the same key given twice?)",
                });
            }
        }
        Ok(Keyring { keys })
    }

    /// `plaintext` sealed with the first key, bound to `aad` (the session id as stored),
    /// in the stored format described in the module docs.
    ///
    /// # Errors
    ///
    /// [`Error::DataTooLarge`] for a plaintext over AES-GCM's 2^36 bytes, and (see
    /// [`cannot_encrypt`]) when the OS RNG fails or the associated data is over 2^36
    /// bytes.
    pub(crate) fn encrypt(&self, plaintext: &str, aad: &[u8]) -> Result<String> {
        let Some(key) = self.keys.first() else {
            // `new` refuses an empty ring.
            return Err(cannot_encrypt("the keyring is empty", None));
        };
        if plaintext.len() as u64 > MAX_LEN {
            return Err(Error::DataTooLarge {
                size: plaintext.len(),
                limit: usize::try_from(MAX_LEN).unwrap_or(usize::MAX),
            });
        }
        if aad.len() as u64 > MAX_LEN {
            return Err(cannot_encrypt("the associated data is too long", None));
        }

        let mut nonce = [0u8; NONCE_LEN];
        OsRng.try_fill_bytes(&mut nonce).map_err(|e| {
            cannot_encrypt(
                "the operating system's random number generator failed",
                Some(Box::new(e)),
            )
        })?;

        // nonce || plaintext, sealed in place, then || tag.
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext.as_bytes());
        let body = sealed
            .get_mut(NONCE_LEN..)
            .ok_or_else(|| cannot_encrypt("the nonce was not written", None))?;
        let tag = key
            .cipher()
            .encrypt_in_place_detached(&Nonce::from(nonce), aad, body)
            .map_err(|_| cannot_encrypt("AES-GCM refused the input", None))?;
        sealed.extend_from_slice(&tag);

        let mut stored = String::with_capacity(
            SEALED_PREFIX.len() + KEY_ID_LEN + 1 + (sealed.len() * 4).div_ceil(3),
        );
        stored.push_str(SEALED_PREFIX);
        stored.push_str(&key.id);
        stored.push(SEPARATOR);
        STORED.encode_string(&sealed, &mut stored);
        Ok(stored)
    }

    /// The plaintext of a sealed value (as [`encrypt`](Self::encrypt) returns it, without
    /// the quotes of the column), checked against `aad` (the session id as stored), with
    /// the ring's key whose id it names. Telling sealed values from plain rows is the
    /// caller's (`AtRest::open`): any other text is refused here.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptRow`] (`source: None`, `what` never quotes the value) for an
    /// unknown format or key id, a payload that is not base64 or too short, a failed
    /// authentication (wrong key, tampered value, or a value moved from another session
    /// id), or a plaintext that is not UTF-8.
    pub(crate) fn decrypt(&self, stored: &str, aad: &[u8]) -> Result<String> {
        let rest = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| corrupt("encrypted data has an unknown format"))?;
        let (id, payload) = rest
            .split_once(SEPARATOR)
            .ok_or_else(|| corrupt("encrypted data has no key id"))?;
        let key = self
            .keys
            .iter()
            .find(|key| key.id == id)
            .ok_or_else(|| corrupt("encrypted data names a key that is not in the keyring"))?;

        let mut sealed = STORED
            .decode(payload)
            .map_err(|_| corrupt("encrypted data is not valid base64"))?;
        let too_short = || corrupt("encrypted data is too short");
        let body_len = sealed
            .len()
            .checked_sub(NONCE_LEN + TAG_LEN)
            .ok_or_else(too_short)?;
        let (nonce, rest) = sealed
            .split_at_mut_checked(NONCE_LEN)
            .ok_or_else(too_short)?;
        let (body, tag) = rest.split_at_mut_checked(body_len).ok_or_else(too_short)?;
        let nonce = <[u8; NONCE_LEN]>::try_from(&*nonce).map_err(|_| too_short())?;
        let tag = <[u8; TAG_LEN]>::try_from(&*tag).map_err(|_| too_short())?;
        key.cipher()
            .decrypt_in_place_detached(&Nonce::from(nonce), aad, body, &tag.into())
            .map_err(|_| {
                corrupt(
                    "encrypted data failed authentication (wrong key, tampered, \
                     or moved from another session id)",
                )
            })?;

        sealed.truncate(NONCE_LEN + body_len);
        sealed.drain(..NONCE_LEN);
        String::from_utf8(sealed).map_err(|_| corrupt("decrypted data is not valid UTF-8"))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "ids",
                &self.keys.iter().map(EncryptionKey::id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn corrupt(what: &'static str) -> Error {
    Error::CorruptRow { what, source: None }
}

/// The error of an encryption that could not be done for another reason than the
/// plaintext's size.
fn cannot_encrypt(
    what: &'static str,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Encryption { what, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> EncryptionKey {
        EncryptionKey::from_bytes([n; 32])
    }

    fn ring(keys: &[u8]) -> Keyring {
        Keyring::new(keys.iter().map(|&n| key(n)).collect()).unwrap()
    }

    fn what(result: Result<String>) -> &'static str {
        match result {
            Err(Error::CorruptRow { what, source: None }) => what,
            other => panic!("expected CorruptRow without source, got {other:?}"),
        }
    }

    const AAD: &[u8] = b"session-id-1";
    const JSON: &str = r#"{"user":42,"name":"Zoë","cart":[1,2,3]}"#;

    #[test]
    fn roundtrip() {
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        assert!(stored.starts_with("$gcm1$"));
        assert!(!stored.contains("user"));
        assert_eq!(ring.decrypt(&stored, AAD).unwrap(), JSON);
    }

    #[test]
    fn stored_format() {
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        let rest = stored.strip_prefix(SEALED_PREFIX).unwrap();
        let (id, payload) = rest.split_once('$').unwrap();
        assert_eq!(id, key(1).id());
        assert_eq!(id.len(), KEY_ID_LEN);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(payload
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let sealed = URL_SAFE_NO_PAD.decode(payload).unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + JSON.len() + TAG_LEN);
        assert_eq!(
            stored.len(),
            6 + 8 + 1 + (4 * (28 + JSON.len())).div_ceil(3)
        );
    }

    #[test]
    fn fresh_nonce_each_time() {
        let ring = ring(&[1]);
        let a = ring.encrypt(JSON, AAD).unwrap();
        let b = ring.encrypt(JSON, AAD).unwrap();
        assert_ne!(a, b);
        let nonce = |s: &str| {
            let payload = s.rsplit_once('$').unwrap().1;
            URL_SAFE_NO_PAD.decode(payload).unwrap()[..NONCE_LEN].to_vec()
        };
        assert_ne!(nonce(&a), nonce(&b));
        assert_eq!(ring.decrypt(&a, AAD).unwrap(), JSON);
        assert_eq!(ring.decrypt(&b, AAD).unwrap(), JSON);
    }

    #[test]
    fn rotation() {
        let old = ring(&[1]);
        let rotated = ring(&[2, 1]);
        let by_old = old.encrypt(JSON, AAD).unwrap();
        assert_eq!(rotated.decrypt(&by_old, AAD).unwrap(), JSON);

        let by_new = rotated.encrypt(JSON, AAD).unwrap();
        assert!(by_new.starts_with(&format!("$gcm1${}$", key(2).id())));
        assert_eq!(rotated.decrypt(&by_new, AAD).unwrap(), JSON);
        assert_eq!(
            what(old.decrypt(&by_new, AAD)),
            "encrypted data names a key that is not in the keyring"
        );
    }

    #[test]
    fn wrong_key_under_the_same_id_fails_authentication() {
        // A value whose key id was rewritten to another key's: the tag does not match.
        let a = ring(&[1]);
        let both = ring(&[2, 1]);
        let stored = a.encrypt(JSON, AAD).unwrap();
        let forged = stored.replace(key(1).id(), key(2).id());
        assert!(what(both.decrypt(&forged, AAD)).contains("failed authentication"));
    }

    #[test]
    fn different_aad_fails() {
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        for other in [&b"session-id-2"[..], b"", b"session-id-1 "] {
            assert!(what(ring.decrypt(&stored, other)).contains("failed authentication"));
        }
        let empty_aad = ring.encrypt(JSON, b"").unwrap();
        assert_eq!(ring.decrypt(&empty_aad, b"").unwrap(), JSON);
        assert!(what(ring.decrypt(&empty_aad, AAD)).contains("failed authentication"));
    }

    #[test]
    fn tampering_any_character_fails() {
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        for (i, original) in stored.char_indices() {
            for replacement in ['A', 'B', '-', '_', '$', '{', '0'] {
                if replacement == original {
                    continue;
                }
                let mut tampered = stored.clone();
                tampered.replace_range(i..i + 1, replacement.encode_utf8(&mut [0; 4]));
                match ring.decrypt(&tampered, AAD) {
                    Err(Error::CorruptRow { source: None, .. }) => {}
                    other => {
                        panic!("tampered char {i} ({original:?} -> {replacement:?}): {other:?}")
                    }
                }
            }
        }
    }

    #[test]
    fn tampering_any_bit_of_the_payload_fails() {
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        let (head, payload) = stored.rsplit_once('$').unwrap();
        let sealed = URL_SAFE_NO_PAD.decode(payload).unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut bytes = sealed.clone();
                bytes[i] ^= 1 << bit;
                let tampered = format!("{head}${}", URL_SAFE_NO_PAD.encode(&bytes));
                assert!(
                    what(ring.decrypt(&tampered, AAD)).contains("failed authentication"),
                    "byte {i} bit {bit}"
                );
            }
        }
        // Dropping or adding bytes fails too.
        for len in [0, 1, NONCE_LEN, NONCE_LEN + TAG_LEN - 1] {
            let tampered = format!("{head}${}", URL_SAFE_NO_PAD.encode(&sealed[..len]));
            assert_eq!(
                what(ring.decrypt(&tampered, AAD)),
                "encrypted data is too short"
            );
        }
        for bytes in [
            &sealed[..sealed.len() - 1],
            &sealed[1..],
            &[&sealed[..], &[0]].concat(),
        ] {
            let tampered = format!("{head}${}", URL_SAFE_NO_PAD.encode(bytes));
            assert!(what(ring.decrypt(&tampered, AAD)).contains("failed authentication"));
        }
    }

    #[test]
    fn malformed_values_are_corrupt_rows() {
        let ring = ring(&[1]);
        let id = key(1).id().to_owned();
        let cases = [
            ("$", "encrypted data has an unknown format"),
            ("$gcm2$abc", "encrypted data has an unknown format"),
            ("$gcm1", "encrypted data has an unknown format"),
            ("$gcm1$", "encrypted data has no key id"),
            ("$gcm1$deadbeef", "encrypted data has no key id"),
            (
                "$gcm1$deadbeef$AAAA",
                "encrypted data names a key that is not in the keyring",
            ),
            (
                "$gcm1$$AAAA",
                "encrypted data names a key that is not in the keyring",
            ),
        ];
        for (stored, expected) in cases {
            assert_eq!(what(ring.decrypt(stored, AAD)), expected, "{stored}");
        }
        for payload in ["A", "AA=", "AA==", "a+b/", "!!!!", "AAAA AAAA", "AB"] {
            let stored = format!("$gcm1${id}${payload}");
            assert_eq!(
                what(ring.decrypt(&stored, AAD)),
                "encrypted data is not valid base64",
                "{payload}"
            );
        }
        for payload in ["", "AAAA"] {
            let stored = format!("$gcm1${id}${payload}");
            assert_eq!(
                what(ring.decrypt(&stored, AAD)),
                "encrypted data is too short"
            );
        }
    }

    #[test]
    fn error_messages_never_quote_the_value() {
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        let err = ring.decrypt(&stored, b"other").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("stored session row is corrupt: "));
        let payload = stored.rsplit_once('$').unwrap().1;
        assert!(!message.contains(payload) && !message.contains("user"));
    }

    #[test]
    fn text_without_the_marker_is_refused() {
        // Plain rows never reach `decrypt` (`AtRest::open` tells them apart); any text
        // that is not sealed data is an unknown format, not data passed through.
        let ring = ring(&[1]);
        let stored = ring.encrypt(JSON, AAD).unwrap();
        let quoted = format!("\"{stored}\"");
        for text in [JSON, "", "null", "{}", "not json at all", "gcm1$", &quoted] {
            assert_eq!(
                what(ring.decrypt(text, AAD)),
                "encrypted data has an unknown format",
                "{text:?}"
            );
        }
    }

    #[test]
    fn empty_and_one_mebibyte_roundtrip() {
        let ring = ring(&[1]);
        let empty = ring.encrypt("", AAD).unwrap();
        assert_eq!(ring.decrypt(&empty, AAD).unwrap(), "");

        let big = format!(
            "{{\"blob\":\"{}\"}}",
            "0123456789abcdef".repeat((1 << 20) / 16)
        );
        assert!(big.len() > 1 << 20);
        let stored = ring.encrypt(&big, AAD).unwrap();
        assert_eq!(stored.len(), 6 + 8 + 1 + (4 * (28 + big.len())).div_ceil(3));
        assert_eq!(ring.decrypt(&stored, AAD).unwrap(), big);
    }

    #[test]
    fn non_ascii_plaintext_roundtrips() {
        let ring = ring(&[1]);
        let text = "{\"é\":\"日本語 🎉\"}";
        let stored = ring.encrypt(text, AAD).unwrap();
        assert!(stored.is_ascii());
        assert_eq!(ring.decrypt(&stored, AAD).unwrap(), text);
    }

    #[test]
    fn output_is_not_json_and_needs_no_escaping_in_a_json_string() {
        let ring = ring(&[1]);
        for text in ["", "null", "1", "\"s\"", "{}", "[]", JSON] {
            for _ in 0..16 {
                let stored = ring.encrypt(text, AAD).unwrap();
                assert!(stored.starts_with(SEALED_PREFIX));
                assert!(serde_json::from_str::<serde_json::Value>(&stored).is_err());
                // The column keeps it as a JSON string, whose text is the value quoted.
                let quoted = format!("\"{stored}\"");
                let value: serde_json::Value = serde_json::from_str(&quoted).unwrap();
                assert_eq!(value, serde_json::Value::String(stored.clone()));
                assert_eq!(serde_json::to_string(&value).unwrap(), quoted);
            }
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        let key = EncryptionKey::from_bytes(bytes);
        let ring = Keyring::new(vec![key.clone(), EncryptionKey::from_bytes([9; 32])]).unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let forms = [
            base64::engine::general_purpose::STANDARD.encode(bytes),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes),
            URL_SAFE_NO_PAD.encode(bytes),
            hex.clone(),
            hex.to_uppercase(),
            format!("{bytes:?}"),
        ];
        for shown in [
            format!("{key:?}"),
            format!("{key:#?}"),
            format!("{ring:?}"),
            format!("{ring:#?}"),
        ] {
            assert!(shown.contains(key.id()), "{shown}");
            for form in &forms {
                assert!(!shown.contains(form.as_str()), "{shown}");
            }
            // Not even a fragment of the hex or decimal form.
            assert!(!shown.contains(&hex[..16]), "{shown}");
            assert!(!shown.contains("11, 48"), "{shown}");
        }
        assert_eq!(
            format!("{key:?}"),
            format!("EncryptionKey {{ id: {:?}, .. }}", key.id())
        );
    }

    #[test]
    fn key_ids() {
        let a = key(1);
        assert_eq!(a.id().len(), KEY_ID_LEN);
        assert_eq!(a.id(), key(1).id());
        assert_ne!(a.id(), key(2).id());
        // The id is not a prefix of a plain hash of the key.
        assert!(!blake3::hash(&[1; 32]).to_hex().starts_with(a.id()));
    }

    #[test]
    fn keys_from_base64() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i as u8) ^ 0xfb);
        let id = EncryptionKey::from_bytes(bytes).id().to_owned();
        let general = base64::engine::general_purpose::STANDARD;
        let forms = [
            general.encode(bytes),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes),
            base64::engine::general_purpose::URL_SAFE.encode(bytes),
            URL_SAFE_NO_PAD.encode(bytes),
            format!("  {}\n", general.encode(bytes)),
        ];
        for form in &forms {
            assert_eq!(EncryptionKey::from_base64(form).unwrap().id(), id, "{form}");
        }
        let bad = [
            ("", "the key must decode to exactly 32 bytes"),
            ("not base64!", "the key is not valid base64"),
            ("a+b-", "the key is not valid base64"),
        ];
        for (text, reason) in bad {
            match EncryptionKey::from_base64(text) {
                Err(Error::InvalidConfig { option, reason: r }) => {
                    assert_eq!(option, "encryption_key");
                    assert_eq!(r, reason, "{text:?}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        for len in [16, 31, 33, 64] {
            let text = general.encode(vec![7u8; len]);
            match EncryptionKey::from_base64(&text) {
                Err(Error::InvalidConfig { reason, .. }) => {
                    assert_eq!(reason, "the key must decode to exactly 32 bytes");
                }
                other => panic!("{len}: {other:?}"),
            }
        }
    }

    #[test]
    fn keyring_refuses_empty_and_duplicates() {
        let reason = |keys| match Keyring::new(keys) {
            Err(Error::InvalidConfig { option, reason }) => {
                assert_eq!(option, "encryption_key");
                reason
            }
            Ok(ring) => panic!("accepted {ring:?}"),
            Err(other) => panic!("{other:?}"),
        };
        assert_eq!(reason(vec![]), "at least one key is needed");
        assert!(reason(vec![key(1), key(1)]).contains("same id"));
        assert!(reason(vec![key(1), key(2), key(1)]).contains("same id"));
        assert!(Keyring::new(vec![key(1), key(2), key(3)]).is_ok());
    }
}
