//! `SqlStore<DB>`: the framework-neutral public API. All semantics live here.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::Pool;

use crate::dialect::run::{SqlKind, SqlValue};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::fields::{ColumnKind, ExtendFields, FieldValue};
use crate::options::Options;
use crate::reaper::handle::ReaperSlot;
use crate::record::{SessionInfo, SessionRecord};
use crate::schema::{ColumnType, Table};
use crate::sql::{CustomColumnQueries, Statements};

pub(crate) mod base;
mod bounded;
#[cfg(feature = "tower-sessions")]
pub(crate) mod fingerprint;
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
pub(crate) mod front;
pub(crate) mod known;
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
mod merge;
mod modify;
pub(crate) mod payload;
mod row;
mod transition;

use known::{Key, Known};
use payload::Payload;
use row::{encode_field, text_param, RowValues};

/// Longest session id accepted, in bytes (the MySQL key column is `VARBINARY(255)`;
/// the limit is the same on every dialect).
pub const MAX_SESSION_ID_LEN: usize = 255;

/// How many merged writes a save (or `modify`) tries when other writes of the session keep
/// coming between its read and its write; then [`Error::Conflict`].
pub(crate) const MERGE_ATTEMPTS: u32 = 5;

/// How long `migrate` may wait for another process's migration of the same table, on top
/// of the operation timeout (MySQL's `GET_LOCK` waits up to this long).
const MIGRATE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// A session store over an sqlx pool: one table, one row per session.
///
/// Cloning is cheap (an `Arc`); clones share the pool, the prepared SQL and the options.
/// `Debug` shows the dialect, table and options, never the pool's connection options.
///
#[cfg_attr(feature = "sqlite", doc = "```")]
#[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> sqlx_session_store::Result<()> {
/// use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
///
/// let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
/// let store = SqliteStore::new(pool);
/// store.migrate().await?;
///
/// store.set("a-session-id", &serde_json::json!({ "user_id": 7 }), None).await?;
/// let record = store.get("a-session-id").await?.expect("live session");
/// assert_eq!(record.data["user_id"], 7);
/// # Ok(()) }
/// ```
pub struct SqlStore<DB: Dialect> {
    inner: Arc<Inner<DB>>,
}

struct Inner<DB: Dialect> {
    pool: Pool<DB>,
    table: Table,
    options: Options,
    sql: Statements,
    reaper: ReaperSlot,
    /// Fills the custom columns (`extend_default_fields`).
    hook: Option<Arc<dyn ExtendFields>>,
    /// Set once the table is known to have every column the store needs.
    schema_checked: tokio::sync::OnceCell<()>,
    /// What this instance last loaded or wrote of each session (front-end saves).
    known: Known,
}

