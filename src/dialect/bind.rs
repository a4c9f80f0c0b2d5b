//! Running statements: binding values, decoding rows, and the one place where sqlx's
//! generic bounds are written.

use std::sync::Arc;

use sqlx::database::HasStatementCache;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row as _, Type,
};

/// A value bound to a statement, or read from a row (not to be confused with a JSON value).
#[derive(Clone, Debug, PartialEq)]
pub enum SqlValue {
    /// Text (also JSON, and timestamps on dialects that bind them as text).
    Text(Option<String>),
    /// A 64-bit integer (also timestamps on SQLite, as microseconds).
    Int(Option<i64>),
    /// A boolean.
    Bool(Option<bool>),
    /// A UTC instant in microseconds since the Unix epoch, bound as the dialect's own time
    /// type ([`Micros`]; PostgreSQL's `TIMESTAMPTZ`, in binary).
    Time(Option<i64>),
}

/// A UTC instant in microseconds since the Unix epoch, as a dialect binds and reads its
/// time columns natively: each dialect gives it sqlx's `Type`, `Encode` and `Decode`
/// (PostgreSQL: `TIMESTAMPTZ` in binary, so no time is formatted, parsed or cast as text
/// on the way; SQLite and MySQL: the integer their time expressions give, MySQL still
/// binding its times as `DATETIME` text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Micros(pub(crate) i64);

/// How to decode one column of a result row (and which variant of [`SqlValue`] it gives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlKind {
    /// As `Option<String>`.
    Text,
    /// As `Option<i64>`.
    Int,
    /// As `Option<bool>`.
    Bool,
    /// A time column as the dialect's time expression returns it, decoded as [`Micros`] and
    /// read back as `SqlValue::Int` (microseconds). Its NULL *parameter*
    /// ([`SqlValue::null`]) is `SqlValue::Time(None)`, bound as the dialect's time type.
    Time,
}

/// One decoded result row.
pub(crate) type DecodedRow = Vec<SqlValue>;

/// `rows_affected()` is inherent on each driver's result type; this makes it generic.
pub(crate) trait RowsAffected {
    fn rows(&self) -> u64;
}

macro_rules! rows_affected {
    ($($feature:literal => $ty:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl RowsAffected for $ty {
            fn rows(&self) -> u64 {
                self.rows_affected()
            }
        }
    )*};
}
rows_affected!(
    "sqlite" => sqlx::sqlite::SqliteQueryResult,
    "postgres" => sqlx::postgres::PgQueryResult,
    "mysql" => sqlx::mysql::MySqlQueryResult
);

/// [`Micros`] as the `i64` it is on dialects whose time expressions are integers.
macro_rules! micros_as_i64 {
    ($($feature:literal => $db:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl Type<$db> for Micros {
            fn type_info() -> <$db as Database>::TypeInfo {
                <i64 as Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                <i64 as Type<$db>>::compatible(ty)
            }
        }

        #[cfg(feature = $feature)]
        impl<'q> Encode<'q, $db> for Micros {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as Encode<'q, $db>>::encode_by_ref(&self.0, buf)
            }
        }

        #[cfg(feature = $feature)]
        impl<'r> Decode<'r, $db> for Micros {
            fn decode(
                value: <$db as Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                <i64 as Decode<'r, $db>>::decode(value).map(Micros)
            }
        }
    )*};
}
micros_as_i64!("sqlite" => sqlx::Sqlite, "mysql" => sqlx::MySql);

