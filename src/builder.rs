//! The builder and its validated options.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use sqlx::Pool;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::fields::{Column, ExtendFields};
use crate::ident::Ident;
use crate::options::{Options, TouchWindow, DEFAULT_EXPIRATION};
use crate::schema::{
    CustomColumn, Table, DEFAULT_CREATED_AT_COLUMN, DEFAULT_DATA_COLUMN, DEFAULT_EXPIRES_COLUMN,
    DEFAULT_SID_COLUMN, DEFAULT_TABLE_NAME, DEFAULT_UPDATED_AT_COLUMN, DEFAULT_VERSION_COLUMN,
};
use crate::store::SqlStore;

impl<DB: Dialect> SqlStore<DB> {
    /// A builder for a store with other options; see [`Builder`] for the list.
    ///
    #[cfg_attr(feature = "sqlite", doc = "```")]
    #[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqlx_session_store::Result<()> {
    /// use std::time::Duration;
    /// use sqlx_session_store::{sqlx::SqlitePool, Error, SqliteStore};
    ///
    /// let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
    /// let store = SqliteStore::builder(pool.clone())
    ///     .table_name("web_sessions")
    ///     .expiration(Duration::from_secs(7 * 24 * 3600))
    ///     .touch_after(Duration::from_secs(3600))
    ///     .build()?;
    ///
    /// let refused = SqliteStore::builder(pool).table_name("x; drop table y").build();
    /// assert!(matches!(refused, Err(Error::InvalidIdentifier { .. })));
    /// # Ok(()) }
    /// ```
    pub fn builder(pool: Pool<DB>) -> Builder<DB> {
        Builder::new(pool)
    }
}

/// Builds a [`SqlStore`] with options other than the defaults.
///
/// Made by [`SqlStore::builder`]; nothing is checked until [`build`](Self::build).
///
/// | option | default | meaning |
/// |---|---|---|
/// | [`table_name`](Self::table_name) | `sessions` | the table the store owns |
/// | [`schema_name`](Self::schema_name) | none | PostgreSQL schema / MySQL database / SQLite attached database |
/// | [`expiration`](Self::expiration) | 24 h | lifetime of a session saved without an expiry |
/// | [`check_expiration_interval`](Self::check_expiration_interval) | 15 min | period of the expiry reaper |
/// | [`disable_touch`](Self::disable_touch) | `false` | never refresh an expiry without a data change (`touch` and front-end saves) |
/// | [`touch_after`](Self::touch_after) | 5 % of the session's lifetime, at most 10 min | skip an expiry refresh while the stored expiry is this close to the new one |
/// | [`tracked_sessions`](Self::tracked_sessions) | 10,000 | sessions whose last state this instance remembers, to skip unchanged writes |
/// | [`operation_timeout`](Self::operation_timeout) | 5 s | bound on each operation: connection, statement, retries |
/// | [`max_lifetime`](Self::max_lifetime) | none | absolute timeout from creation, however often touched |
/// | [`hash_ids`](Self::hash_ids) | `false` | keep a digest of each id, not the id |
/// | `encryption_keys` (feature `encryption`) | none | encrypt session data at rest (AES-256-GCM) |
/// | [`max_data_size`](Self::max_data_size) | 4 MiB | largest serialized session `set` accepts |
/// | [`delete_batch_size`](Self::delete_batch_size) | 1,000 | most rows one cleanup statement deletes |
/// | [`single_reaper`](Self::single_reaper) | `false` | only one instance's reaper runs at a time (database lock) |
/// | [`transaction_pooling`](Self::transaction_pooling) | `false` | each statement in its own transaction, for PgBouncer's transaction mode |
/// | [`start_reaper`](Self::start_reaper) | `false` | `build()` starts the expiry reaper |
/// | [`column`](Self::column) | none | a custom column (repeat for more) |
/// | [`extend_default_fields`](Self::extend_default_fields) | none | the hook filling the custom columns |
/// | [`sid_column`](Self::sid_column), [`data_column`](Self::data_column), [`expires_column`](Self::expires_column) | `sid`, `data`, `expires` | core column names, for an app-managed table |
/// | [`created_at_column`](Self::created_at_column), [`updated_at_column`](Self::updated_at_column) | `created_at`, `updated_at` | or [`without_timestamp_columns`](Self::without_timestamp_columns) |
/// | [`version_column`](Self::version_column) | `version` | or [`without_version_column`](Self::without_version_column) (overlapping saves not merged) |
#[must_use = "a builder does nothing until `build()`"]
pub struct Builder<DB: Dialect> {
    pool: Pool<DB>,
    table_name: String,
    schema_name: Option<String>,
    /// Every option but the three durations below, which `build` checks and converts.
    options: Options,
    expiration: Duration,
    /// `None`: the default window, a share of each session's lifetime.
    touch_after: Option<Duration>,
    start_reaper: bool,
    columns: Vec<Column>,
    hook: Option<Arc<dyn ExtendFields>>,
    sid_column: String,
    data_column: String,
    expires_column: String,
    created_at_column: Option<String>,
    updated_at_column: Option<String>,
    version_column: Option<String>,
    #[cfg(feature = "encryption")]
    encryption_keys: Option<Vec<crate::EncryptionKey>>,
    max_lifetime: Option<Duration>,
}