impl<DB: Dialect> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<DB: Dialect> fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("SqlStore")
            .field("dialect", &<DB as sqlx::Database>::NAME)
            .field("schema", &i.table.schema.as_ref().map(|s| s.as_str()))
            .field("table", &i.table.name.as_str())
            .field("options", &i.options)
            .field(
                "tracked_sessions",
                &format_args!("{} of {}", i.known.len(), i.known.capacity()),
            )
            .finish_non_exhaustive()
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// A store on table `sessions` with the default options (see [`Builder`](crate::Builder)).
    pub fn new(pool: Pool<DB>) -> Self {
        Self::from_parts(pool, Table::default(), Options::default(), None)
    }

    pub(crate) fn from_parts(
        pool: Pool<DB>,
        table: Table,
        options: Options,
        hook: Option<Arc<dyn ExtendFields>>,
    ) -> Self {
        let sql = Statements::new::<DB>(
            &table,
            options.touch_after > chrono::TimeDelta::zero(),
            options.max_lifetime.is_some(),
        );
        Self {
            inner: Arc::new(Inner {
                pool,
                table,
                sql,
                reaper: ReaperSlot::default(),
                hook,
                schema_checked: tokio::sync::OnceCell::new(),
                known: Known::new(options.tracked_sessions),
                options,
            }),
        }
    }

    /// The pool the store runs on.
    pub fn pool(&self) -> &Pool<DB> {
        &self.inner.pool
    }

    /// The table name.
    pub fn table_name(&self) -> &str {
        self.inner.table.name.as_str()
    }

    /// The interval configured for the expiry reaper.
    pub fn check_expiration_interval(&self) -> std::time::Duration {
        self.inner.options.check_expiration_interval
    }

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
        crate::rt::timeout(budget, ddl)
            .await
            .ok_or(Error::Timeout {
                operation: "migrate",
                after: budget,
            })?
            .map_err(Error::db("migrate"))?;
        self.verify_schema().await?;
        let _ = self.inner.schema_checked.set(());
        self.trace("migrate", started, 0);
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
        let table = &self.inner.table;
        let rows = self
            .fetch_unchecked(
                "verify_schema",
                &self.inner.sql.list_columns,
                &[
                    SqlValue::Text(table.schema.as_ref().map(|s| s.as_str().to_owned())),
                    text_param(table.name.as_str()),
                ],
                &[SqlKind::Text, SqlKind::Text, SqlKind::Int],
            )
            .await?;
        // (name, declared type, alone in a unique key)
        let found: Vec<(String, String, bool)> = rows
            .into_iter()
            .filter_map(|r| {
                let mut cols = r.into_iter();
                let name = cols.next().and_then(SqlValue::into_text)?;
                let declared = cols
                    .next()
                    .and_then(SqlValue::into_text)
                    .unwrap_or_default();
                let key = cols.next().and_then(SqlValue::into_int) == Some(1);
                Some((name, declared, key))
            })
            .collect();
        let find = |name: &str| {
            found.iter().find(|(f, _, _)| {
                if DB::CASE_SENSITIVE_NAMES {
                    f == name
                } else {
                    f.eq_ignore_ascii_case(name)
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
        let incompatible = |column: &str, problem: String| Error::IncompatibleSchema {
            table: table.display_name(),
            column: column.to_owned(),
            problem,
        };
        for col in &columns {
            let Some((name, declared, key)) = find(col.name.as_str()) else {
                continue;
            };
            if col.ty == ColumnType::SessionId && !key {
                return Err(incompatible(
                    name,
                    "is not a key of its own (no primary key or unique index on it alone), \
                     so each save would add a row"
                        .to_owned(),
                ));
            }
            if let Some(problem) = DB::column_problem(col.ty, declared) {
                return Err(incompatible(name, problem));
            }
            if table.version.as_ref() == Some(col.name) && !DB::holds_i64(declared) {
                return Err(incompatible(
                    name,
                    format!("is `{declared}`; the version column holds 64-bit numbers: BIGINT"),
                ));
            }
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

    /// The live session `sid`, or `None` if it is unknown or expired.
    ///
    /// An expired row is never returned, whether or not it has been cleaned up yet.
    /// A row whose data is not valid JSON gives [`Error::CorruptRow`] and is left as it is.
    pub async fn get(&self, sid: &str) -> Result<Option<SessionRecord>> {
        self.get_as(sid).await
    }

    /// [`get`](Self::get), with the data parsed straight from the row's JSON text into
    /// `T` (one pass, no [`serde_json::Value`] in between). Data that does not fit `T`
    /// gives [`Error::CorruptRow`]; the row is left as it is.
    ///
    #[cfg_attr(feature = "sqlite", doc = "```")]
    #[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqlx_session_store::Result<()> {
    /// # use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Login { user_id: u64 }
    ///
    /// # let store = SqliteStore::new(SqlitePool::connect("sqlite::memory:").await.unwrap());
    /// # store.migrate().await?;
    /// store.set_as("a-session-id", &Login { user_id: 7 }, None).await?;
    /// let login = store.get_as::<Login>("a-session-id").await?.expect("live");
    /// assert_eq!(login.data.user_id, 7);
    /// # Ok(()) }
    /// ```
    pub async fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        sid: &str,
    ) -> Result<Option<SessionRecord<T>>> {
        let Some(row) = self.fetch_row("get", sid).await? else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&row.text).map_err(Error::corrupt("data is not valid JSON"))?;
        Ok(Some(SessionRecord {
            data,
            expires: row.expires,
        }))
    }

    /// The live row `sid`: its data text (opened), expiry and version.
    async fn fetch_row(&self, op: &'static str, sid: &str) -> Result<Option<StoredRow>> {
        let stored = self.stored_id(sid)?;
        let started = Instant::now();
        let kinds: &[SqlKind] = if self.inner.table.version.is_some() {
            &[SqlKind::Text, SqlKind::Time, SqlKind::Int]
        } else {
            &[SqlKind::Text, SqlKind::Time]
        };
        let rows = self
            .fetch(
                op,
                &self.inner.sql.get,
                &self.with_lifetime(vec![text_param(&stored), DB::time_param(Utc::now())]),
                kinds,
            )
            .await?;
        self.trace(op, started, rows.len() as u64);
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let mut cols = row.into_iter();
        let (text, expires) = decode_columns(cols.next(), cols.next())?;
        let version = cols.next().and_then(SqlValue::into_int);
        let text = self.inner.options.at_rest.open(text, &stored)?;
        Ok(Some(StoredRow {
            text,
            expires,
            version,
        }))
    }

    /// Saves `data` under `sid` (one upsert), expiring at `expires`, or after
    /// `expiration` from now when `None`.
    pub async fn set(
        &self,
        sid: &str,
        data: &serde_json::Value,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.upsert(sid, Payload::value(data)?, expires).await
    }

    /// [`set`](Self::set) for any serializable data, serialized straight to JSON text
    /// (one pass, no [`serde_json::Value`] in between). Read it back with
    /// [`get_as`](Self::get_as).
    pub async fn set_as<T: serde::Serialize + ?Sized>(
        &self,
        sid: &str,
        data: &T,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.upsert(sid, Payload::serialize(data)?, expires).await
    }

    async fn upsert(
        &self,
        sid: &str,
        data: Payload<'_>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let args = self.row_values(sid, data, expires)?.insert_args();
        let started = Instant::now();
        let n = self.execute("set", &self.inner.sql.upsert, &args).await?;
        // What this instance remembers of the row (its expiry, its data) is no longer so.
        self.inner.known.forget(Key::of(sid));
        self.trace("set", started, n);
        Ok(())
    }

    /// Inserts a new session; returns `false`, writing nothing, if `sid` is already
    /// taken (by a live or an expired row), so that an id collision can never overwrite
    /// someone else's session. The front ends create their new sessions this way.
    ///
    /// (Named `insert`, not `create`, so that it never hides tower-sessions'
    /// `SessionStore::create` in an app that has that trait in scope.)
    pub async fn insert(
        &self,
        sid: &str,
        data: &serde_json::Value,
        expires: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let values = self.row_values(sid, Payload::value(data)?, expires)?;
        self.insert_row(values).await
    }

    async fn insert_row(&self, values: RowValues<'_>) -> Result<bool> {
        let started = Instant::now();
        let result = self
            .execute_raw("insert", &self.inner.sql.insert, &values.insert_args())
            .await?;
        let created = match result {
            Ok(_) => true,
            Err(e) if DB::is_unique_violation(&e) => false,
            Err(e) => return Err(Error::db("insert")(e)),
        };
        self.trace("insert", started, u64::from(created));
        Ok(created)
    }

    /// Replaces the data and expiry of an existing, live session; returns `false`, writing
    /// nothing, if `sid` is unknown, destroyed or expired. A session destroyed (or expired)
    /// while a request was still working on it is therefore never brought back by that
    /// request's save, whether or not cleanup has removed its row yet.
    pub async fn update(
        &self,
        sid: &str,
        data: &serde_json::Value,
        expires: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let values = self.row_values(sid, Payload::value(data)?, expires)?;
        let n = self.update_row(values, ExpiryWrite::New, None).await?;
        self.inner.known.forget(Key::of(sid));
        Ok(n > 0)
    }

    /// Runs `update` (or `update_data`, which leaves the stored expiry as it is); with
    /// `over`, only while the row still holds that version (`update_if`).
    pub(crate) async fn update_row(
        &self,
        values: RowValues<'_>,
        expiry: ExpiryWrite,
        over: Option<i64>,
    ) -> Result<u64> {
        let sql = &self.inner.sql;
        let with_expires = expiry == ExpiryWrite::New;
        let (op, statement) = match (&sql.update_if, over) {
            (Some([update, update_data]), Some(_)) => {
                ("update_if", if with_expires { update } else { update_data })
            }
            _ if with_expires => ("update", &sql.update),
            _ => ("update_data", &sql.update_data),
        };
        let mut args = values.update_args(with_expires);
        if sql.update_if.is_some() {
            args.extend(over.map(|v| SqlValue::Int(Some(v))));
        }
        let started = Instant::now();
        let n = self
            .execute(op, statement, &self.with_lifetime(args))
            .await?;
        self.trace(op, started, n);
        Ok(n)
    }

    /// Extends a live session's expiry to `expires` (or `expiration` from now) without
    /// touching its data. Returns whether a row was written.
    ///
    /// Writes nothing under `disable_touch`, nor when the stored expiry is already within
    /// `touch_after` of the new one (decided in the UPDATE's WHERE clause: no read first).
    /// An expired or unknown session is not revived.
    pub async fn touch(&self, sid: &str, expires: Option<DateTime<Utc>>) -> Result<bool> {
        check_sid(sid)?;
        if self.inner.options.disable_touch {
            return Ok(false);
        }
        let expires = expires.unwrap_or_else(|| self.default_expiry(Utc::now()));
        let written = self.touch_row(sid, expires).await?;
        // The stored expiry this instance remembers is no longer so.
        self.inner.known.forget(Key::of(sid));
        Ok(written)
    }

    /// The touch statement, its window checked in its WHERE clause.
    async fn touch_row(&self, sid: &str, expires: DateTime<Utc>) -> Result<bool> {
        let opts = &self.inner.options;
        let started = Instant::now();
        let now = Utc::now();
        let mut args = vec![DB::time_param(expires)];
        if self.inner.table.updated_at.is_some() {
            args.push(DB::time_param(now));
        }
        args.extend([text_param(&self.stored_id(sid)?), DB::time_param(now)]);
        if opts.touch_after > chrono::TimeDelta::zero() {
            let window_start = expires
                .checked_sub_signed(opts.touch_after)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            args.push(DB::time_param(window_start));
            args.push(DB::time_param(add_or_max(expires, opts.touch_after)));
        }
        let n = self
            .execute("touch", &self.inner.sql.touch, &self.with_lifetime(args))
            .await?;
        self.trace("touch", started, n);
        Ok(n > 0)
    }

    /// Deletes session `sid`. Deleting an unknown id is not an error.
    pub async fn destroy(&self, sid: &str) -> Result<()> {
        self.destroy_row(sid).await.map(drop)
    }

    /// Deletes session `sid`; how many rows that removed.
    pub(crate) async fn destroy_row(&self, sid: &str) -> Result<u64> {
        let stored = self.stored_id(sid)?;
        let started = Instant::now();
        let n = self
            .execute("destroy", &self.inner.sql.destroy, &[text_param(&stored)])
            .await?;
        self.inner.known.forget(Key::of(sid));
        self.trace("destroy", started, n);
        Ok(n)
    }

    /// How many live sessions (not expired, nor past `max_lifetime`) the table holds.
    pub async fn length(&self) -> Result<u64> {
        let started = Instant::now();
        let rows = self
            .fetch(
                "length",
                &self.inner.sql.count,
                &self.with_lifetime(vec![DB::time_param(Utc::now())]),
                &[SqlKind::Int],
            )
            .await?;
        let count = rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(SqlValue::into_int)
            .unwrap_or(0);
        self.trace("length", started, 1);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Deletes every session in this store's table (and nothing else); returns how many.
    pub async fn clear(&self) -> Result<u64> {
        let started = Instant::now();
        let n = self.execute("clear", &self.inner.sql.clear, &[]).await?;
        self.trace("clear", started, n);
        Ok(n)
    }

    /// The ids of all live sessions (not expired, nor past `max_lifetime`).
    pub async fn ids(&self) -> Result<Vec<String>> {
        let args = self.with_lifetime(vec![DB::time_param(Utc::now())]);
        self.fetch_ids("ids", &self.inner.sql.ids, &args).await
    }

    /// Runs a query selecting session ids (first column), with its trace event.
    async fn fetch_ids(
        &self,
        op: &'static str,
        sql: &Arc<str>,
        args: &[SqlValue],
    ) -> Result<Vec<String>> {
        let started = Instant::now();
        let rows = self.fetch(op, sql, args, &[SqlKind::Text]).await?;
        self.trace(op, started, rows.len() as u64);
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_text))
            .collect())
    }

    /// The ids of the live sessions whose custom `column` equals `value`.
    ///
    /// `column` must be declared on the builder (else [`Error::UnknownColumn`]) and
    /// `value` must fit its type (else [`Error::FieldType`]); declare the column
    /// `indexed` so this goes through an index.
    pub async fn ids_where(
        &self,
        column: &str,
        value: impl Into<FieldValue>,
    ) -> Result<Vec<String>> {
        let (queries, value) = self.custom_column_query(column, value.into())?;
        let args = self.with_lifetime(vec![value, DB::time_param(Utc::now())]);
        self.fetch_ids("ids_where", &queries.ids, &args).await
    }

    /// Deletes every session (live or expired) whose custom `column` equals `value`, in
    /// one statement, and returns how many: "log out everywhere" for a `user_id` column.
    pub async fn destroy_where(&self, column: &str, value: impl Into<FieldValue>) -> Result<u64> {
        let (queries, value) = self.custom_column_query(column, value.into())?;
        let started = Instant::now();
        let n = self
            .execute("destroy_where", &queries.destroy, &[value])
            .await?;
        self.trace("destroy_where", started, n);
        Ok(n)
    }

    /// The live sessions whose custom `column` equals `value`, latest expiry first, with
    /// their data, expiry and last write: a "your active devices" list. Expired sessions
    /// are never listed.
    pub async fn sessions_where(
        &self,
        column: &str,
        value: impl Into<FieldValue>,
    ) -> Result<Vec<SessionInfo>> {
        let (queries, value) = self.custom_column_query(column, value.into())?;
        let started = Instant::now();
        let rows = self
            .fetch(
                "sessions_where",
                &queries.list,
                &self.with_lifetime(vec![value, DB::time_param(Utc::now())]),
                &[SqlKind::Text, SqlKind::Text, SqlKind::Time, SqlKind::Time],
            )
            .await?;
        self.trace("sessions_where", started, rows.len() as u64);
        rows.into_iter()
            .map(|row| {
                let mut cols = row.into_iter();
                let id = cols
                    .next()
                    .and_then(SqlValue::into_text)
                    .ok_or(Error::CorruptRow {
                        what: "session id is NULL",
                        source: None,
                    })?;
                let (text, expires) = decode_columns(cols.next(), cols.next())?;
                let text = self.inner.options.at_rest.open(text, &id)?;
                let data = serde_json::from_str(&text)
                    .map_err(Error::corrupt("data is not valid JSON"))?;
                let updated_at = cols
                    .next()
                    .and_then(SqlValue::into_int)
                    .map(|m| from_micros(m, "updated_at is out of range"))
                    .transpose()?;
                Ok(SessionInfo {
                    id,
                    data,
                    expires,
                    updated_at,
                })
            })
            .collect()
    }

    /// The prepared queries for a custom column, and `value` checked and encoded for it.
    fn custom_column_query(
        &self,
        column: &str,
        value: FieldValue,
    ) -> Result<(&CustomColumnQueries, SqlValue)> {
        let (index, col) = self.inner.table.custom_column(column)?;
        if col.kind == ColumnKind::Json {
            return Err(Error::FieldType {
                column: column.to_owned(),
                expected: "a queryable (non-JSON)",
                found: "JSON column",
            });
        }
        if value == FieldValue::Null {
            return Err(Error::FieldType {
                column: column.to_owned(),
                expected: "a non-NULL",
                found: "NULL",
            });
        }
        let value = encode_field::<DB>(col, value)?;
        let queries = self
            .inner
            .sql
            .custom_column_queries
            .get(index)
            .ok_or_else(|| Error::UnknownColumn {
                column: column.to_owned(),
            })?;
        Ok((queries, value))
    }

    /// Checks and encodes the values of a full row (running the custom-columns hook),
    /// with the id and data as stored.
    fn row_values(
        &self,
        sid: &str,
        data: Payload<'_>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<RowValues<'_>> {
        check_sid(sid)?;
        let values = self.plain_row_values(data, expires)?;
        self.seal_row(values, sid)
    }

    /// [`row_values`](Self::row_values) before [`seal_row`](Self::seal_row): no id yet,
    /// the data in plain text.
    pub(crate) fn plain_row_values(
        &self,
        data: Payload<'_>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<RowValues<'_>> {
        let limit = self.inner.options.max_data_size;
        if data.text.len() > limit {
            return Err(Error::DataTooLarge {
                size: data.text.len(),
                limit,
            });
        }
        let now = Utc::now();
        let expires = expires.unwrap_or_else(|| self.default_expiry(now));
        RowValues::new::<DB>(
            &self.inner.table,
            self.inner.hook.as_deref(),
            data,
            expires,
            now,
        )
    }

    /// `values` (with plain data) for session `sid`: the id as stored, the data as stored
    /// (sealed to that id when encryption is on).
    pub(crate) fn seal_row<'s>(
        &'s self,
        mut values: RowValues<'s>,
        sid: &str,
    ) -> Result<RowValues<'s>> {
        let stored = self.stored_id(sid)?;
        let plain = match std::mem::replace(&mut values.data, SqlValue::Text(None)) {
            SqlValue::Text(Some(text)) => text,
            _ => String::new(),
        };
        values.data = SqlValue::Text(Some(self.inner.options.at_rest.seal(plain, &stored)?));
        values.sid = text_param(&stored);
        Ok(values)
    }

    /// `sid` checked, then as the table keeps it (its digest under `hash_ids`).
    pub(crate) fn stored_id<'a>(&self, sid: &'a str) -> Result<std::borrow::Cow<'a, str>> {
        check_sid(sid)?;
        Ok(self.inner.options.at_rest.stored_id(sid))
    }

    /// `args` and, when `max_lifetime` is set, the creation time a live session must be
    /// after (bound last, see `Statements::new`).
    fn with_lifetime(&self, mut args: Vec<SqlValue>) -> Vec<SqlValue> {
        if let Some(cutoff) = self.lifetime_cutoff() {
            args.push(DB::time_param(cutoff));
        }
        args
    }

    /// `now - max_lifetime`, when it is set: sessions created before are over.
    pub(crate) fn lifetime_cutoff(&self) -> Option<DateTime<Utc>> {
        let lifetime = self.inner.options.max_lifetime?;
        Some(
            Utc::now()
                .checked_sub_signed(lifetime)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        )
    }

    /// `now` + `expiration`.
    fn default_expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        add_or_max(now, self.inner.options.expiration)
    }

    /// One debug event per operation: never the id or the data.
    pub(crate) fn trace(&self, op: &'static str, started: Instant, rows: u64) {
        tracing::debug!(
            dialect = <DB as sqlx::Database>::NAME,
            table = self.inner.table.name.as_str(),
            op,
            rows,
            elapsed_us = started.elapsed().as_micros() as u64,
            "session store operation"
        );
    }
}

