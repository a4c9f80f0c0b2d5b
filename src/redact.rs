//! Errors that are safe to log: what remains of a driver or JSON error once everything that
//! could quote a session id or session data is taken out.
//!
//! A database error can quote row values (PostgreSQL's `detail`, "Key (col)=(value) already
//! exists", "Failing row contains (...)"; MySQL's "Duplicate entry 'value' ..."), and a
//! serde_json error quotes the data it choked on ("invalid type: string \"value\" ...").
//! [`DatabaseError`] keeps the kind of failure, the server's error code and the server's
//! message with every quoted segment blanked out; [`DataError`] keeps serde_json's category
//! and position. Neither prints, nor exposes through `source()`, anything else.

use std::fmt;

use serde_json::error::Category;

/// What this crate keeps of an sqlx error: safe to log, in `Display` and `Debug`.
///
/// Holds the kind of failure ([`kind`](Self::kind)), the server's error code when there is one ([`code`](Self::code): the
/// SQLSTATE on PostgreSQL and MySQL, the extended result code on SQLite; plus the error
/// [`number`](Self::number) on MySQL), the name of the violated constraint when the server
/// gives it ([`constraint`](Self::constraint), PostgreSQL), and the server's message with
/// every segment between quotes (`'...'`, `"..."`, `` `...` ``) replaced by `…`
/// ([`message`](Self::message)): `Duplicate entry '…' for key '…'`. The server's detail and
/// hint, which quote row values, are left out, and so is every other sqlx error's text that
/// could hold data or credentials (configuration errors are reported by kind only).
///
/// It has no [`source`](std::error::Error::source). The original [`sqlx::Error`] is kept,
/// for code that must inspect it, behind [`raw`](Self::raw) and
/// [`into_raw`](Self::into_raw): it may contain session ids and data, so never log it.
///
/// Blanking is by pairs of quotes; a value that itself contains a quote character followed
/// by a space can leave a fragment of itself outside the blanked segment.
pub struct DatabaseError(Box<Parts>);

/// The kind of a database failure ([`DatabaseError::kind`]), one per kind of
/// [`sqlx::Error`] (as sqlx's own `ErrorKind` does for server errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DatabaseErrorKind {
    /// An error returned by the server.
    Database,
    /// The connection options were refused.
    Configuration,
    /// Sqlx refused an argument.
    InvalidArgument,
    /// Reading from or writing to the connection failed.
    Io,
    /// The TLS layer failed.
    Tls,
    /// The server sent something unexpected.
    Protocol,
    /// A statement returned no row where one was expected.
    RowNotFound,
    /// A type named in a statement is unknown to the server.
    TypeNotFound,
    /// A row had fewer columns than expected.
    ColumnIndexOutOfBounds,
    /// A row lacked a column by name.
    ColumnNotFound,
    /// A column's value could not be decoded.
    ColumnDecode,
    /// A value could not be encoded for the server.
    Encode,
    /// A value from the server could not be decoded.
    Decode,
    /// An error of a driver behind sqlx's `Any`.
    AnyDriver,
    /// No pooled connection became free in time.
    PoolTimedOut,
    /// The pool was closed.
    PoolClosed,
    /// Sqlx's background worker (SQLite) ended.
    WorkerCrashed,
    /// Sqlx refused a savepoint statement.
    InvalidSavepointStatement,
    /// A transaction could not begin.
    BeginFailed,
    /// An sqlx error this crate does not know.
    Other,
}

impl DatabaseErrorKind {
    /// A short lowercase name (`"database"`, `"io"`, `"pool timed out"`, ...), stable for
    /// metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::Configuration => "configuration",
            Self::InvalidArgument => "invalid argument",
            Self::Io => "io",
            Self::Tls => "tls",
            Self::Protocol => "protocol",
            Self::RowNotFound => "row not found",
            Self::TypeNotFound => "type not found",
            Self::ColumnIndexOutOfBounds => "column index out of bounds",
            Self::ColumnNotFound => "column not found",
            Self::ColumnDecode => "column decode",
            Self::Encode => "encode",
            Self::Decode => "decode",
            Self::AnyDriver => "any driver",
            Self::PoolTimedOut => "pool timed out",
            Self::PoolClosed => "pool closed",
            Self::WorkerCrashed => "worker crashed",
            Self::InvalidSavepointStatement => "invalid savepoint statement",
            Self::BeginFailed => "begin failed",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for DatabaseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database => f.write_str("database error"),
            Self::Io => f.write_str("I/O error"),
            Self::Tls => f.write_str("TLS error"),
            Self::PoolTimedOut => f.write_str("pool timed out waiting for a connection"),
            Self::PoolClosed => f.write_str("pool closed"),
            Self::RowNotFound => f.write_str("no row returned"),
            kind => write!(f, "{} error", kind.as_str()),
        }
    }
}

