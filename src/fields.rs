//! Custom columns beside the session (`extend_default_fields`), and the values that fill them.
//!
//! Declare columns on the builder with [`Column`], and give the builder a hook that
//! computes their values from the session data with
//! [`extend_default_fields`](crate::Builder::extend_default_fields). The hook runs on every
//! write of the session data (`set`, `insert` and `update`, so on insert and on update
//! alike, and through every front end) and never on `touch`. Each value is checked
//! against its column's declared type before anything is written.

use chrono::{DateTime, Utc};

/// The SQL type family of a custom column; each dialect maps it to a concrete type.
///
/// | kind | SQLite | PostgreSQL | MySQL / MariaDB |
/// |---|---|---|---|
/// | `Text` | `TEXT` | `TEXT` | `VARCHAR(255)` |
/// | `Integer` | `INTEGER` | `BIGINT` | `BIGINT` |
/// | `Boolean` | `INTEGER` | `BOOLEAN` | `BOOLEAN` |
/// | `Timestamp` | `INTEGER` (µs, UTC) | `TIMESTAMPTZ` | `DATETIME(6)` (UTC) |
/// | `Json` | `TEXT` | `JSON` | `LONGTEXT` |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// Short text, up to 255 characters on MySQL; can be indexed and queried.
    Text,
    /// A 64-bit signed integer.
    Integer,
    /// A boolean.
    Boolean,
    /// A UTC instant, microsecond precision.
    Timestamp,
    /// A JSON document; can be neither indexed nor queried (PostgreSQL's `JSON` has no `=`).
    Json,
}

impl ColumnKind {
    /// The kind's name in error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::Integer => "integer",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Timestamp => "timestamp",
            ColumnKind::Json => "JSON",
        }
    }
}

/// A custom column declared on the builder with [`Builder::column`](crate::Builder::column).
///
#[cfg_attr(feature = "sqlite", doc = "```")]
#[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> sqlx_session_store::Result<()> {
/// use sqlx_session_store::{sqlx::SqlitePool, Column, Fields, SqliteStore};
///
/// let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
/// let store = SqliteStore::builder(pool)
///     .column(Column::integer("user_id").indexed(true))
///     .extend_default_fields(|defaults: &sqlx_session_store::DefaultFields<'_>| {
///         Fields::new().with("user_id", defaults.data["user_id"].as_i64())
///     })
///     .build()?;
/// store.migrate().await?;
///
/// store.set("phone", &serde_json::json!({ "user_id": 7 }), None).await?;
/// store.set("laptop", &serde_json::json!({ "user_id": 7 }), None).await?;
/// store.set("other", &serde_json::json!({ "user_id": 8 }), None).await?;
/// assert_eq!(store.sessions_where("user_id", 7).await?.len(), 2);
/// assert_eq!(store.destroy_where("user_id", 7).await?, 2); // log out everywhere
/// assert_eq!(store.length().await?, 1);
/// # Ok(()) }
/// ```
///
/// Columns are nullable and not indexed unless told otherwise. The name is validated
/// like the table name when the store is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub(crate) name: String,
    pub(crate) kind: ColumnKind,
    pub(crate) nullable: bool,
    pub(crate) indexed: bool,
}

impl Column {
    /// A nullable, unindexed column of `kind`.
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> Self {
        Self {
            name: name.into(),
            kind,
            nullable: true,
            indexed: false,
        }
    }

    /// A [`ColumnKind::Text`] column.
    pub fn text(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Text)
    }

    /// A [`ColumnKind::Integer`] column.
    pub fn integer(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Integer)
    }

    /// A [`ColumnKind::Boolean`] column.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Boolean)
    }

    /// A [`ColumnKind::Timestamp`] column.
    pub fn timestamp(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Timestamp)
    }

    /// A [`ColumnKind::Json`] column.
    pub fn json(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Json)
    }

    /// Whether the column accepts NULL (default `true`). A non-nullable column must get a
    /// value from the hook on every write.
    pub fn nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// Whether `migrate` creates an index on the column (default `false`). Index the
    /// columns you query with [`SqlStore::sessions_where`](crate::SqlStore::sessions_where)
    /// and friends.
    pub fn indexed(mut self, indexed: bool) -> Self {
        self.indexed = indexed;
        self
    }
}

