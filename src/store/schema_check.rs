//! The table's schema: the statements `migrate` runs, running them, and the check that an
//! existing table has every column the store needs, run once before the first operation.

use std::time::Instant;

use super::row::text_param;
use super::SqlStore;
use crate::dialect::bind::{SqlKind, SqlValue};
use crate::dialect::{Dialect, MIGRATE_LOCK_WAIT};
use crate::error::{Error, Result};
use crate::ident::Ident;
use crate::op::Op;
use crate::schema::ColumnType;

impl<DB: Dialect> SqlStore<DB> {
    /// The SQL statements `migrate` runs, for review or for your own migration tool.
    ///
    /// For the default table they are the files under `migrations/<dialect>/`.
    pub fn migration_sql(&self) -> Vec<String> {
        self.inner
            .sql
            .migrate
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Creates the table and its index on the expiry column if they are missing.
    ///
    /// Idempotent, and safe when several tasks or processes call it at once (PostgreSQL
    /// takes an advisory lock, MySQL a named lock, SQLite its write lock). It never
    /// alters an existing table. Its statements are [`migration_sql`](Self::migration_sql).
    pub async fn migrate(&self) -> Result<()> {
        let started = Instant::now();
        // The DDL, plus up to a minute's wait for another process's migration of this table.
        let budget = self.inner.options.operation_timeout + MIGRATE_LOCK_WAIT;
        let ddl = DB::migrate(
            &self.inner.pool,
            &self.inner.sql.migrate,
            self.inner.table.lock_key(),
        );
        crate::timer::timeout(budget, ddl)
            .await
            .ok_or(Error::timeout(Op::Migrate, budget))?
            .map_err(Error::db(Op::Migrate))?;
        self.verify_schema().await?;
        let _ = self.inner.schema_checked.set(());
        self.trace(Op::Migrate, started, 0);
        Ok(())
    }

    /// Checks that the table exists and has every column the store needs (core columns
    /// under their configured names, and the custom ones); otherwise
    /// [`Error::MissingColumns`] names what is missing.
    ///
    /// The store runs this once by itself, before its first operation, so an app-managed
    /// table that does not match the builder is reported clearly instead of as an SQL
    /// error. Call it at start-up to fail fast.
    pub async fn verify_schema(&self) -> Result<()> {
        let found = self.table_columns().await?;
        let table = &self.inner.table;
        let find = |name: &str| {
            found.iter().find(|f| {
                if DB::CASE_SENSITIVE_NAMES {
                    f.name == name
                } else {
                    f.name.eq_ignore_ascii_case(name)
                }
            })
        };
        let columns = table.columns();
        let missing: Vec<String> = columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|name| find(name).is_none())
            .map(str::to_owned)
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingColumns {
                table: table.display_name(),
                missing,
            });
        }
        for col in &columns {
            if let Some(found) = find(col.name.as_str()) {
                self.check_column(col.ty, col.name, found)?;
            }
        }
        Ok(())
    }

    /// The table's columns as the database describes them.
    async fn table_columns(&self) -> Result<Vec<FoundColumn>> {
        let table = &self.inner.table;
        let rows = self
            .fetch_unchecked(
                Op::VerifySchema,
                &self.inner.sql.list_columns,
                &[
                    SqlValue::Text(table.schema.as_ref().map(|s| s.as_str().to_owned())),
                    text_param(table.name.as_str()),
                ],
                &[SqlKind::Text, SqlKind::Text, SqlKind::Int],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let mut cols = r.into_iter();
                Some(FoundColumn {
                    name: cols.next().and_then(SqlValue::into_text)?,
                    declared: cols
                        .next()
                        .and_then(SqlValue::into_text)
                        .unwrap_or_default(),
                    own_key: cols.next().and_then(SqlValue::into_int) == Some(1),
                })
            })
            .collect())
    }

    /// Whether the column found for `ty` (named `name` in the table model) can work as the
    /// store needs it.
    fn check_column(&self, ty: ColumnType, name: &Ident, found: &FoundColumn) -> Result<()> {
        let table = &self.inner.table;
        let incompatible = |problem: String| Error::IncompatibleSchema {
            table: table.display_name(),
            column: found.name.clone(),
            problem,
        };
        if ty == ColumnType::SessionId && !found.own_key {
            return Err(incompatible(
                "is not a key of its own (no primary key or unique index on it alone), \
                 so each save would add a row"
                    .to_owned(),
            ));
        }
        if let Some(problem) = DB::column_problem(ty, &found.declared) {
            return Err(incompatible(problem));
        }
        if table.version.as_ref() == Some(name) && !DB::holds_i64(&found.declared) {
            return Err(incompatible(format!(
                "is `{}`; the version column holds 64-bit numbers: BIGINT",
                found.declared
            )));
        }
        Ok(())
    }

    /// The one-time schema check, before an operation's first statement.
    pub(crate) async fn ready(&self) -> Result<()> {
        if !self.inner.schema_checked.initialized() {
            self.inner
                .schema_checked
                .get_or_try_init(|| self.verify_schema())
                .await?;
        }
        Ok(())
    }
}

/// A column of the table as the database describes it.
struct FoundColumn {
    name: String,
    /// Its declared type, as the database spells it.
    declared: String,
    /// Whether it alone is a key (the primary key, or a unique index on it only).
    own_key: bool,
}
