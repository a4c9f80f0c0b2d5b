//! The crate's one error type.

use std::fmt;

use crate::op::Op;
use crate::redact::{DataError, DatabaseError};

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// Errors are safe to log: `Display` and `Debug` of every variant, and of every error in its
/// [`source`](std::error::Error::source) chain, carry no session id and no session data.
/// A [`Database`](Error::Database) error's source is a [`DatabaseError`]: the kind of
/// failure, the server's error code and its message with every quoted segment blanked
/// (`Duplicate entry '…' for key '…'`), never the server's detail (PostgreSQL's "Failing
/// row contains (...)"); the raw sqlx error is kept behind [`DatabaseError::raw`], which may
/// quote row values and must not be logged. JSON errors ([`Serialize`](Error::Serialize),
/// [`CorruptRow`](Error::CorruptRow)) keep a [`DataError`]: serde_json's category and
/// position, never its message, which quotes the data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A table, schema or column name was refused when the store was built.
    ///
    /// Names must be 1 to [`MAX_IDENTIFIER_LEN`](crate::MAX_IDENTIFIER_LEN) ASCII letters,
    /// digits or underscores, and must not start with a digit.
    #[error("invalid {kind} {name:?}: {reason}")]
    InvalidIdentifier {
        /// What the name was for (`"table name"`, `"schema name"`, ...).
        kind: &'static str,
        /// The refused name, as given (configuration, never session data).
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A builder option is out of range.
    #[error("invalid option `{option}`: {reason}")]
    InvalidConfig {
        /// The option's builder method name.
        option: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A session id is empty, longer than [`MAX_SESSION_ID_LEN`](crate::MAX_SESSION_ID_LEN)
    /// bytes, or contains a control character (NUL included). Refused before any SQL runs.
    ///
    /// The id itself is not included, since ids are secrets.
    #[error("invalid session id: {reason}")]
    InvalidSessionId {
        /// Why it was refused.
        reason: &'static str,
    },

    /// The serialized session is larger than the store's `max_data_size`.
    #[error("session data is {size} bytes, over the limit of {limit} bytes")]
    DataTooLarge {
        /// Size of the serialized JSON, in bytes.
        size: usize,
        /// The configured limit, in bytes.
        limit: usize,
    },

    /// Session data could not be serialized to JSON.
    #[error("session data could not be serialized")]
    Serialize(#[source] DataError),

    /// A stored row could not be read back (for example its `data` is not valid JSON,
    /// or a front end expected a JSON object). The row is left untouched.
    #[error("stored session row is corrupt: {what}")]
    CorruptRow {
        /// What was wrong with the row (never its content).
        what: &'static str,
        /// The JSON decoding error, if any (its category and position, never the data).
        #[source]
        source: Option<DataError>,
    },

    /// Session data could not be encrypted (feature `encryption`): the operating system's
    /// random number generator failed, or the input is beyond AES-GCM's limits. Nothing
    /// was written.
    #[error("session data could not be encrypted: {what}")]
    Encryption {
        /// What went wrong (never any content).
        what: &'static str,
        /// The cause (the OS random number generator's error), if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A new session could not get a unique id after several attempts.
    #[error("could not allocate a unique session id after {attempts} attempts")]
    IdCollision {
        /// How many ids were tried.
        attempts: u32,
    },

    /// A save kept meeting other saves of the same session: each time it re-read the row
    /// and merged its changes, another write came first, `attempts` times in a row
    /// (through a front end, or in [`modify`](crate::SqlStore::modify)). Nothing of this
    /// save was written; what the others wrote is kept.
    #[error("the session kept changing: {attempts} merged writes in a row met another write")]
    Conflict {
        /// How many merged writes were tried.
        attempts: u32,
    },

    /// With [`strict_merge`](crate::Builder::strict_merge): another request changed `keys`
    /// of the top-level keys this save changed too, since this save's load. Nothing of this
    /// save was written; what the other request wrote is kept.
    #[error("another request changed {keys} of the keys this save changed")]
    KeyConflict {
        /// How many keys both changed.
        keys: usize,
    },

    /// The expiry reaper was started outside a Tokio runtime, which it needs to run on.
    #[error("the expiry reaper must be started from within a Tokio runtime")]
    NoRuntime,

    /// A custom column was named that the store does not declare (by the
    /// `extend_default_fields` hook, or in a query such as `destroy_where`).
    #[error("no custom column named {column:?} is declared on this store")]
    UnknownColumn {
        /// The name that was given.
        column: String,
    },

    /// A value does not fit its custom column's declared type (or is NULL for a
    /// non-nullable column). Nothing was written.
    #[error("custom column {column:?} takes {expected} values, got {found}")]
    FieldType {
        /// The column.
        column: String,
        /// The declared type family.
        expected: &'static str,
        /// What was given instead.
        found: &'static str,
    },

    /// The table lacks columns the store needs: it does not exist yet (run `migrate()`),
    /// or an app-managed table does not match the column names given to the builder.
    #[error("table {table:?} lacks the columns {missing:?} (run migrate() to create a new table, or add them)")]
    MissingColumns {
        /// The table, as `schema.table` when a schema is set.
        table: String,
        /// Every needed column that was not found.
        missing: Vec<String>,
    },

    /// An app-managed table has the columns the store needs, but one of them cannot work
    /// as the store needs it: the id column is not a key of its own (every `set` would add
    /// a row), or a timestamp column has a type whose instants depend on the connection's
    /// time zone. Nothing was written.
    #[error("table {table:?}: column {column:?} {problem}")]
    IncompatibleSchema {
        /// The table, as `schema.table` when a schema is set.
        table: String,
        /// The column.
        column: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A statement of a store operation did not finish within the store's
    /// [`operation_timeout`](crate::Builder::operation_timeout) (getting a connection,
    /// running the statement and any retries, all told). A connection with the statement
    /// in flight is closed, never returned to the pool; whether a write took effect is
    /// unknown.
    #[error("{operation} did not finish within {}s", after.as_secs_f64())]
    Timeout {
        /// The store operation that timed out (`"get"`, `"set"`, ...).
        operation: &'static str,
        /// The operation timeout.
        after: std::time::Duration,
    },

    /// The database returned an error or could not be reached.
    #[error("database error during {operation}")]
    Database {
        /// The store operation that failed (`"get"`, `"set"`, `"migrate"`, ...).
        operation: &'static str,
        /// What is safe to log of the error from sqlx (the raw error is behind
        /// [`DatabaseError::raw`]).
        #[source]
        source: DatabaseError,
    },
}

impl Error {
    pub(crate) fn db(op: Op) -> impl FnOnce(sqlx::Error) -> Error {
        move |source| Error::Database {
            operation: op.as_str(),
            source: source.into(),
        }
    }

    /// `op` ran out of its time budget `after`.
    pub(crate) fn timeout(op: Op, after: std::time::Duration) -> Error {
        Error::Timeout {
            operation: op.as_str(),
            after,
        }
    }

    /// A row whose JSON did not decode: `what` says what was wrong, `e` is kept redacted.
    pub(crate) fn corrupt(what: &'static str) -> impl FnOnce(serde_json::Error) -> Error {
        move |e| Error::CorruptRow {
            what,
            source: Some(e.into()),
        }
    }

    /// Data that did not serialize, the error kept redacted.
    pub(crate) fn serialize(e: serde_json::Error) -> Error {
        Error::Serialize(e.into())
    }

    /// `true` when the error came from the database or the connection to it
    /// (as opposed to bad input or a corrupt row).
    pub fn is_database(&self) -> bool {
        matches!(self, Error::Database { .. })
    }

    /// `true` when an operation ran out of its
    /// [`operation_timeout`](crate::Builder::operation_timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}

/// Displays an error with its whole `source()` chain, `a: b: c`.
pub(crate) struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut previous = self.0.to_string();
        f.write_str(&previous)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            let message = e.to_string();
            // Some errors (sqlx's `Database`) repeat their source's message in their own.
            if !previous.contains(&message) {
                write!(f, ": {message}")?;
            }
            previous = message;
            next = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_shows_every_distinct_message_once() {
        let json = serde_json::from_str::<serde_json::Value>("{nope").unwrap_err();
        let err = Error::corrupt("data is not valid JSON")(json);
        assert_eq!(
            Chain(&err).to_string(),
            "stored session row is corrupt: data is not valid JSON: \
             JSON syntax error at line 1 column 2"
        );
        let db = Error::db(Op::Get)(sqlx::Error::Protocol("oops".into()));
        assert_eq!(
            Chain(&db).to_string(),
            "database error during get: protocol error: oops"
        );
    }
}