/// Boxed, so that [`Error`](crate::Error) stays small.
struct Parts {
    kind: DatabaseErrorKind,
    code: Option<String>,
    number: Option<u16>,
    constraint: Option<String>,
    message: Option<String>,
    raw: sqlx::Error,
}

impl DatabaseError {
    /// The kind of failure: [`Database`](DatabaseErrorKind::Database) for an error the
    /// server returned, [`Io`](DatabaseErrorKind::Io), [`PoolTimedOut`](DatabaseErrorKind::PoolTimedOut), ...
    pub fn kind(&self) -> DatabaseErrorKind {
        self.0.kind
    }

    /// The server's error code, when the server returned one: the SQLSTATE on PostgreSQL
    /// (`"23505"`) and MySQL (`"23000"`), the extended result code on SQLite (`"2067"`).
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// MySQL's error number (`1062` for a duplicate entry), when the server returned one.
    pub fn number(&self) -> Option<u16> {
        self.0.number
    }

    /// The name of the violated constraint or index, when the server names it apart from
    /// its message (PostgreSQL). A name from the schema, never a value.
    pub fn constraint(&self) -> Option<&str> {
        self.0.constraint.as_deref()
    }

    /// The error's message with every quoted segment replaced by `…`, if it has one.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// Whether the server refused a write that breaks a unique or primary key constraint.
    pub fn is_unique_violation(&self) -> bool {
        self.0
            .raw
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation())
    }

    /// Whether the server refused a write that breaks a check constraint.
    pub fn is_check_violation(&self) -> bool {
        self.0
            .raw
            .as_database_error()
            .is_some_and(|d| d.is_check_violation())
    }

    /// Whether the server refused a NULL in a NOT NULL column.
    pub fn is_not_null_violation(&self) -> bool {
        self.0
            .raw
            .as_database_error()
            .is_some_and(|d| matches!(d.kind(), sqlx::error::ErrorKind::NotNullViolation))
    }

    /// The original sqlx error. **It may contain session ids and data** (the server's
    /// detail, values quoted in its message): inspect it, never log it.
    pub fn raw(&self) -> &sqlx::Error {
        &self.0.raw
    }

    /// The original sqlx error, by value. **It may contain session ids and data**: never
    /// log it.
    pub fn into_raw(self) -> sqlx::Error {
        self.0.raw
    }
}

impl From<sqlx::Error> for DatabaseError {
    fn from(raw: sqlx::Error) -> Self {
        use sqlx::Error as E;
        use DatabaseErrorKind as K;
        let mut code = None;
        let mut number = None;
        let mut constraint = None;
        let (kind, message): (DatabaseErrorKind, Option<String>) = match &raw {
            E::Database(db) => {
                code = db.code().map(|c| c.into_owned());
                constraint = db.constraint().map(str::to_owned);
                number = mysql_number(&**db);
                // Names the server gives apart (PostgreSQL) are schema, not data: kept.
                let names: Vec<&str> = db.constraint().into_iter().chain(db.table()).collect();
                (
                    K::Database,
                    Some(blank_quoted_keeping(db.message(), &names)),
                )
            }
            E::Configuration(_) => (K::Configuration, None),
            E::InvalidArgument(m) => (K::InvalidArgument, Some(blank_quoted(m))),
            E::Io(e) => (K::Io, Some(blank_quoted(&e.to_string()))),
            E::Tls(e) => (K::Tls, Some(blank_quoted(&e.to_string()))),
            E::Protocol(m) => (K::Protocol, Some(blank_quoted(m))),
            E::RowNotFound => (K::RowNotFound, None),
            E::TypeNotFound { .. } => (K::TypeNotFound, Some(blank_quoted(&raw.to_string()))),
            E::ColumnIndexOutOfBounds { .. } => (K::ColumnIndexOutOfBounds, Some(raw.to_string())),
            E::ColumnNotFound(_) => (K::ColumnNotFound, Some(blank_quoted(&raw.to_string()))),
            E::ColumnDecode { index, source } => (
                K::ColumnDecode,
                Some(blank_quoted(&format!("column {index}: {source}"))),
            ),
            E::Encode(e) => (K::Encode, Some(blank_quoted(&e.to_string()))),
            E::Decode(e) => (K::Decode, Some(blank_quoted(&e.to_string()))),
            E::AnyDriverError(_) => (K::AnyDriver, None),
            E::PoolTimedOut => (K::PoolTimedOut, None),
            E::PoolClosed => (K::PoolClosed, None),
            E::WorkerCrashed => (K::WorkerCrashed, None),
            E::InvalidSavePointStatement => (K::InvalidSavepointStatement, None),
            E::BeginFailed => (K::BeginFailed, None),
            _ => (K::Other, None),
        };
        Self(Box::new(Parts {
            kind,
            code,
            number,
            constraint,
            message,
            raw,
        }))
    }
}

