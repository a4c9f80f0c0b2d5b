//! What `get` returns.

use chrono::{DateTime, Utc};

/// A live session as stored: its data and when it expires.
///
/// Its `Debug` output leaves the data out, so a record can be logged safely.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session data, exactly as it was saved.
    pub data: serde_json::Value,
    /// When the session expires (UTC, microsecond precision).
    pub expires: DateTime<Utc>,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("data", &format_args!("<redacted>"))
            .field("expires", &self.expires)
            .finish()
    }
}
