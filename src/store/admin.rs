//! Queries for the people who run the store rather than for requests: the table's rows
//! live and expired, the range of their expiries, its size on disk, the most common values
//! of a custom column, its columns as the database describes them, a cleanup that can be
//! stopped between batches and reports what it deleted as it goes, and a `destroy` that
//! says whether it removed a row. The `sqlx-session-store` command line (feature `cli`) is
//! built on them.
//!
//! They run rarely, so their statements are built per call, from the store's validated,
//! quoted names, with every value bound. Where the databases differ and the dialect trait
//! has no hook (a cast to text, sizes on disk, type names), [`Engine`] picks the SQL.

use std::any::TypeId;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::row::text_param;
use super::{from_micros, SqlStore};
use crate::dialect::bind::{SqlKind, SqlValue};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::fields::ColumnKind;
use crate::op::Op;
use crate::schema::ColumnType;

const TIME: ColumnType = ColumnType::Of(ColumnKind::Timestamp);
const INT: ColumnType = ColumnType::Of(ColumnKind::Integer);

impl<DB: Dialect> SqlStore<DB> {
    /// The table's rows at one instant, as `(live, expired)`: live as
    /// [`length`](Self::length) counts them, expired all the others, which are the rows
    /// [`clear_expired_sessions`](Self::clear_expired_sessions) would delete now (past their
    /// expiry, or past [`max_lifetime`](crate::Builder::max_lifetime) when it is set).
    ///
    #[cfg_attr(feature = "sqlite", doc = "```")]
    #[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqlx_session_store::Result<()> {
    /// use chrono::{TimeDelta, Utc};
    /// use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
    ///
    /// let store = SqliteStore::new(SqlitePool::connect("sqlite::memory:").await.unwrap());
    /// store.migrate().await?;
    /// store.set("live", &serde_json::json!({}), None).await?;
    /// let an_hour_ago = Utc::now() - TimeDelta::hours(1);
    /// store.set("over", &serde_json::json!({}), Some(an_hour_ago)).await?;
    /// let counts = store.row_counts().await?;
    /// assert_eq!((counts.live, counts.expired), (1, 1));
    /// # Ok(()) }
    /// ```
    pub async fn row_counts(&self) -> Result<RowCounts> {
        let started = Instant::now();
        let sql = format!(
            "SELECT COUNT(*), COUNT(CASE WHEN {} > {}{} THEN 1 END) FROM {}",
            self.quoted_expires(),
            DB::placeholder(1, TIME),
            self.lifetime_condition(2),
            DB::qualified(&self.inner.table),
        );
        let args = self.with_lifetime(vec![DB::time_param(Utc::now())]);
        let row = self
            .fetch_one(Op::Stats, sql, &args, &[SqlKind::Int, SqlKind::Int])
            .await?;
        let mut cols = row.into_iter().map(|v| count(v.into_int()));
        let (total, live) = (cols.next().unwrap_or(0), cols.next().unwrap_or(0));
        self.trace(Op::Stats, started, 1);
        Ok(RowCounts {
            live,
            expired: total.saturating_sub(live),
        })
    }

