//! SQLite: timestamps as INTEGER microseconds since the Unix epoch (UTC), JSON as TEXT.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{Pool, Sqlite, SqliteConnection};

use super::exec::{self, Exec, Value};
use super::private::Backend;
use super::sql::{ColumnType, ParamKind, TableDef};

impl super::Dialect for Sqlite {}

impl Backend for Sqlite {
    const COLUMNS_QUERY: &'static str = "SELECT name FROM pragma_table_info(?2, ?1)";
    const CASE_SENSITIVE_NAMES: bool = false;

    fn quote(ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    fn param(_n: usize, _kind: ParamKind) -> String {
        "?".to_owned()
    }

    fn column_type(ty: ColumnType) -> &'static str {
        match ty {
            ColumnType::SessionId | ColumnType::Text | ColumnType::Json => "TEXT",
            ColumnType::Timestamp | ColumnType::Integer | ColumnType::Boolean => "INTEGER",
        }
    }

    fn time_expr(quoted_col: &str) -> String {
        quoted_col.to_owned()
    }

    fn json_expr(quoted_col: &str) -> String {
        quoted_col.to_owned()
    }

    fn encode_time(t: DateTime<Utc>) -> Value {
        Value::Int(Some(t.timestamp_micros()))
    }

    fn upsert_clause(quoted_key: &str, quoted_cols: &[String]) -> String {
        super::sql::on_conflict_clause(quoted_key, quoted_cols)
    }

    fn delete_expired_batch(def: &TableDef) -> String {
        // SQLite has no DELETE ... LIMIT (unless built with an option); the subquery
        // walks the expiry index and stops at the limit.
        let t = def.qualified::<Self>();
        let sid = Self::quote(def.sid.as_str());
        let expires = Self::quote(def.expires.as_str());
        format!(
            "DELETE FROM {t} WHERE {sid} IN \
             (SELECT {sid} FROM {t} WHERE {expires} <= ? ORDER BY {expires} LIMIT ?)"
        )
    }

    fn create_table(def: &TableDef) -> Vec<String> {
        let mut stmts = vec![super::sql::create_table_sql::<Self>(def, "")];
        for (index, column) in def.indexes() {
            // SQLite puts the schema on the index name, not on the table.
            let index = match &def.schema {
                Some(s) => format!("{}.{}", Self::quote(s.as_str()), Self::quote(&index)),
                None => Self::quote(&index),
            };
            stmts.push(format!(
                "CREATE INDEX IF NOT EXISTS {index} ON {} ({})",
                def.quoted::<Self>(),
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
            exec::execute::<Self>(Exec::Conn(&mut *tx), stmt.clone(), Vec::new()).await?;
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

    super::forward_exec!();
}
