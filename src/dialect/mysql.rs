//! MySQL and MariaDB: `DATETIME(6)` holding UTC, `LONGTEXT` data, binary-collated ids.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{MySql, MySqlConnection, Pool};

use super::bind::{self, SqlKind, SqlValue};
use super::private::Backend;
use crate::fields::ColumnKind;
use crate::schema::{ColumnType, Table};

impl super::Dialect for MySql {}

impl Backend for MySql {
    // A column is a key when a unique index (or the primary key) has it as its only column.
    const COLUMNS_QUERY: &'static str = "SELECT CAST(c.column_name AS CHAR), \
         CAST(CONCAT(c.column_type, IFNULL(CONCAT(' collate ', c.collation_name), '')) AS CHAR), \
         CAST(EXISTS (SELECT 1 FROM information_schema.statistics s \
           WHERE s.table_schema = c.table_schema AND s.table_name = c.table_name \
           AND s.column_name = c.column_name AND s.non_unique = 0 AND s.sub_part IS NULL \
           AND NOT EXISTS (SELECT 1 FROM information_schema.statistics o \
             WHERE o.table_schema = s.table_schema AND o.table_name = s.table_name \
             AND o.index_name = s.index_name AND o.seq_in_index > 1)) AS SIGNED) \
         FROM information_schema.columns c \
         WHERE c.table_schema = COALESCE(?, DATABASE()) AND c.table_name = ?";
    const CASE_SENSITIVE_NAMES: bool = false;
    const TIME_PARAM_KIND: SqlKind = SqlKind::Text;

    fn quote(ident: &str) -> String {
        format!("`{}`", ident.replace('`', "``"))
    }

    fn placeholder(_n: usize, _ty: ColumnType) -> String {
        "?".to_owned()
    }

    fn column_type(ty: ColumnType) -> &'static str {
        match ty {
            // Bytes, compared exactly: ids are case-sensitive secrets (`aB` is not `Ab`), and
            // unlike the PAD SPACE `_bin` collations, `abc` is not `abc `.
            ColumnType::SessionId => "VARBINARY(255)",
            // LONGTEXT holds up to 4 GiB (TEXT stops at 64 KiB).
            ColumnType::Of(ColumnKind::Json) => "LONGTEXT CHARACTER SET utf8mb4",
            // DATETIME has no time zone: the store always writes and compares UTC, so the
            // session `time_zone` never shifts it (TIMESTAMP would be converted).
            ColumnType::Of(ColumnKind::Timestamp) => "DATETIME(6)",
            // Case-sensitive like text on the other dialects (the default collation is not).
            ColumnType::Of(ColumnKind::Text) => {
                "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            }
            ColumnType::Of(ColumnKind::Integer) => "BIGINT",
            ColumnType::Of(ColumnKind::Boolean) => "BOOLEAN",
        }
    }

    fn column_problem(ty: ColumnType, declared: &str) -> Option<String> {
        let declared = declared.to_ascii_lowercase();
        match ty {
            // Ids are secrets compared exactly: a collation (other than a binary one without
            // padding) makes `abc` match `ABC` or `abc `, two sessions one row.
            ColumnType::SessionId
                if declared.contains(" collate ") && !declared.ends_with("_nopad_bin") =>
            {
                Some(format!(
                    "is `{declared}`, which compares ids by a collation; the store needs \
                     VARBINARY(255) (bytes, compared exactly)"
                ))
            }
            ColumnType::Of(ColumnKind::Timestamp) if !declared.starts_with("datetime") => {
                Some(format!(
                    "is `{declared}`; the store needs DATETIME (a TIMESTAMP is converted \
                     through the connection's time_zone)"
                ))
            }
            _ => None,
        }
    }

    fn holds_i64(declared: &str) -> bool {
        // `bigint`, `bigint(20)`; not `bigint unsigned`, which refuses negative numbers.
        let declared = declared.to_ascii_lowercase();
        declared.starts_with("bigint") && !declared.contains("unsigned")
    }

    fn time_expr(quoted_col: &str) -> String {
        format!("TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {quoted_col})")
    }

    fn key_expr(quoted_col: &str) -> String {
        // The id column is VARBINARY; ids are written from Rust strings, so valid UTF-8.
        format!("CONVERT({quoted_col} USING utf8mb4)")
    }

    fn json_expr(quoted_col: &str) -> String {
        quoted_col.to_owned()
    }

    fn unclamped_time_param(t: DateTime<Utc>) -> SqlValue {
        SqlValue::Text(Some(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()))
    }

    fn upsert_clause(_quoted_key: &str, quoted_cols: &[String]) -> String {
        // `VALUES(col)` works on MariaDB and MySQL (deprecated there since 8.0.20 in
        // favour of a row alias, which MariaDB lacks).
        let sets: Vec<String> = quoted_cols
            .iter()
            .map(|c| format!("{c} = VALUES({c})"))
            .collect();
        format!("ON DUPLICATE KEY UPDATE {}", sets.join(", "))
    }

