//! What `get` and `sessions_where` return.

use chrono::{DateTime, Utc};

/// A live session as stored: its data and when it expires.
///
/// Its `Debug` output leaves the data out, so a record can be logged safely.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionRecord<T = serde_json::Value> {
    /// The session data, as it was saved ([`SqlStore::get_as`](crate::SqlStore::get_as)
    /// parses it into a type of your own).
    pub data: T,
    /// When the session expires (UTC, microsecond precision).
    pub expires: DateTime<Utc>,
}

impl<T> std::fmt::Debug for SessionRecord<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("data", &format_args!("<redacted>"))
            .field("expires", &self.expires)
            .finish()
    }
}

/// One live session in a list by custom column (a "your devices" page): see
/// [`SqlStore::sessions_where`](crate::SqlStore::sessions_where).
///
/// Its `Debug` output leaves the id and the data out.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session's id as the table keeps it: the session id itself, a secret (never show
    /// it to the user), or its digest under [`hash_ids`](crate::Builder::hash_ids). To end
    /// this one session, pass [`handle`](Self::handle) to
    /// [`SqlStore::revoke`](crate::SqlStore::revoke) (`destroy(id)` works only without
    /// `hash_ids`).
    pub id: String,
    /// Names this session in a "log out this device" form: safe to put in a page (it is a
    /// digest, neither the id nor its stored digest), and ends exactly this session under
    /// every option through [`SqlStore::revoke`](crate::SqlStore::revoke).
    pub handle: SessionHandle,
    /// The session data.
    pub data: serde_json::Value,
    /// When the session expires.
    pub expires: DateTime<Utc>,
    /// When the session data or expiry was last written; `None` when the table has no
    /// `updated_at` column.
    pub updated_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("id", &format_args!("<redacted>"))
            .field("data", &format_args!("<redacted>"))
            .field("handle", &self.handle)
            .field("expires", &self.expires)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Names one listed session ([`SessionInfo::handle`]) without revealing its id: 128 bits of
/// a BLAKE3 key derivation from the id as stored, shown as 32 lowercase hex digits.
///
/// Parse it back from a form with [`str::parse`]; [`SqlStore::revoke`](crate::SqlStore::revoke)
/// ends the session it names, among one user's sessions only.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionHandle([u8; 16]);

/// The context string of the handle's key derivation (BLAKE3 `derive_key`): handles never
/// equal any other digest the store makes of an id.
const HANDLE_CONTEXT: &str = "sqlx-session-store 2026-12-07 listed session handle";

impl SessionHandle {
    /// The handle of the row whose id column holds `stored_id`.
    pub(crate) fn of(stored_id: &str) -> Self {
        let hash = blake3::Hasher::new_derive_key(HANDLE_CONTEXT)
            .update(stored_id.as_bytes())
            .finalize();
        let mut out = [0; 16];
        out.copy_from_slice(&hash.as_bytes()[..16]);
        Self(out)
    }
}

impl std::fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A handle names a session of the user the page shows, so it is shown in full.
impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionHandle({self})")
    }
}

/// Text that is not a handle (32 hex digits), from [`SessionHandle`]'s `FromStr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidHandle;

impl std::fmt::Display for InvalidHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a session handle (32 hex digits)")
    }
}

impl std::error::Error for InvalidHandle {}

impl std::str::FromStr for SessionHandle {
    type Err = InvalidHandle;

    fn from_str(text: &str) -> Result<Self, InvalidHandle> {
        let bytes = text.as_bytes();
        // `from_str_radix` alone would take a `+` sign too.
        if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(InvalidHandle);
        }
        let mut out = [0; 16];
        for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let digits = std::str::from_utf8(pair).map_err(|_| InvalidHandle)?;
            *byte = u8::from_str_radix(digits, 16).map_err(|_| InvalidHandle)?;
        }
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_print_and_parse_back() {
        let handle = SessionHandle::of("an id");
        let text = handle.to_string();
        assert_eq!(text.len(), 32);
        assert!(!text.contains("an id"));
        assert_eq!(text.parse::<SessionHandle>(), Ok(handle));
        assert_ne!(SessionHandle::of("another id"), handle);
        for bad in [
            "",
            "zz",
            &text[..31],
            &format!("{text}0"),
            &text.replace(&text[..1], "g"),
            &format!("+{}", &text[1..]),
            &"+f".repeat(16),
        ] {
            assert_eq!(bad.parse::<SessionHandle>(), Err(InvalidHandle), "{bad:?}");
        }
        assert_eq!(text.to_uppercase().parse::<SessionHandle>(), Ok(handle));
    }
}