#[cfg(feature = "mysql")]
fn mysql_number(db: &dyn sqlx::error::DatabaseError) -> Option<u16> {
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(|e| e.number())
}

#[cfg(not(feature = "mysql"))]
fn mysql_number(_: &dyn sqlx::error::DatabaseError) -> Option<u16> {
    None
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        match (self.0.number, &self.0.code) {
            (Some(n), Some(code)) => write!(f, " {n} ({code})")?,
            (Some(n), None) => write!(f, " {n}")?,
            (None, Some(code)) => write!(f, " {code}")?,
            (None, None) => {}
        }
        if let Some(message) = &self.0.message {
            write!(f, ": {message}")?;
        }
        if let Some(constraint) = &self.0.constraint {
            let named = self
                .message()
                .is_some_and(|m| m.contains(constraint.as_str()));
            if !named {
                write!(f, " (constraint {constraint})")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never `raw`: it may quote row values.
        f.debug_struct("DatabaseError")
            .field("kind", &self.0.kind)
            .field("code", &self.0.code)
            .field("number", &self.0.number)
            .field("constraint", &self.0.constraint)
            .field("message", &self.0.message)
            .finish_non_exhaustive()
    }
}

/// No source: the raw sqlx error must not be reachable by walking the chain.
impl std::error::Error for DatabaseError {}

/// What this crate keeps of a serde_json error: its category and position, safe to log.
///
/// serde_json's own messages quote the data they choke on (`invalid type: string "...",
/// expected a map`, ``unknown field `...` ``), and a custom `Serialize` impl's message can
/// hold anything: neither is kept. `Display` reads like `JSON data error at line 1 column 8`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DataError {
    category: Category,
    line: usize,
    column: usize,
    note: Option<&'static str>,
}

impl DataError {
    /// A data error this crate found itself, described by `note` (a fixed text).
    #[cfg(feature = "async-session")]
    pub(crate) fn data(note: &'static str) -> Self {
        Self {
            category: Category::Data,
            line: 0,
            column: 0,
            note: Some(note),
        }
    }

    /// serde_json's category: I/O, syntax, data (valid JSON of the wrong shape) or EOF.
    pub fn category(&self) -> Category {
        self.category
    }

    /// The 1-based line of the error in the JSON text, or 0 when there is none (errors
    /// while serializing).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column of the error in the JSON text, or 0 when there is none.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl From<serde_json::Error> for DataError {
    fn from(e: serde_json::Error) -> Self {
        Self {
            category: e.classify(),
            line: e.line(),
            column: e.column(),
            note: None,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.category {
            Category::Io => "JSON I/O error",
            Category::Syntax => "JSON syntax error",
            Category::Data => "JSON data error",
            Category::Eof => "unexpected end of JSON",
        })?;
        if let Some(note) = self.note {
            write!(f, ": {note}")?;
        }
        if self.line > 0 {
            write!(f, " at line {} column {}", self.line, self.column)?;
        }
        Ok(())
    }
}

impl fmt::Debug for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("DataError");
        s.field("category", &self.category)
            .field("line", &self.line)
            .field("column", &self.column);
        if let Some(note) = self.note {
            s.field("note", &note);
        }
        s.finish()
    }
}

impl std::error::Error for DataError {}