    /// The earliest and the latest expiry among all the table's rows, live or expired;
    /// `None` when the table is empty.
    pub async fn expiry_range(&self) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let started = Instant::now();
        let e = self.quoted_expires();
        let sql = format!(
            "SELECT {}, {} FROM {}",
            DB::time_expr(&format!("MIN({e})")),
            DB::time_expr(&format!("MAX({e})")),
            DB::qualified(&self.inner.table),
        );
        let row = self
            .fetch_one(Op::Stats, sql, &[], &[SqlKind::Time, SqlKind::Time])
            .await?;
        self.trace(Op::Stats, started, 1);
        let mut cols = row.into_iter().map(SqlValue::into_int);
        match (cols.next().flatten(), cols.next().flatten()) {
            (Some(min), Some(max)) => Ok(Some((
                from_micros(min, "expires is out of range")?,
                from_micros(max, "expires is out of range")?,
            ))),
            _ => Ok(None),
        }
    }

    /// The table's size on disk as the database reports it;
    /// `None` where the database does not report it.
    ///
    /// PostgreSQL: `pg_total_relation_size` less `pg_indexes_size` (the rows, with their
    /// TOAST), and `pg_indexes_size`. MySQL and MariaDB: `information_schema.TABLES`'
    /// `data_length` (InnoDB: the rows, in the primary key) and `index_length` (the other
    /// indexes), which InnoDB estimates from its statistics. SQLite: the pages of the table
    /// and of its indexes, from the `dbstat` virtual table; `None` when SQLite was built
    /// without it (then see [`database_size`](Self::database_size)).
    pub async fn table_size(&self) -> Result<Option<TableSize>> {
        let started = Instant::now();
        let (sql, args) = match Engine::of::<DB>() {
            #[cfg(feature = "sqlite")]
            Some(Engine::Sqlite) => {
                let has_dbstat = self
                    .fetch_one(
                        Op::Stats,
                        "SELECT sqlite_compileoption_used('ENABLE_DBSTAT_VTAB')".to_owned(),
                        &[],
                        &[SqlKind::Int],
                    )
                    .await?;
                if has_dbstat.first() != Some(&SqlValue::Int(Some(1))) {
                    return Ok(None);
                }
                (
                    "SELECT COALESCE(SUM(CASE WHEN name = ?1 THEN pgsize END), 0), \
                     COALESCE(SUM(CASE WHEN name <> ?1 THEN pgsize END), 0) \
                     FROM dbstat(COALESCE(?2, 'main')) \
                     WHERE name = ?1 OR name IN (SELECT il.name FROM pragma_index_list(?1, ?2) il)"
                        .to_owned(),
                    vec![self.name_param(), self.schema_param()],
                )
            }
            #[cfg(feature = "postgres")]
            Some(Engine::Postgres) => (
                "SELECT pg_total_relation_size(r) - pg_indexes_size(r), pg_indexes_size(r) \
                 FROM (SELECT to_regclass($1) AS r) AS t"
                    .to_owned(),
                vec![text_param(&DB::qualified(&self.inner.table))],
            ),
            #[cfg(feature = "mysql")]
            Some(Engine::MySql) => (
                "SELECT CAST(data_length AS SIGNED), CAST(index_length AS SIGNED) \
                 FROM information_schema.tables \
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?"
                    .to_owned(),
                vec![self.schema_param(), self.name_param()],
            ),
            None => return Ok(None),
        };
        let row = self
            .fetch_one(Op::Stats, sql, &args, &[SqlKind::Int, SqlKind::Int])
            .await?;
        self.trace(Op::Stats, started, 1);
        let mut cols = row.into_iter().map(SqlValue::into_int);
        Ok(match (cols.next().flatten(), cols.next().flatten()) {
            (Some(data), Some(indexes)) => Some(TableSize {
                data_bytes: count(Some(data)),
                index_bytes: count(Some(indexes)),
            }),
            _ => None,
        })
    }

    /// The size of the whole database that holds the table, in bytes: on SQLite its file
    /// (page count times page size, of the attached database under
    /// [`schema_name`](crate::Builder::schema_name)), on PostgreSQL `pg_database_size` of the
    /// current database, on MySQL and MariaDB the tables of the table's database as
    /// `information_schema.TABLES` reports them. `None` where the database does not say.
    pub async fn database_size(&self) -> Result<Option<u64>> {
        let started = Instant::now();
        let (sql, args) = match Engine::of::<DB>() {
            #[cfg(feature = "sqlite")]
            Some(Engine::Sqlite) => (
                "SELECT c.page_count * s.page_size \
                 FROM pragma_page_count(COALESCE(?1, 'main')) c, \
                 pragma_page_size(COALESCE(?1, 'main')) s",
                vec![self.schema_param()],
            ),
            #[cfg(feature = "postgres")]
            Some(Engine::Postgres) => ("SELECT pg_database_size(current_database())", vec![]),
            #[cfg(feature = "mysql")]
            Some(Engine::MySql) => (
                "SELECT CAST(SUM(data_length + index_length) AS SIGNED) \
                 FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE())",
                vec![self.schema_param()],
            ),
            None => return Ok(None),
        };
        let row = self
            .fetch_one(Op::Stats, sql.to_owned(), &args, &[SqlKind::Int])
            .await?;
        self.trace(Op::Stats, started, 1);
        Ok(row
            .into_iter()
            .next()
            .and_then(SqlValue::into_int)
            .map(|n| count(Some(n))))
    }

    /// The `limit` most common values of custom `column` among the live sessions, each with
    /// how many live sessions have it: most common first, equal counts in value order. A
    /// value is read as text (`7` for an integer column), `None` for NULL.
    ///
    /// `column` must be declared on the builder (else [`Error::UnknownColumn`](crate::Error::UnknownColumn));
    /// its declared kind does not matter here, so a column the table has can be declared
    /// [`Column::text`](crate::Column::text) for this. Declare it `indexed` on a large table.
    pub async fn top_values(&self, column: &str, limit: u32) -> Result<Vec<(Option<String>, u64)>> {
        let (_, col) = self.inner.table.custom_column(column)?;
        let started = Instant::now();
        let c = Engine::of::<DB>().map_or_else(
            || DB::quote(col.name.as_str()),
            |engine| engine.as_text(&DB::quote(col.name.as_str())),
        );
        let sql =
            format!(
            "SELECT {c}, COUNT(*) FROM {} WHERE {} > {}{} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {}",
            DB::qualified(&self.inner.table),
            self.quoted_expires(),
            DB::placeholder(1, TIME),
            self.lifetime_condition(2),
            DB::placeholder(if self.lifetime_cutoff().is_some() { 3 } else { 2 }, INT),
        );
        let mut args = self.with_lifetime(vec![DB::time_param(Utc::now())]);
        args.push(SqlValue::Int(Some(i64::from(limit))));
        let rows = self
            .fetch(
                Op::Stats,
                &Arc::from(sql),
                &args,
                &[SqlKind::Text, SqlKind::Int],
            )
            .await?;
        self.trace(Op::Stats, started, rows.len() as u64);
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut cols = row.into_iter();
                let value = cols.next().and_then(SqlValue::into_text);
                (value, count(cols.next().and_then(SqlValue::into_int)))
            })
            .collect())
    }

    /// The table's columns as the database describes them, in no set order: each name as
    /// the database spells it, with the kind of custom column it can serve as, read from
    /// its declared type (`None` when that is none of the [`ColumnKind`]s; on SQLite, by
    /// SQLite's type affinity, so every `INTEGER` column is `Integer`). Empty when the table
    /// does not exist. The core columns are listed too.
    pub async fn column_kinds(&self) -> Result<Vec<(String, Option<ColumnKind>)>> {
        let rows = self
            .fetch_unchecked(
                Op::Stats,
                &self.inner.sql.list_columns,
                &[self.schema_param(), self.name_param()],
                &[SqlKind::Text, SqlKind::Text, SqlKind::Int],
            )
            .await?;
        let engine = Engine::of::<DB>();
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let mut cols = row.into_iter();
                let name = cols.next().and_then(SqlValue::into_text)?;
                let declared = cols
                    .next()
                    .and_then(SqlValue::into_text)
                    .unwrap_or_default();
                Some((name, engine.and_then(|e| e.kind_of(&declared))))
            })
            .collect())
    }

    /// [`destroy`](Self::destroy), returning how many rows it removed: 1 when the session
    /// was in the table (live or expired), 0 when not.
    pub async fn destroy_counted(&self, sid: &str) -> Result<u64> {
        self.destroy_row(sid).await
    }

    /// The schema's name as a value (NULL without one: the connection's current schema).
    fn schema_param(&self) -> SqlValue {
        SqlValue::Text(
            self.inner
                .table
                .schema
                .as_ref()
                .map(|s| s.as_str().to_owned()),
        )
    }

    /// The table's name as a value.
    fn name_param(&self) -> SqlValue {
        text_param(self.inner.table.name.as_str())
    }

    /// The quoted expiry column.
    fn quoted_expires(&self) -> String {
        DB::quote(self.inner.table.expires.as_str())
    }

    /// ` AND created_at > ?` with placeholder `n` when `max_lifetime` is set, else nothing:
    /// the condition whose value [`with_lifetime`](Self::with_lifetime) binds.
    fn lifetime_condition(&self, n: usize) -> String {
        match (
            &self.inner.options.max_lifetime,
            &self.inner.table.created_at,
        ) {
            (Some(_), Some(created)) => format!(
                " AND {} > {}",
                DB::quote(created.as_str()),
                DB::placeholder(n, TIME)
            ),
            _ => String::new(),
        }
    }

    /// Runs a query of one row (an aggregate) and gives its columns; no row reads as NULLs.
    async fn fetch_one(
        &self,
        op: Op,
        sql: String,
        args: &[SqlValue],
        kinds: &'static [SqlKind],
    ) -> Result<Vec<SqlValue>> {
        let rows = self.fetch(op, &Arc::from(sql), args, kinds).await?;
        Ok(rows
            .into_iter()
            .next()
            .unwrap_or_else(|| kinds.iter().map(|k| SqlValue::null(*k)).collect()))
    }
}