/// Whether an update writes the new expiry or keeps the stored one (inside `touch_after`,
/// so that the expiry index is left alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpiryWrite {
    New,
    Kept,
}

/// A live row as read: its data text (opened when sealed), expiry and version (`None`
/// without a version column, or NULL in a row another program wrote).
pub(crate) struct StoredRow {
    pub text: String,
    pub expires: DateTime<Utc>,
    pub version: Option<i64>,
}

pub(crate) fn check_sid(sid: &str) -> Result<()> {
    if sid.is_empty() {
        return Err(Error::InvalidSessionId {
            reason: "it is empty",
        });
    }
    if sid.len() > MAX_SESSION_ID_LEN {
        return Err(Error::InvalidSessionId {
            reason: "it is longer than 255 bytes",
        });
    }
    // One rule on every backend: PostgreSQL refuses NUL in text, SQLite and MySQL keep it,
    // and no id generator makes control characters.
    if sid.chars().any(char::is_control) {
        return Err(Error::InvalidSessionId {
            reason: "it contains a control character",
        });
    }
    Ok(())
}

/// Reads the `data` text and `expires` micros columns of a row.
fn decode_columns(
    data: Option<SqlValue>,
    expires: Option<SqlValue>,
) -> Result<(String, DateTime<Utc>)> {
    let null = |what| Error::CorruptRow { what, source: None };
    let data = data
        .and_then(SqlValue::into_text)
        .ok_or(null("data is NULL"))?;
    let micros = expires
        .and_then(SqlValue::into_int)
        .ok_or(null("expires is NULL"))?;
    Ok((data, from_micros(micros, "expires is out of range")?))
}