impl<DB: Dialect> fmt::Debug for Builder<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("dialect", &<DB as sqlx::Database>::NAME)
            .field("table_name", &self.table_name)
            .field("schema_name", &self.schema_name)
            .field("expiration", &self.expiration)
            .field("touch_after", &self.touch_after)
            .field("options", &self.options)
            .field("start_reaper", &self.start_reaper)
            .field("columns", &self.columns)
            .field("extend_default_fields", &self.hook.is_some())
            .field("sid_column", &self.sid_column)
            .field("data_column", &self.data_column)
            .field("expires_column", &self.expires_column)
            .field("created_at_column", &self.created_at_column)
            .field("updated_at_column", &self.updated_at_column)
            .field("version_column", &self.version_column)
            .finish_non_exhaustive()
    }
}

impl<DB: Dialect> Builder<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        Self {
            pool,
            table_name: DEFAULT_TABLE_NAME.to_owned(),
            schema_name: None,
            options: Options::default(),
            expiration: DEFAULT_EXPIRATION,
            touch_after: None,
            start_reaper: false,
            columns: Vec::new(),
            hook: None,
            sid_column: DEFAULT_SID_COLUMN.to_owned(),
            data_column: DEFAULT_DATA_COLUMN.to_owned(),
            expires_column: DEFAULT_EXPIRES_COLUMN.to_owned(),
            created_at_column: Some(DEFAULT_CREATED_AT_COLUMN.to_owned()),
            updated_at_column: Some(DEFAULT_UPDATED_AT_COLUMN.to_owned()),
            version_column: Some(DEFAULT_VERSION_COLUMN.to_owned()),
            #[cfg(feature = "encryption")]
            encryption_keys: None,
            max_lifetime: None,
        }
    }

    /// Declares a custom column; `migrate` creates it (and its index) with the table.
    /// Its value comes from the [`extend_default_fields`](Self::extend_default_fields) hook.
    /// The name is validated like the table name.
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// The hook computing the custom columns' values from the session being written
    /// (connect-session-sequelize's `extendDefaultFields`).
    ///
    /// It runs on every write of session data, insert and update alike (`set`, `insert`,
    /// `update`, and so every front end's save), and never on `touch`. A value of the
    /// wrong type for its column, or for a column that is not declared, makes that write
    /// fail with [`Error::FieldType`] or [`Error::UnknownColumn`]; nothing is written.
    pub fn extend_default_fields(mut self, hook: impl ExtendFields) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Name of the session id column (default `sid`), for a table the app manages itself.
    pub fn sid_column(mut self, name: impl Into<String>) -> Self {
        self.sid_column = name.into();
        self
    }

    /// Name of the session data column (default `data`).
    pub fn data_column(mut self, name: impl Into<String>) -> Self {
        self.data_column = name.into();
        self
    }

    /// Name of the expiry column (default `expires`).
    pub fn expires_column(mut self, name: impl Into<String>) -> Self {
        self.expires_column = name.into();
        self
    }

    /// Name of the creation time column (default `created_at`).
    pub fn created_at_column(mut self, name: impl Into<String>) -> Self {
        self.created_at_column = Some(name.into());
        self
    }

    /// Name of the last-write time column (default `updated_at`).
    pub fn updated_at_column(mut self, name: impl Into<String>) -> Self {
        self.updated_at_column = Some(name.into());
        self
    }

    /// For an app-managed table without `created_at` and `updated_at` columns: the store
    /// then writes neither, and session lists report no `updated_at`.
    pub fn without_timestamp_columns(mut self) -> Self {
        self.created_at_column = None;
        self.updated_at_column = None;
        self
    }

    /// Opt-in strict merging: a save that finds that another request changed (or removed)
    /// one of the very keys it changed since its load fails with
    /// [`Error::KeyConflict`] instead of the later save's value winning; nothing of it is
    /// written. Saves that changed different keys still merge. Default `false`.
    pub fn strict_merge(mut self, strict: bool) -> Self {
        self.options.strict_merge = strict;
        self
    }

    /// Name of the data version column (default `version`, a 64-bit integer). Each write
    /// of new data stores a fresh random number in it, so that a framework's save can tell
    /// whether the row changed since its request loaded it, and merge instead of
    /// overwriting (see the [concurrency guide](https://docs.rs/sqlx-session-store/latest/sqlx_session_store/guide/concurrency/index.html)).
    pub fn version_column(mut self, name: impl Into<String>) -> Self {
        self.version_column = Some(name.into());
        self
    }

    /// For an app-managed table without a version column. Overlapping requests of one
    /// session are then **not** merged: the later save writes its whole copy, and a change
    /// made by an overlapping request can be lost. Add the column instead where you can:
    /// `ALTER TABLE sessions ADD COLUMN version BIGINT NOT NULL DEFAULT 0`.
    pub fn without_version_column(mut self) -> Self {
        self.version_column = None;
        self
    }

    /// The table to keep sessions in (default `sessions`).
    ///
    /// 1 to 48 ASCII letters, digits or `_`, not starting with a digit; anything else
    /// makes [`build`](Self::build) fail with [`Error::InvalidIdentifier`]. The name is
    /// quoted in every statement, so on PostgreSQL it is case-sensitive.
    pub fn table_name(mut self, name: impl Into<String>) -> Self {
        self.table_name = name.into();
        self
    }

    /// The schema (PostgreSQL), database (MySQL) or attached database (SQLite) holding
    /// the table; default: the connection's current one. Validated like the table name.
    pub fn schema_name(mut self, name: impl Into<String>) -> Self {
        self.schema_name = Some(name.into());
        self
    }

    /// Lifetime of a session saved without an explicit expiry (default 24 h). Must be positive.
    pub fn expiration(mut self, expiration: Duration) -> Self {
        self.expiration = expiration;
        self
    }

    /// How often the expiry reaper deletes expired rows (default 15 min; zero: no reaper).
    pub fn check_expiration_interval(mut self, interval: Duration) -> Self {
        self.options.check_expiration_interval = interval;
        self
    }

    /// When `true`, a session's expiry is only ever written together with a change of its
    /// data (default `false`): [`SqlStore::touch`] writes nothing, and a framework's save of
    /// an unchanged session (tower-sessions with `always_save`, tide's `save_unchanged`,
    /// axum-sessions' `PersistencePolicy::Always`) runs no statement at all.
    ///
    /// Consequence: a session then ends `expiration` (or the framework's own expiry) after
    /// its last *change*, however active its user is.
    pub fn disable_touch(mut self, disable: bool) -> Self {
        self.options.disable_touch = disable;
        self
    }

    /// Skip an expiry refresh while the stored expiry is already within this much of the
    /// new one. With `touch_after` 1 h, an active session's row is written at most about
    /// once an hour instead of on every request. It applies to [`SqlStore::touch`] and to
    /// every framework's save of an unchanged session; changed data is always written.
    /// `Duration::ZERO` makes every refresh write (exact sliding expiry).
    ///
    /// **Default:** a twentieth (5 %) of each session's own lifetime, the time from the
    /// save to its new expiry, at most [`DEFAULT_TOUCH_AFTER_MAX`](crate::DEFAULT_TOUCH_AFTER_MAX)
    /// (10 minutes). A sliding session of 1 hour is written at most once every 180 s of
    /// activity, one of 2 weeks (or anything over 200 minutes) once every 600 s, and a
    /// session whose expiry does not move (a fixed end) never without a change.
    ///
    /// Consequence: the row's expiry can lag the cookie's by up to the window (at most
    /// 180 s for the 1 h session above, 600 s for the 2 week one), so a session idle for
    /// its whole lifetime may end that much early. A fixed window must be shorter than
    /// `expiration` ([`build`](Self::build) refuses it otherwise); keep it well under your
    /// framework's inactivity timeout too.
    pub fn touch_after(mut self, window: Duration) -> Self {
        self.touch_after = Some(window);
        self
    }

    /// How many sessions one store instance (and its clones) remembers the last loaded or
    /// written state of (default [`DEFAULT_TRACKED_SESSIONS`](crate::DEFAULT_TRACKED_SESSIONS);
    /// 0 turns it off): the stored expiry and, for tower-sessions, digests of the data's
    /// text and of each top-level value (about 100 bytes plus 24 per top-level key), and
    /// the content of the last saves of up to four copies of the session (24 bytes per
    /// top-level key each), keyed by a digest of the id.
    ///
    /// Knowing the stored expiry lets an unchanged save inside `touch_after` skip its
    /// statement (all front ends); knowing the text a load returns again lets it skip the
    /// walk of the data. Whether a save changed anything, and what, comes from the base the
    /// session carries from its load (see the [concurrency guide](https://docs.rs/sqlx-session-store/latest/sqlx_session_store/guide/concurrency/index.html)), not from this
    /// memory; only a save without a base (its data cleared) is compared with it. A session
    /// that has been forgotten (more sessions active than this) costs at most a walk of its
    /// data and one touch statement.
    pub fn tracked_sessions(mut self, sessions: usize) -> Self {
        self.options.tracked_sessions = sessions;
        self
    }

    /// The longest one store operation may take (default
    /// [`DEFAULT_OPERATION_TIMEOUT`](crate::DEFAULT_OPERATION_TIMEOUT), 5 s), all told:
    /// waiting for a pooled connection, running the statement, and retrying it after a
    /// deadlock. Past it the operation fails with [`Error::Timeout`] and its connection is
    /// closed, never returned to the pool in an unknown state; the next operation gets a
    /// fresh connection, so the store serves again as soon as the database answers.
    ///
    /// This is what keeps a request from hanging when the network to the database goes
    /// dark mid-query (a failover, a partition): TCP would wait for many minutes. A session
    /// lookup takes milliseconds, so 5 s leaves room for a loaded server while staying well
    /// under the 30 to 60 s after which load balancers and browsers give up on a request.
    /// It bounds every operation, front ends and the expiry reaper included (each cleanup
    /// batch is one operation); a timed-out write may or may not have been applied.
    /// Set the database's own limit as well (PostgreSQL `statement_timeout`, MySQL
    /// `max_execution_time`; see the security guide) so the server stops the work.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.options.operation_timeout = timeout;
        self
    }

    /// An absolute timeout (OWASP's): no session is served longer than `lifetime` after
    /// it was created, however often it is touched or saved (default: none). Past it, a
    /// load finds nothing (the framework starts a new session, so the user signs in
    /// again), saves and touches no longer write, and the expiry reaper deletes the row.
    /// It counts from the row's `created_at` column, so it needs that column (refused by
    /// [`build`](Self::build) after [`without_timestamp_columns`](Self::without_timestamp_columns));
    /// `set` on an existing id keeps its creation time. `length`, `ids` and `ids_where`
    /// still count such rows until the reaper has removed them. The reaper finds them by
    /// `created_at`, which has no index: each of its batches scans the table (add an index
    /// on `created_at` to a large table when you set this).
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = Some(lifetime);
        self
    }

    /// When `true`, the table keeps a digest of each session id instead of the id
    /// (default `false`): `b3:` and the BLAKE3 hash of the id in hex, 67 bytes. A database
    /// dump or backup then holds no id that a browser could present to take a session
    /// over, as Rails' store has done since CVE-2019-25025. Every operation and both front
    /// ends hash the id on the way in, so the app sees no difference, except that
    /// [`SqlStore::ids`], [`SqlStore::ids_where`] and [`SessionInfo::id`](crate::SessionInfo::id)
    /// give the stored digests (they can be shown and compared, not turned back into ids;
    /// log a device out with [`SqlStore::destroy_where`]).
    ///
    /// Session ids must be random (as both front ends make them): a digest protects an
    /// id as hard to guess as the id itself. For a table that already holds plain ids, run
    /// [`SqlStore::hash_existing_ids`] once after switching this on (see its docs).
    pub fn hash_ids(mut self, hash: bool) -> Self {
        self.options.at_rest.hash_ids = hash;
        self
    }

    /// Encrypts every session's data at rest with AES-256-GCM (feature `encryption`): a
    /// fresh random nonce per write, the session id (as stored) bound as associated data,
    /// so a row's ciphertext moved to another id does not decrypt. The first key encrypts;
    /// any of them decrypts, which is how keys rotate: put the new key first, and keep the
    /// old one until no row sealed with it is left. A row is sealed again only when its
    /// data is written: a sliding session whose data never changes keeps its old seal
    /// while it lives, so drop an old key only after `max_lifetime` (set one) has passed
    /// since the rotation, or after `expiration` if sessions don't slide; a row whose key
    /// is gone reads as [`Error::CorruptRow`]. Rows written in plain text before this was
    /// switched on stay readable, and are sealed at their next data write (the same
    /// applies: set `max_lifetime` to bound how long plain rows can remain).
    ///
    /// The custom-columns hook still sees the plain data, and custom columns are stored as
    /// they are (don't put secrets there). A front end's "no write without a change"
    /// compares plain data, so it keeps working. An empty list, or the same key twice, is
    /// refused by [`build`](Self::build).
    #[cfg(feature = "encryption")]
    #[cfg_attr(docsrs, doc(cfg(feature = "encryption")))]
    pub fn encryption_keys(mut self, keys: Vec<crate::EncryptionKey>) -> Self {
        self.encryption_keys = Some(keys);
        self
    }

    /// Largest serialized session (JSON bytes) that any write accepts (default 4 MiB):
    /// `set`, `insert`, `update`, `modify` and every front end's save, merged ones
    /// included; larger data gets [`Error::DataTooLarge`] and nothing is written.
    pub fn max_data_size(mut self, bytes: usize) -> Self {
        self.options.max_data_size = bytes;
        self
    }

    /// Most rows one cleanup statement deletes (default 1,000), so that a large backlog
    /// of expired rows is removed in short statements that never hold long locks.
    pub fn delete_batch_size(mut self, rows: u32) -> Self {
        self.options.delete_batch_size = rows;
        self
    }

    /// When `true`, the expiry reaper of only one instance at a time runs, however many
    /// app instances share the table (default `false`: each instance's reaper runs).
    ///
    /// Each run first tries, without waiting, to take a lock named after the table: a
    /// session-level `pg_try_advisory_lock` on PostgreSQL, `GET_LOCK(name, 0)` on MySQL and
    /// MariaDB. When another instance holds it, the run is skipped (counted by
    /// [`ReaperHandle::skipped`](crate::ReaperHandle::skipped)). On SQLite it has no
    /// effect: writers to one file already take turns.
    pub fn single_reaper(mut self, single: bool) -> Self {
        self.options.single_reaper = single;
        self
    }

    /// For a pool that reaches the database through a transaction-level pooler, such as
    /// PgBouncer with `pool_mode = transaction` (default `false`). Each statement then runs
    /// in a transaction of its own (`BEGIN` and `COMMIT` sent with the simple query
    /// protocol), so that the pooler keeps one server connection for all of sqlx's steps
    /// of that statement: two more round trips per operation. Also turn sqlx's statement
    /// cache off on the pool's connect options (`PgConnectOptions::statement_cache_capacity(0)`):
    /// a named prepared statement lives on one server connection, and the pooler hands
    /// the next transaction another. `single_reaper` needs a session-level lock, which such
    /// a pooler cannot keep: [`build`](Self::build) refuses both together.
    pub fn transaction_pooling(mut self, on: bool) -> Self {
        self.options.transaction_pooling = on;
        self
    }

    /// When `true`, [`build`](Self::build) starts the expiry reaper, as
    /// [`SqlStore::start_expiring_sessions`] does (default `false`). `build` must then run
    /// inside a Tokio runtime, else it fails with [`Error::NoRuntime`]. Nothing is
    /// started when `check_expiration_interval` is zero.
    pub fn start_reaper(mut self, start: bool) -> Self {
        self.start_reaper = start;
        self
    }

    /// Validates the options and builds the store. No database work is done here;
    /// call [`SqlStore::migrate`] to create the table.
    pub fn build(self) -> Result<SqlStore<DB>> {
        let (expiration, touch_after, max_lifetime) = self.durations()?;
        self.check_options()?;
        let table = self.table_model()?;
        #[allow(unused_mut)]
        let mut options = Options {
            expiration,
            touch_after,
            max_lifetime,
            ..self.options
        };
        #[cfg(feature = "encryption")]
        if let Some(keys) = self.encryption_keys {
            options.at_rest.keys = Some(std::sync::Arc::new(crate::crypt::Keyring::new(keys)?));
        }
        let store = SqlStore::from_parts(self.pool, table, options, self.hook);
        if self.start_reaper {
            store.start_expiring_sessions()?;
        }
        Ok(store)
    }

    /// `expiration`, `touch_after` and `max_lifetime`, checked and converted.
    fn durations(&self) -> Result<(TimeDelta, TouchWindow, Option<TimeDelta>)> {
        let delta =
            |option, d: Duration| TimeDelta::from_std(d).map_err(|_| invalid(option, "too large"));
        let expiration = delta("expiration", self.expiration)?;
        positive("expiration", expiration > TimeDelta::zero())?;
        let touch_after = match self.touch_after {
            None => TouchWindow::ShareOfLifetime,
            Some(window) => {
                let window = delta("touch_after", window)?;
                if window >= expiration {
                    // A refresh would then never be written, and active sessions would expire.
                    return Err(invalid("touch_after", "must be shorter than expiration"));
                }
                TouchWindow::Fixed(window)
            }
        };
        let max_lifetime = self
            .max_lifetime
            .map(|d| delta("max_lifetime", d))
            .transpose()?;
        if let Some(lifetime) = max_lifetime {
            positive("max_lifetime", lifetime > TimeDelta::zero())?;
            if self.created_at_column.is_none() {
                return Err(invalid("max_lifetime", "needs the created_at column"));
            }
        }
        Ok((expiration, touch_after, max_lifetime))
    }

    /// The options set directly on `options`, and how they combine.
    fn check_options(&self) -> Result<()> {
        let o = &self.options;
        if o.transaction_pooling && o.single_reaper {
            return Err(invalid(
                "single_reaper",
                "needs a session-level lock, which a transaction pooler \
                 (transaction_pooling) cannot keep; run one reaper yourself instead",
            ));
        }
        positive("operation_timeout", !o.operation_timeout.is_zero())?;
        positive("max_data_size", o.max_data_size > 0)?;
        positive("delete_batch_size", o.delete_batch_size > 0)
    }

    /// The table model: every name validated, custom columns included.
    fn table_model(&self) -> Result<Table> {
        let column = |name: &str| Ident::new("column name", name);
        let optional = |name: &Option<String>| name.as_deref().map(column).transpose();
        let table = Table {
            schema: self
                .schema_name
                .as_deref()
                .map(|s| Ident::new("schema name", s))
                .transpose()?,
            name: Ident::new("table name", &self.table_name)?,
            sid: column(&self.sid_column)?,
            data: column(&self.data_column)?,
            expires: column(&self.expires_column)?,
            created_at: optional(&self.created_at_column)?,
            updated_at: optional(&self.updated_at_column)?,
            version: optional(&self.version_column)?,
            custom_columns: self
                .columns
                .iter()
                .cloned()
                .map(CustomColumn::validate)
                .collect::<Result<Vec<_>>>()?,
        };
        table.check_unique_names()?;
        Ok(table)
    }
}

/// An option refused for `reason`.
fn invalid(option: &'static str, reason: &'static str) -> Error {
    Error::InvalidConfig { option, reason }
}

/// The one "must be positive" rule: `Ok` when `holds`.
fn positive(option: &'static str, holds: bool) -> Result<()> {
    if holds {
        Ok(())
    } else {
        Err(invalid(option, "must be positive"))
    }
}