/// A count or size read as `i64`, as the `u64` it is (a negative one, which no database
/// gives, as 0).
fn count(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

/// The database under a store, for the statements of this file that differ between
/// databases where the dialect trait has no hook for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    #[cfg(feature = "sqlite")]
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
    #[cfg(feature = "mysql")]
    MySql,
}

impl Engine {
    /// The engine of `DB` (`Dialect` is sealed: it is one of these).
    fn of<DB: Dialect>() -> Option<Self> {
        let db = TypeId::of::<DB>();
        #[cfg(feature = "sqlite")]
        if db == TypeId::of::<sqlx::Sqlite>() {
            return Some(Engine::Sqlite);
        }
        #[cfg(feature = "postgres")]
        if db == TypeId::of::<sqlx::Postgres>() {
            return Some(Engine::Postgres);
        }
        #[cfg(feature = "mysql")]
        if db == TypeId::of::<sqlx::MySql>() {
            return Some(Engine::MySql);
        }
        let _ = db;
        None
    }

    /// `quoted` cast to text.
    fn as_text(self, quoted: &str) -> String {
        match self {
            #[cfg(feature = "mysql")]
            Engine::MySql => format!("CAST({quoted} AS CHAR)"),
            #[allow(unreachable_patterns)]
            _ => format!("CAST({quoted} AS TEXT)"),
        }
    }

