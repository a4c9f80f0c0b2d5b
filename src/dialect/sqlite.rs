//! SQLite: timestamps as INTEGER microseconds since the Unix epoch (UTC), JSON as TEXT.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{Pool, Sqlite, SqliteConnection};

use super::bind::{self, SqlKind, SqlValue};
use super::private::Backend;
use crate::fields::ColumnKind;
use crate::schema::{ColumnType, Table};

impl super::Dialect for Sqlite {}

impl Backend for Sqlite {
    // A column is a key when it is the whole primary key, or a unique index has it alone.
    const COLUMNS_QUERY: &'static str = "SELECT c.name, c.type, \
         CASE WHEN (c.pk = 1 AND (SELECT COUNT(*) FROM pragma_table_info(?2, ?1) WHERE pk > 0) = 1) \
         OR EXISTS (SELECT 1 FROM pragma_index_list(?2, ?1) il \
           WHERE il.\"unique\" = 1 AND il.partial = 0 \
           AND (SELECT COUNT(*) FROM pragma_index_info(il.name, ?1)) = 1 \
           AND (SELECT ii.name FROM pragma_index_info(il.name, ?1) ii) = c.name) \
         THEN 1 ELSE 0 END \
         FROM pragma_table_info(?2, ?1) c";
    const CASE_SENSITIVE_NAMES: bool = false;
    const TIME_PARAM_KIND: SqlKind = SqlKind::Int;

    fn quote(ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    fn placeholder(_n: usize, _ty: ColumnType) -> String {
        "?".to_owned()
    }

    fn column_type(ty: ColumnType) -> &'static str {
        match ty {
            ColumnType::SessionId
            | ColumnType::Of(ColumnKind::Text)
            | ColumnType::Of(ColumnKind::Json) => "TEXT",
            ColumnType::Of(ColumnKind::Timestamp)
            | ColumnType::Of(ColumnKind::Integer)
            | ColumnType::Of(ColumnKind::Boolean) => "INTEGER",
        }
    }

    fn column_problem(ty: ColumnType, declared: &str) -> Option<String> {
        // The store writes timestamps as integer microseconds. SQLite keeps them as integers
        // in a column of INTEGER, NUMERIC or no affinity, but turns them into text (TEXT
        // affinity) or floats (REAL affinity), which then compare wrongly.
        let upper = declared.to_ascii_uppercase();
        let text = ["CHAR", "CLOB", "TEXT"].iter().any(|t| upper.contains(t));
        let real = ["REAL", "FLOA", "DOUB"].iter().any(|t| upper.contains(t));
        match ty {
            ColumnType::Of(ColumnKind::Timestamp) if !upper.contains("INT") && (text || real) => {
                Some(format!(
                    "is `{declared}`; the store writes integer microseconds and needs INTEGER"
                ))
            }
            _ => None,
        }
    }

    fn time_expr(quoted_col: &str) -> String {
        quoted_col.to_owned()
    }

    fn json_expr(quoted_col: &str) -> String {
        quoted_col.to_owned()
    }

    fn unclamped_time_param(t: DateTime<Utc>) -> SqlValue {
        SqlValue::Int(Some(t.timestamp_micros()))
    }

    fn upsert_clause(quoted_key: &str, quoted_cols: &[String]) -> String {
        super::shared_sql::on_conflict_clause(quoted_key, quoted_cols)
    }

    fn delete_expired_batch(table: &Table) -> String {
        // SQLite has no DELETE ... LIMIT (unless built with an option); the subquery
        // walks the expiry index and stops at the limit.
        let t = Self::qualified(table);
        let sid = Self::quote(table.sid.as_str());
        let expires = Self::quote(table.expires.as_str());
        format!(
            "DELETE FROM {t} WHERE {sid} IN \
             (SELECT {sid} FROM {t} WHERE {expires} <= ? ORDER BY {expires} LIMIT ?)"
        )
    }

    fn create_table(table: &Table) -> Vec<String> {
        let mut stmts = vec![super::shared_sql::create_table_sql::<Self>(table, "")];
        for (index, column) in table.indexes() {
            // SQLite puts the schema on the index name, not on the table.
            let index = match &table.schema {
                Some(s) => format!("{}.{}", Self::quote(s.as_str()), Self::quote(&index)),
                None => Self::quote(&index),
            };
            stmts.push(format!(
                "CREATE INDEX IF NOT EXISTS {index} ON {} ({})",
                Self::quote(table.name.as_str()),
                Self::quote(column.as_str())
            ));
        }
        stmts
    }

    async fn migrate(
        pool: &Pool<Self>,
        ddl: &[Arc<str>],
        _lock_key: i64,
    ) -> Result<(), sqlx::Error> {
        // SQLite serializes writers on the database file, and `IF NOT EXISTS` is checked
        // under that lock; one transaction makes the table and its index appear together.
        let mut tx = pool.begin().await?;
        for stmt in ddl {
            bind::execute_with::<Self>(&mut *tx, stmt.clone(), &[], false).await?;
        }
        tx.commit().await
    }

    async fn try_reaper_lock(
        _conn: &mut SqliteConnection,
        _lock_key: i64,
    ) -> Result<bool, sqlx::Error> {
        // One database file: concurrent reapers already take turns on its write lock, and
        // there is no cross-process named lock to take.
        Ok(true)
    }

    async fn release_reaper_lock(
        _conn: &mut SqliteConnection,
        _lock_key: i64,
    ) -> Result<(), sqlx::Error> {
        Ok(())
    }

    super::forward_run!();

    fn is_transient(_: &sqlx::Error) -> bool {
        // SQLite serializes writers itself and waits out a busy database (sqlx's
        // `busy_timeout`, 5 s by default) before it reports one: nothing to retry on top.
        false
    }
}