/// `text` with the inside of every quoted segment (`'...'`, `"..."`, `` `...` ``) replaced
/// by `…`, the quotes and the words around them kept.
///
/// A segment opens at a quote character (except an apostrophe between two letters or digits,
/// as in "doesn't") and closes at the next same character followed by the end, whitespace or
/// punctuation (so `'a'b'` is one segment); failing that at the last same character; failing
/// that, everything to the end is blanked.
pub(crate) fn blank_quoted(text: &str) -> String {
    blank_quoted_keeping(text, &[])
}

/// [`blank_quoted`], except that a segment whose whole content is one of `names` is kept.
fn blank_quoted_keeping(text: &str, names: &[&str]) -> String {
    const QUOTES: [char; 3] = ['\'', '"', '`'];
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = at(i) {
        if !QUOTES.contains(&c) {
            out.push(c);
            i += 1;
            continue;
        }
        let word = |o: Option<char>| o.is_some_and(char::is_alphanumeric);
        if c == '\'' && i > 0 && word(at(i - 1)) && word(at(i + 1)) {
            out.push(c);
            i += 1;
            continue;
        }
        let same: Vec<usize> = (i + 1..chars.len()).filter(|&j| at(j) == Some(c)).collect();
        let closes =
            |j: usize| at(j + 1).is_none_or(|n| n.is_whitespace() || ",.;:)]}!?".contains(n));
        let close = same
            .iter()
            .copied()
            .find(|&j| closes(j))
            .or_else(|| same.last().copied());
        out.push(c);
        match close {
            Some(j) => {
                let inside: String = chars.get(i + 1..j).unwrap_or_default().iter().collect();
                if names.contains(&inside.as_str()) {
                    out.push_str(&inside);
                } else {
                    out.push('…');
                }
                out.push(c);
                i = j + 1;
            }
            None => {
                out.push('…');
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_segments_are_blanked_and_words_kept() {
        for (raw, blanked) in [
            (
                "Duplicate entry 'sid-SECRET' for key 'PRIMARY'",
                "Duplicate entry '…' for key '…'",
            ),
            (
                "invalid input syntax for type integer: \"SECRET\"",
                "invalid input syntax for type integer: \"…\"",
            ),
            (
                "unknown field `SECRET`, expected `n`",
                "unknown field `…`, expected `…`",
            ),
            ("Table 'test.t' doesn't exist", "Table '…' doesn't exist"),
            ("a 'SE'CRET' b", "a '…' b"),
            ("tail 'SECRET", "tail '…"),
            ("mixed \"it's SECRET\" end", "mixed \"…\" end"),
            ("no quotes at all", "no quotes at all"),
            ("", ""),
        ] {
            assert_eq!(blank_quoted(raw), blanked, "{raw}");
        }
        assert_eq!(
            blank_quoted_keeping("violates \"t_uq\" on \"t\": \"SECRET\"", &["t_uq", "t"]),
            "violates \"t_uq\" on \"t\": \"…\""
        );
    }

    #[test]
    fn data_error_keeps_category_and_position_only() {
        let e = serde_json::from_str::<std::collections::HashMap<String, u8>>("\"SECRET\"")
            .unwrap_err();
        assert!(e.to_string().contains("SECRET"), "serde_json quotes data");
        let d = DataError::from(e);
        assert_eq!(d.to_string(), "JSON data error at line 1 column 8");
        assert!(!format!("{d:?}").contains("SECRET"));
        assert_eq!(d.category(), Category::Data);
        let e = serde_json::to_string(&Fails).unwrap_err();
        let d = DataError::from(e);
        assert_eq!(d.to_string(), "JSON data error");
        assert!(!format!("{d:?}").contains("SECRET"));
    }

    struct Fails;

    impl serde::Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("SECRET"))
        }
    }

    #[test]
    fn database_error_hides_the_raw_error() {
        let e = DatabaseError::from(sqlx::Error::Protocol("bad 'SECRET' byte".into()));
        assert_eq!(e.to_string(), "protocol error: bad '…' byte");
        assert!(!format!("{e:?}").contains("SECRET"));
        assert!(std::error::Error::source(&e).is_none());
        assert!(
            e.raw().to_string().contains("SECRET"),
            "kept for inspection"
        );
        assert_eq!(e.kind(), DatabaseErrorKind::Protocol);
        assert_eq!(e.code(), None);
        let e = DatabaseError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(e.to_string(), "pool timed out waiting for a connection");
    }
}