/// A value for a custom column, or for a query on one.
///
/// Converts from the usual Rust types, and from `Option<T>` (where `None` is `Null`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FieldValue {
    /// SQL NULL.
    Null,
    /// For a [`ColumnKind::Text`] column.
    Text(String),
    /// For a [`ColumnKind::Integer`] column.
    Integer(i64),
    /// For a [`ColumnKind::Boolean`] column.
    Boolean(bool),
    /// For a [`ColumnKind::Timestamp`] column.
    Timestamp(DateTime<Utc>),
    /// For a [`ColumnKind::Json`] column.
    Json(serde_json::Value),
}

impl FieldValue {
    /// The value's kind in error messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            FieldValue::Null => "NULL",
            FieldValue::Text(_) => "text",
            FieldValue::Integer(_) => "integer",
            FieldValue::Boolean(_) => "boolean",
            FieldValue::Timestamp(_) => "timestamp",
            FieldValue::Json(_) => "JSON",
        }
    }
}

macro_rules! field_value_from {
    ($($ty:ty => $variant:ident $(as $conv:ty)?),* $(,)?) => {$(
        impl From<$ty> for FieldValue {
            fn from(v: $ty) -> Self {
                FieldValue::$variant((v $(as $conv)?).into())
            }
        }
    )*};
}
field_value_from!(
    String => Text,
    &str => Text,
    i64 => Integer,
    i32 => Integer as i64,
    u32 => Integer as i64,
    bool => Boolean,
    DateTime<Utc> => Timestamp,
    serde_json::Value => Json,
);

impl<T: Into<FieldValue>> From<Option<T>> for FieldValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(FieldValue::Null, Into::into)
    }
}

/// The custom column values computed by the hook, by column name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(Vec<(String, FieldValue)>);

impl Fields {
    /// No values: every custom column is NULL.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `column` to `value` (a later value for the same column wins).
    pub fn with(mut self, column: impl Into<String>, value: impl Into<FieldValue>) -> Self {
        self.set(column, value);
        self
    }

    /// Sets `column` to `value` in place.
    pub fn set(&mut self, column: impl Into<String>, value: impl Into<FieldValue>) {
        let column = column.into();
        let value = value.into();
        match self.0.iter_mut().find(|(c, _)| *c == column) {
            Some(slot) => slot.1 = value,
            None => self.0.push((column, value)),
        }
    }
}

impl Fields {
    /// The values, by column name.
    pub(crate) fn into_values(self) -> Vec<(String, FieldValue)> {
        self.0
    }
}

/// What the hook receives: the values the store is about to write for the core columns.
#[derive(Debug)]
#[non_exhaustive]
pub struct DefaultFields<'a> {
    /// The session data being written.
    pub data: &'a serde_json::Value,
    /// The expiry being written.
    pub expires: DateTime<Utc>,
}

/// Computes custom column values from a session being written; see
/// [`Builder::extend_default_fields`](crate::Builder::extend_default_fields).
///
/// Implemented for every `Fn(&DefaultFields<'_>) -> Fields + Send + Sync + 'static`.
pub trait ExtendFields: Send + Sync + 'static {
    /// The values for the custom columns. Columns left out are written as NULL.
    fn extend(&self, defaults: &DefaultFields<'_>) -> Fields;
}

impl<F> ExtendFields for F
where
    F: Fn(&DefaultFields<'_>) -> Fields + Send + Sync + 'static,
{
    fn extend(&self, defaults: &DefaultFields<'_>) -> Fields {
        self(defaults)
    }
}