/// `t + d`, saturating instead of panicking on an absurd `expiration`.
pub(crate) fn add_or_max(t: DateTime<Utc>, d: chrono::TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn from_micros(micros: i64, what: &'static str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or(Error::CorruptRow { what, source: None })
}

/// A store that does not keep its state alive (held by the expiry reaper between runs).
pub(crate) struct WeakStore<DB: Dialect>(std::sync::Weak<Inner<DB>>);

impl<DB: Dialect> WeakStore<DB> {
    pub(crate) fn upgrade(&self) -> Option<SqlStore<DB>> {
        self.0.upgrade().map(|inner| SqlStore { inner })
    }

    /// How many clones of the store are alive.
    pub(crate) fn strong_count(&self) -> usize {
        self.0.strong_count()
    }
}

/// Crate-internal access for the builder, cleanup and the expiry reaper.
impl<DB: Dialect> SqlStore<DB> {
    pub(crate) fn downgrade(&self) -> WeakStore<DB> {
        WeakStore(Arc::downgrade(&self.inner))
    }

    pub(crate) fn reaper_slot(&self) -> &ReaperSlot {
        &self.inner.reaper
    }

    pub(crate) fn options(&self) -> &Options {
        &self.inner.options
    }

    pub(crate) fn table(&self) -> &Table {
        &self.inner.table
    }

    pub(crate) fn statements(&self) -> &Statements {
        &self.inner.sql
    }
}