/// Binds `args` in order to `sql`.
fn build<DB>(
    sql: Arc<str>,
    args: &[SqlValue],
    persistent: bool,
) -> sqlx::query::Query<'static, DB, <DB as Database>::Arguments>
where
    DB: Database + HasStatementCache,
    DB::Arguments: IntoArguments<DB>,
    for<'e> Option<&'e str>: Encode<'e, DB> + Type<DB>,
    Option<i64>: for<'e> Encode<'e, DB> + Type<DB>,
    Option<bool>: for<'e> Encode<'e, DB> + Type<DB>,
    Option<Micros>: for<'e> Encode<'e, DB> + Type<DB>,
{
    // Every statement is built by `crate::sql` and the dialects from validated, quoted identifiers;
    // values are never spliced into SQL text.
    let mut query = sqlx::query::<DB>(AssertSqlSafe(sql)).persistent(persistent);
    for arg in args {
        query = match arg {
            SqlValue::Text(v) => query.bind(v.as_deref()),
            SqlValue::Int(v) => query.bind(*v),
            SqlValue::Bool(v) => query.bind(*v),
            SqlValue::Time(v) => query.bind(v.map(Micros)),
        };
    }
    query
}

/// Runs one statement; `persistent: false` prepares it unnamed, so that the server forgets
/// it at once (what a transaction pooler needs).
pub(crate) async fn execute_with<DB>(
    conn: &mut DB::Connection,
    sql: Arc<str>,
    args: &[SqlValue],
    persistent: bool,
) -> Result<u64, sqlx::Error>
where
    DB: Database + HasStatementCache,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'e> Option<&'e str>: Encode<'e, DB> + Type<DB>,
    Option<i64>: for<'e> Encode<'e, DB> + Type<DB>,
    Option<bool>: for<'e> Encode<'e, DB> + Type<DB>,
    Option<Micros>: for<'e> Encode<'e, DB> + Type<DB>,
{
    let query = build::<DB>(sql, args, persistent);
    let done = query.execute(conn).await?;
    Ok(done.rows())
}

/// Runs one query and decodes each row's columns as `kinds`; `persistent` as for
/// [`execute_with`].
pub(crate) async fn fetch_with<DB>(
    conn: &mut DB::Connection,
    sql: Arc<str>,
    args: &[SqlValue],
    kinds: &'static [SqlKind],
    persistent: bool,
) -> Result<Vec<DecodedRow>, sqlx::Error>
where
    DB: Database + HasStatementCache,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'e> Option<&'e str>: Encode<'e, DB> + Type<DB>,
    Option<String>: for<'r> Decode<'r, DB> + Type<DB>,
    Option<i64>: for<'e> Encode<'e, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    Option<bool>: for<'e> Encode<'e, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    Option<Micros>: for<'e> Encode<'e, DB> + for<'r> Decode<'r, DB> + Type<DB>,
{
    let query = build::<DB>(sql, args, persistent);
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| {
                    Ok(match kind {
                        SqlKind::Text => SqlValue::Text(row.try_get(i)?),
                        SqlKind::Int => SqlValue::Int(row.try_get(i)?),
                        SqlKind::Bool => SqlValue::Bool(row.try_get(i)?),
                        SqlKind::Time => {
                            SqlValue::Int(row.try_get::<Option<Micros>, _>(i)?.map(|m| m.0))
                        }
                    })
                })
                .collect()
        })
        .collect()
}

/// Runs `sql` (no parameters) with the simple query protocol: one message, one round trip,
/// no prepared statement on the server (`BEGIN`, `COMMIT`, `ROLLBACK`).
pub(crate) async fn simple<DB>(
    conn: &mut DB::Connection,
    sql: &'static str,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    sqlx::raw_sql(sql).execute(&mut *conn).await.map(drop)
}

/// Rows from `fetch`, read back as the types the caller asked for.
impl SqlValue {
    pub(crate) fn into_text(self) -> Option<String> {
        match self {
            SqlValue::Text(v) => v,
            _ => None,
        }
    }

    /// A NULL of `kind`.
    pub(crate) fn null(kind: SqlKind) -> Self {
        match kind {
            SqlKind::Text => SqlValue::Text(None),
            SqlKind::Int => SqlValue::Int(None),
            SqlKind::Bool => SqlValue::Bool(None),
            SqlKind::Time => SqlValue::Time(None),
        }
    }

    pub(crate) fn into_int(self) -> Option<i64> {
        match self {
            SqlValue::Int(v) => v,
            _ => None,
        }
    }
}
