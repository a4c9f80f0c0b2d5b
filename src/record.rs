//! What `get` returns.

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
    /// The session id: a secret; pass it to `destroy` to end that one session, but never
    /// show it to the user as is.
    pub id: String,
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
            .field("expires", &self.expires)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}
