//! The per-database part of the store.
//!
//! [`Dialect`] is sealed: it is implemented for [`sqlx::Sqlite`], [`sqlx::Postgres`] and
//! [`sqlx::MySql`] when their cargo features are on, and carries every difference between
//! them (quoting, column types, placeholders, upsert and batched-delete idioms, how
//! `migrate` serializes concurrent callers). The store's logic is written once against it.
//!
//! All sqlx generic bounds live in one place, [`bind`], and each dialect forwards to it
//! with its concrete types, so no bound leaks into the store or into user code.

pub(crate) mod bind;

/// How long `migrate` may wait for another process's migration of the same table, on top
/// of the operation timeout (MySQL's `GET_LOCK` is given this long).
pub(crate) const MIGRATE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
mod shared_sql;

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

    use super::bind::{DecodedRow, SqlKind, SqlValue};
    use crate::schema::{ColumnType, Table};

    /// The sealed supertrait of [`Dialect`](super::Dialect); crate-internal.
    pub trait Backend: sqlx::Database + Sized {
        /// Lists a table's columns as (name, declared type, 1 when a unique index or the
        /// primary key has that column alone, else 0); binds the schema (text or NULL,
        /// meaning the connection's current one) and the table name.
        const COLUMNS_QUERY: &'static str;

        /// Whether quoted column names are compared case-sensitively by the database.
        const CASE_SENSITIVE_NAMES: bool;

        /// The variant of [`SqlValue`] a timestamp is bound as.
        const TIME_PARAM_KIND: SqlKind;

        /// Quotes one identifier (already validated to `[A-Za-z_][A-Za-z0-9_]*`).
        fn quote(ident: &str) -> String;

        /// `"schema"."table"` or `"table"`, quoted.
        fn qualified(table: &Table) -> String {
            let name = Self::quote(table.name.as_str());
            match &table.schema {
                Some(schema) => format!("{}.{name}", Self::quote(schema.as_str())),
                None => name,
            }
        }

        /// The placeholder text for the `n`th (1-based) value, bound to a column of `ty`.
        fn placeholder(n: usize, ty: ColumnType) -> String;

        /// The SQL type of a column.
        fn column_type(ty: ColumnType) -> &'static str;

        /// Why an existing column declared as `declared` cannot hold `ty` correctly, if it
        /// cannot (an app-managed table checked by `verify_schema`).
        fn column_problem(ty: ColumnType, declared: &str) -> Option<String>;

        /// Whether a column declared as `declared` holds any 64-bit integer (the version
        /// column's random numbers).
        fn holds_i64(declared: &str) -> bool {
            let _ = declared;
            true
        }

        /// An expression reading a timestamp column that `Micros` decodes: the bare column on
        /// PostgreSQL (binary `TIMESTAMPTZ`), microseconds since the Unix epoch (BIGINT) on
        /// SQLite and MySQL.
        fn time_expr(quoted_col: &str) -> String;

        /// An expression reading the session id column as text.
        fn key_expr(quoted_col: &str) -> String {
            quoted_col.to_owned()
        }

        /// An expression reading a JSON column as text.
        fn json_expr(quoted_col: &str) -> String;

        /// A UTC instant as this dialect binds it, as given: use [`time_param`](Self::time_param).
        fn unclamped_time_param(t: DateTime<Utc>) -> SqlValue;

        /// A UTC instant as bound to a timestamp column, clamped to the range every
        /// dialect can store (years 1000 to 9999), so that an absurd expiry is stored as
        /// "never" or "long expired" instead of failing on one dialect and not another.
        fn time_param(t: DateTime<Utc>) -> SqlValue {
            Self::unclamped_time_param(t.clamp(super::MIN_STORED_TIME, super::MAX_STORED_TIME))
        }

        /// The clause that turns an `INSERT` into an upsert on the key column.
        fn upsert_clause(quoted_key: &str, quoted_cols: &[String]) -> String;

        /// A statement deleting at most `limit` expired rows, through the index on expiry.
        /// Binds, in order: now (time), limit (int).
        fn delete_expired_batch(table: &Table) -> String;

        /// The statements that create the table and its indexes if they are missing.
        fn create_table(table: &Table) -> Vec<String>;

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

        /// Runs one statement; returns the number of rows affected. `persistent: false`
        /// prepares it unnamed, so that the server keeps nothing of it afterwards.
        fn execute(
            conn: &mut Self::Connection,
            sql: Arc<str>,
            args: &[SqlValue],
            persistent: bool,
        ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

        /// Runs one query and decodes each row's columns as `kinds`.
        fn fetch(
            conn: &mut Self::Connection,
            sql: Arc<str>,
            args: &[SqlValue],
            kinds: &'static [SqlKind],
            persistent: bool,
        ) -> impl Future<Output = Result<Vec<DecodedRow>, sqlx::Error>> + Send;

        /// Runs a parameterless statement with the simple query protocol (no prepared
        /// statement): `BEGIN`, `COMMIT`, `ROLLBACK`.
        fn simple(
            conn: &mut Self::Connection,
            sql: &'static str,
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

        /// Whether an error is a unique-key violation (an id collision on insert).
        fn is_unique_violation(e: &sqlx::Error) -> bool {
            e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
        }

        /// Whether an error means the statement lost a race with another transaction and
        /// was rolled back whole (a deadlock, a serialization failure, a lock wait timeout),
        /// so that running the same single statement again is safe.
        fn is_transient(e: &sqlx::Error) -> bool;

        /// Whether an error means this server connection cannot serve but another one may:
        /// the connection broke (an I/O error, the server closed it), or the server is
        /// shutting down or not ready for clients (a Galera node that left its cluster).
        /// The statement is then run again on a fresh connection.
        fn is_server_gone(e: &sqlx::Error) -> bool {
            matches!(e, sqlx::Error::Io(_))
        }
    }
}

/// Forwards `execute` and `fetch` to the generic helpers in [`bind`] with a concrete database.
macro_rules! forward_run {
    () => {
        fn execute(
            conn: &mut Self::Connection,
            sql: std::sync::Arc<str>,
            args: &[$crate::dialect::bind::SqlValue],
            persistent: bool,
        ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send {
            $crate::dialect::bind::execute_with::<Self>(conn, sql, args, persistent)
        }

        fn fetch(
            conn: &mut Self::Connection,
            sql: std::sync::Arc<str>,
            args: &[$crate::dialect::bind::SqlValue],
            kinds: &'static [$crate::dialect::bind::SqlKind],
            persistent: bool,
        ) -> impl std::future::Future<
            Output = Result<Vec<$crate::dialect::bind::DecodedRow>, sqlx::Error>,
        > + Send {
            $crate::dialect::bind::fetch_with::<Self>(conn, sql, args, kinds, persistent)
        }

        fn simple(
            conn: &mut Self::Connection,
            sql: &'static str,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send {
            $crate::dialect::bind::simple::<Self>(conn, sql)
        }
    };
}
pub(crate) use forward_run;