    fn delete_expired_batch(table: &Table) -> String {
        let t = Self::qualified(table);
        let expires = Self::quote(table.expires.as_str());
        format!("DELETE FROM {t} WHERE {expires} <= ? ORDER BY {expires} LIMIT ?")
    }

    fn create_table(table: &Table) -> Vec<String> {
        // Indexes are declared inside CREATE TABLE: MySQL has no CREATE INDEX IF NOT EXISTS.
        let indexes: String = table
            .indexes()
            .iter()
            .map(|(index, column)| {
                format!(
                    ",\n    INDEX {} ({})",
                    Self::quote(index),
                    Self::quote(column.as_str())
                )
            })
            .collect();
        let mut sql = super::shared_sql::create_table_sql::<Self>(table, &indexes);
        sql.push_str(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
        vec![sql]
    }

    async fn migrate(
        pool: &Pool<Self>,
        ddl: &[Arc<str>],
        lock_key: i64,
    ) -> Result<(), sqlx::Error> {
        // A named lock on one connection serializes migrations of the same table across
        // processes; it is released even if a statement fails. The connection is closed
        // afterwards rather than returned to the pool, so that a migration cancelled
        // mid-way (a timeout, a shutdown) can never leave the lock held by a pooled session.
        let mut conn = pool.acquire().await?;
        conn.close_on_drop();
        let name = format!("sqlx_session_store:{lock_key:x}");
        let got = bind::fetch_with::<Self>(
            &mut *conn,
            Arc::from("SELECT CAST(GET_LOCK(?, ?) AS SIGNED)"),
            &[
                SqlValue::Text(Some(name.clone())),
                SqlValue::Int(Some(
                    i64::try_from(super::MIGRATE_LOCK_WAIT.as_secs()).unwrap_or(i64::MAX),
                )),
            ],
            &[SqlKind::Int],
            true,
        )
        .await?;
        if got.first().and_then(|r| r.first()) != Some(&SqlValue::Int(Some(1))) {
            return Err(sqlx::Error::Protocol(
                "timed out waiting for another migration of this table (GET_LOCK)".into(),
            ));
        }
        let mut result = Ok(());
        for stmt in ddl {
            if let Err(e) = bind::execute_with::<Self>(&mut *conn, stmt.clone(), &[], false).await {
                result = Err(e);
                break;
            }
        }
        bind::execute_with::<Self>(
            &mut *conn,
            Arc::from("DO RELEASE_LOCK(?)"),
            &[SqlValue::Text(Some(name))],
            false,
        )
        .await?;
        result
    }

    async fn try_reaper_lock(
        conn: &mut MySqlConnection,
        lock_key: i64,
    ) -> Result<bool, sqlx::Error> {
        // A named lock belongs to the session; a timeout of 0 never waits.
        let rows = bind::fetch_with::<Self>(
            conn,
            Arc::from("SELECT CAST(GET_LOCK(?, 0) AS SIGNED)"),
            &[SqlValue::Text(Some(reaper_lock_name(lock_key)))],
            &[SqlKind::Int],
            true,
        )
        .await?;
        Ok(rows.first().and_then(|r| r.first()) == Some(&SqlValue::Int(Some(1))))
    }

    async fn release_reaper_lock(
        conn: &mut MySqlConnection,
        lock_key: i64,
    ) -> Result<(), sqlx::Error> {
        bind::execute_with::<Self>(
            conn,
            Arc::from("DO RELEASE_LOCK(?)"),
            &[SqlValue::Text(Some(reaper_lock_name(lock_key)))],
            true,
        )
        .await
        .map(drop)
    }

    super::forward_run!();

    fn is_transient(e: &sqlx::Error) -> bool {
        // ER_LOCK_DEADLOCK (also Galera's certification failures), ER_LOCK_WAIT_TIMEOUT:
        // in autocommit mode both roll the statement back whole.
        e.as_database_error()
            .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
            .is_some_and(|d| d.number() == 1213 || d.number() == 1205)
    }

    fn is_server_gone(e: &sqlx::Error) -> bool {
        // ER_UNKNOWN_COM_ERROR (Galera's "WSREP has not yet prepared node for application
        // use": the node left its cluster), ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED
        // (MariaDB), and a broken connection.
        match e {
            sqlx::Error::Io(_) => true,
            e => e
                .as_database_error()
                .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
                .is_some_and(|d| matches!(d.number(), 1047 | 1053 | 1927)),
        }
    }
}

/// The `GET_LOCK` name of the expiry reaper of one table (at most 64 characters).
fn reaper_lock_name(lock_key: i64) -> String {
    format!("sqlx_session_store:reaper:{lock_key:x}")
}