    /// The kind of custom column that a column declared as `declared` (as the dialect's
    /// column listing spells it) can serve as.
    fn kind_of(self, declared: &str) -> Option<ColumnKind> {
        let d = declared.to_ascii_lowercase();
        match self {
            // SQLite's type affinity: INT anywhere is INTEGER, then CHAR, CLOB or TEXT.
            #[cfg(feature = "sqlite")]
            Engine::Sqlite if d.contains("int") => Some(ColumnKind::Integer),
            #[cfg(feature = "sqlite")]
            Engine::Sqlite if ["char", "clob", "text"].iter().any(|t| d.contains(t)) => {
                Some(ColumnKind::Text)
            }
            #[cfg(feature = "sqlite")]
            Engine::Sqlite => None,
            // `format_type`'s spelling.
            #[cfg(feature = "postgres")]
            Engine::Postgres => match d.as_str() {
                "bigint" | "integer" | "smallint" => Some(ColumnKind::Integer),
                "boolean" => Some(ColumnKind::Boolean),
                "json" | "jsonb" => Some(ColumnKind::Json),
                "text" => Some(ColumnKind::Text),
                _ if d.starts_with("character") => Some(ColumnKind::Text),
                _ if d.starts_with("timestamp") => Some(ColumnKind::Timestamp),
                _ => None,
            },
            // `information_schema.columns.column_type`, then ` collate ...`; BOOLEAN is
            // `tinyint(1)`, JSON on MariaDB is `longtext` (read as text).
            #[cfg(feature = "mysql")]
            Engine::MySql => {
                let starts = |prefixes: &[&str]| prefixes.iter().any(|p| d.starts_with(p));
                if starts(&["tinyint(1)"]) {
                    Some(ColumnKind::Boolean)
                } else if starts(&["bigint", "int", "mediumint", "smallint", "tinyint"]) {
                    Some(ColumnKind::Integer)
                } else if starts(&[
                    "varchar",
                    "char",
                    "tinytext",
                    "text",
                    "mediumtext",
                    "longtext",
                ]) {
                    Some(ColumnKind::Text)
                } else if starts(&["datetime", "timestamp"]) {
                    Some(ColumnKind::Timestamp)
                } else if starts(&["json"]) {
                    Some(ColumnKind::Json)
                } else {
                    None
                }
            }
        }
    }
}

/// The table's rows at one instant: see [`SqlStore::row_counts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowCounts {
    /// Rows a `get` would serve.
    pub live: u64,
    /// Every other row: what a cleanup would delete now.
    pub expired: u64,
}

/// The table's size on disk as the database reports it: see [`SqlStore::table_size`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableSize {
    /// The rows (PostgreSQL: with their TOAST; InnoDB: the primary key, which holds them).
    pub data_bytes: u64,
    /// The table's (other) indexes.
    pub index_bytes: u64,
}
