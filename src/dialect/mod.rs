//! The per-database part of the store.
//!
//! [`Dialect`] is sealed: it is implemented for [`sqlx::Sqlite`], [`sqlx::Postgres`] and
//! [`sqlx::MySql`] when their cargo features are on, and carries every difference between
//! them (quoting, column types, placeholders, upsert and batched-delete idioms, how
//! `migrate` serializes concurrent callers). The store's logic is written once against it.
//!
//! All sqlx generic bounds live in one place, [`exec`], and each dialect forwards to it
//! with its concrete types, so no bound leaks into the store or into user code.

pub(crate) mod exec;
pub(crate) mod sql;

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

/// The range of instants stored: MySQL's `DATETIME` runs from year 1000 to year 9999.
const MIN_STORED_TIME: chrono::DateTime<chrono::Utc> =
    match chrono::DateTime::from_timestamp_micros(-30_610_224_000_000_000) {
        Some(t) => t,
        None => chrono::DateTime::<chrono::Utc>::MIN_UTC,
    };
const MAX_STORED_TIME: chrono::DateTime<chrono::Utc> =
    match chrono::DateTime::from_timestamp_micros(253_402_300_799_999_999) {
        Some(t) => t,
        None => chrono::DateTime::<chrono::Utc>::MAX_UTC,
    };

/// A database the store can run on: SQLite, PostgreSQL or MySQL/MariaDB.
///
/// This trait is sealed; it is implemented for [`sqlx::Sqlite`] (feature `sqlite`),
/// [`sqlx::Postgres`] (feature `postgres`) and [`sqlx::MySql`] (feature `mysql`).
pub trait Dialect: private::Backend {}

pub(crate) mod private {
    use std::future::Future;
    use std::sync::Arc;

    use chrono::{DateTime, Utc};
    use sqlx::Pool;

    use super::exec::{Exec, Kind, Row, Value};
    use super::sql::{ColumnType, ParamKind, TableDef};

    /// The sealed supertrait of [`Dialect`](super::Dialect); crate-internal.
    pub trait Backend: sqlx::Database + Sized {
        /// Lists the column names of a table; binds the schema (text or NULL, meaning the
        /// connection's current one) and the table name.
        const COLUMNS_QUERY: &'static str;

        /// Whether quoted column names are compared case-sensitively by the database.
        const CASE_SENSITIVE_NAMES: bool;

        /// Quotes one identifier (already validated to `[A-Za-z_][A-Za-z0-9_]*`).
        fn quote(ident: &str) -> String;

        /// The placeholder text for the `n`th (1-based) bound value.
        fn param(n: usize, kind: ParamKind) -> String;

        /// The SQL column type for a column family.
        fn column_type(ty: ColumnType) -> &'static str;

        /// An expression reading a timestamp column as microseconds since the Unix epoch (BIGINT).
        fn time_expr(quoted_col: &str) -> String;

        /// An expression reading the session id column as text.
        fn key_expr(quoted_col: &str) -> String {
            quoted_col.to_owned()
        }

        /// An expression reading a JSON column as text.
        fn json_expr(quoted_col: &str) -> String;

        /// How a UTC instant is bound for this dialect's timestamp columns.
        fn encode_time(t: DateTime<Utc>) -> Value;

        /// A UTC instant as bound to a timestamp column, clamped to the range every
        /// dialect can store (years 1000 to 9999), so that an absurd expiry is stored as
        /// "never" or "long expired" instead of failing on one dialect and not another.
        fn time_value(t: DateTime<Utc>) -> Value {
            Self::encode_time(t.clamp(super::MIN_STORED_TIME, super::MAX_STORED_TIME))
        }

        /// The clause that turns an `INSERT` into an upsert on the key column.
        fn upsert_clause(quoted_key: &str, quoted_cols: &[String]) -> String;

        /// A statement deleting at most `limit` expired rows, through the index on expiry.
        /// Binds, in order: now (time), limit (int).
        fn delete_expired_batch(def: &TableDef) -> String;

        /// The statements that create the table and its indexes if they are missing.
        fn create_table(def: &TableDef) -> Vec<String>;

        /// Runs `ddl` so that concurrent callers (other tasks or processes) don't collide.
        fn migrate(
            pool: &Pool<Self>,
            ddl: &[Arc<str>],
            lock_key: i64,
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

        /// Tries, without waiting, to take the lock that lets one instance at a time run the
        /// expiry reaper on this table; `Ok(true)` when `conn` now holds it. The lock belongs
        /// to the connection's session, so it is freed if the connection dies. Dialects
        /// without such a lock (SQLite: one file, writers already serialized) return `true`.
        fn try_reaper_lock(
            conn: &mut Self::Connection,
            lock_key: i64,
        ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

        /// Releases what [`try_reaper_lock`](Self::try_reaper_lock) took on `conn`.
        fn release_reaper_lock(
            conn: &mut Self::Connection,
            lock_key: i64,
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

        /// Runs one statement; returns the number of rows affected.
        fn execute(
            ex: Exec<'_, Self>,
            sql: Arc<str>,
            args: Vec<Value>,
        ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

        /// Runs one query and decodes each row's columns as `kinds`.
        fn fetch(
            ex: Exec<'_, Self>,
            sql: Arc<str>,
            args: Vec<Value>,
            kinds: &'static [Kind],
        ) -> impl Future<Output = Result<Vec<Row>, sqlx::Error>> + Send;

        /// Whether an error is a unique-key violation (an id collision on insert).
        fn is_unique_violation(e: &sqlx::Error) -> bool {
            e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
        }
    }
}

/// Forwards `execute` and `fetch` to the generic helpers in [`exec`] with a concrete database.
macro_rules! forward_exec {
    () => {
        fn execute(
            ex: $crate::dialect::exec::Exec<'_, Self>,
            sql: std::sync::Arc<str>,
            args: Vec<$crate::dialect::exec::Value>,
        ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send {
            $crate::dialect::exec::execute::<Self>(ex, sql, args)
        }

        fn fetch(
            ex: $crate::dialect::exec::Exec<'_, Self>,
            sql: std::sync::Arc<str>,
            args: Vec<$crate::dialect::exec::Value>,
            kinds: &'static [$crate::dialect::exec::Kind],
        ) -> impl std::future::Future<
            Output = Result<Vec<$crate::dialect::exec::Row>, sqlx::Error>,
        > + Send {
            $crate::dialect::exec::fetch::<Self>(ex, sql, args, kinds)
        }
    };
}
pub(crate) use forward_exec;
