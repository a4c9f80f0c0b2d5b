//! `SqlStore<DB>`: the framework-neutral public API. All semantics live here.
//!
//! Where each public method lives:
//!
//! | file | methods |
//! |---|---|
//! | `store.rs` | `new`, `pool`, `table_name`, `check_expiration_interval` (and `builder`, in `builder.rs`) |
//! | `store/stats.rs` | `stats` (statements run, saves skipped) |
//! | `store/schema_check.rs` | `migration_sql`, `migrate`, `verify_schema` |
//! | `store/rows.rs` | `get`, `get_as`, `set`, `set_as`, `insert`, `update`, `touch`, `destroy`, `length`, `clear`, `ids` |
//! | `store/modify.rs` | `modify` (read-modify-write that keeps concurrent changes) |
//! | `store/by_column.rs` | `ids_where`, `destroy_where`, `sessions_where` (custom columns) |
//! | `store/rehash.rs` | `hash_existing_ids` |
//! | `store/admin.rs` | `row_counts`, `expiry_range`, `table_size`, `database_size`, `top_values`, `column_kinds`, `destroy_counted` (for operators: the `cli` feature's command line) |
//! | `cleanup.rs` | `clear_expired_sessions`, `clear_expired_sessions_until` |
//! | `reaper.rs` | `start_expiring_sessions`, `stop_expiring_sessions`, `expiry_reaper` |
//!
//! The front ends' loads and saves (`store/tracking.rs`) are crate-internal: they detect
//! what a request changed (`seen.rs`: what this instance saw of each row; `base.rs`: what
//! a loaded copy started from; `fingerprint.rs`, `payload.rs`: digests of its content)
//! and merge overlapping saves (`merge.rs`). Every statement runs through `execute.rs`
//! (deadline, retry of lost races).

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::Pool;

use crate::dialect::bind::SqlValue;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::fields::ExtendFields;
use crate::op::Op;
use crate::options::Options;
use crate::schema::Table;
pub(crate) use crate::sql::ExpiryWrite;
use crate::sql::Statements;

// The public methods, by concern (rustdoc lists them together on `SqlStore`):
pub(crate) mod admin;
mod by_column;
mod modify;
mod rehash;
mod rows;
mod schema_check;
pub(crate) mod stats;
// How they run and what they write:
pub(crate) mod background;
mod execute;
mod row;
// Change detection and merging for the front ends:
pub(crate) mod base;
mod digest;
#[cfg(feature = "tower-sessions")]
pub(crate) mod fingerprint;
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
mod merge;
pub(crate) mod payload;
pub(crate) mod seen;
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
pub(crate) mod tracking;

use payload::Payload;
use row::{text_param, RowValues};
use seen::SeenCache;

/// Longest session id accepted, in bytes (the MySQL key column is `VARBINARY(255)`;
/// the limit is the same on every dialect).
pub const MAX_SESSION_ID_LEN: usize = max_session_id_len!();

/// The one place the limit is written: a macro, so that messages can spell it with `concat!`.
macro_rules! max_session_id_len {
    () => {
        255
    };
}
use max_session_id_len;

/// How many merged writes a save (or `modify`) tries when other writes of the session keep
/// coming between its read and its write; then [`Error::Conflict`].
pub(crate) const MERGE_ATTEMPTS: u32 = 5;

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
    background: background::BackgroundSlot,
    /// Fills the custom columns (`extend_default_fields`).
    hook: Option<Arc<dyn ExtendFields>>,
    /// Set once the table is known to have every column the store needs.
    schema_checked: tokio::sync::OnceCell<()>,
    /// What this instance last loaded or wrote of each session (front-end saves).
    seen: SeenCache,
    /// Statements run, saves skipped.
    counters: stats::Counters,
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
                &format_args!("{} of {}", i.seen.len(), i.seen.capacity()),
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
        let sql = Statements::new::<DB>(&table, &options);
        Self {
            inner: Arc::new(Inner {
                pool,
                table,
                sql,
                background: background::BackgroundSlot::default(),
                hook,
                schema_checked: tokio::sync::OnceCell::new(),
                seen: SeenCache::new(options.tracked_sessions),
                counters: stats::Counters::default(),
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
    pub(crate) fn trace(&self, op: Op, started: Instant, rows: u64) {
        tracing::debug!(
            dialect = <DB as sqlx::Database>::NAME,
            table = self.inner.table.name.as_str(),
            op = op.as_str(),
            rows,
            elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "session store operation"
        );
    }
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
            reason: concat!("it is longer than ", max_session_id_len!(), " bytes"),
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

    pub(crate) fn background(&self) -> &background::BackgroundSlot {
        &self.inner.background
    }

    pub(crate) fn options(&self) -> &Options {
        &self.inner.options
    }

    pub(crate) fn counters(&self) -> &stats::Counters {
        &self.inner.counters
    }

    pub(crate) fn table(&self) -> &Table {
        &self.inner.table
    }

    pub(crate) fn statements(&self) -> &Statements {
        &self.inner.sql
    }
}
