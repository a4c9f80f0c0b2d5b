//! The expiry reaper's contract, written once and run against every backend by
//! `reaper_suite!` (one call each in `tests/reaper_{sqlite,postgres,mysql}.rs`).
//!
//! Tests read the reaper's counters (`ReaperHandle::runs`, `failures`, ...) and its tracing
//! events (through `capture`), and look at the table with raw SQL.

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sqlx::pool::PoolConnection;
use sqlx::Pool;
use sqlx_session_store::{Error, ReaperHandle, SqlStore, DEFAULT_DELETE_BATCH_SIZE};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

use super::backend::{Backend, Ctx, DEFAULT_TEST_ZONE};
use super::capture::{self, Captured};
#[cfg(any(feature = "postgres", feature = "mysql"))]
use super::proxy::Proxy;
use super::wait_until;

/// Generates one test per reaper suite function for `$backend`.
#[macro_export]
macro_rules! reaper_suite {
    ($backend:ty) => {
        $crate::reaper_suite!(@async $backend;
            reaper_removes_expired_rows_and_keeps_live_ones,
            reaper_deletes_in_statements_of_delete_batch_size,
            reaper_drains_100k_rows_in_bounded_batches_while_reads_continue,
            reaper_survives_a_database_outage,
            stop_expiring_sessions_really_stops_it,
            starting_twice_zero_interval_and_start_at_build,
            dropping_every_store_clone_stops_the_reaper,
            starting_outside_a_runtime_is_an_error_not_a_panic,
            single_reaper_lets_one_instance_reap_at_a_time,
        );
        $crate::reaper_suite!(@sync $backend;
            a_reaper_never_keeps_its_runtime_alive,
        );
    };
    (@async $backend:ty; $($test:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            common::capture::install();
            let ctx = common::backend::Ctx::new(stringify!($test));
            common::reaper_suite::$test::<$backend>(ctx).await;
        }
    )*};
    (@sync $backend:ty; $($test:ident),* $(,)?) => {$(
        #[test]
        fn $test() {
            common::capture::install();
            let ctx = common::backend::Ctx::new(stringify!($test));
            common::reaper_suite::$test::<$backend>(ctx);
        }
    )*};
}

/// What the reaper suite needs beyond [`Backend`]: literal timestamps for bulk inserts,
/// a way to take the database away, and the reaper lock as another instance would hold it.
pub trait ReaperBackend: Backend {
    /// An SQL literal for `t` as the store keeps it in `expires`.
    fn time_literal(t: DateTime<Utc>) -> String;

    /// A pool for the store under test and the switch that takes its database away.
    /// `direct` reaches the database without the fault (for set-up and checks).
    fn faulty_pool(
        direct: &Pool<Self::DB>,
        table: &str,
    ) -> impl Future<Output = (Pool<Self::DB>, Fault)> + Send;

    /// Takes the reaper lock of `table` on a connection of `pool`, the way another app
    /// instance's reaper would; `None` when the database has no such lock (SQLite).
    fn hold_reaper_lock(
        pool: &Pool<Self::DB>,
        table: &str,
    ) -> impl Future<Output = Option<PoolConnection<Self::DB>>> + Send;

    /// Releases what `hold_reaper_lock` took.
    fn release_reaper_lock(
        conn: PoolConnection<Self::DB>,
        table: &str,
    ) -> impl Future<Output = ()> + Send;
}

/// How a test takes the database away from the store and gives it back.
pub enum Fault {
    /// The store's pool connects through this proxy (PostgreSQL, MySQL).
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    Proxy(Proxy),
    /// SQLite has no network: the table is renamed away and back, so every statement of
    /// the reaper fails with "no such table" in between.
    #[cfg(feature = "sqlite")]
    RenameTable {
        pool: Pool<sqlx::Sqlite>,
        table: String,
    },
}

impl Fault {
    /// Drops live connections and refuses new ones (or hides the table).
    pub async fn cut(&self) {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Fault::Proxy(p) => p.cut(),
            #[cfg(feature = "sqlite")]
            Fault::RenameTable { pool, table } => {
                let sql = format!("ALTER TABLE \"{table}\" RENAME TO \"{table}_away\"");
                super::backend::Sqlite::exec(pool, &sql).await;
            }
        }
    }

    /// Drops live connections; new ones hang (PostgreSQL, MySQL). Returns whether the
    /// backend has such a mode.
    pub fn blackhole(&self) -> bool {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Fault::Proxy(p) => {
                p.blackhole();
                true
            }
            #[cfg(feature = "sqlite")]
            Fault::RenameTable { .. } => false,
        }
    }

    /// Gives the database back.
    pub async fn restore(&self) {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Fault::Proxy(p) => p.restore(),
            #[cfg(feature = "sqlite")]
            Fault::RenameTable { pool, table } => {
                let sql = format!("ALTER TABLE \"{table}_away\" RENAME TO \"{table}\"");
                super::backend::Sqlite::exec(pool, &sql).await;
            }
        }
    }
}

/// The reaper's lock key for a table in the connection's default schema, as the crate
/// derives it (FNV-1a of `schema.table`, mixed with the reaper's salt). Written out here
/// on purpose: the key must not change between versions, or two versions of an app
/// running side by side during a deploy would not exclude each other.
pub fn reaper_lock_key(table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in ".".bytes().chain(table.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash as i64) ^ 0x5245_4150_4552_0001
}

// ---------------------------------------------------------------- backends

#[cfg(feature = "sqlite")]
impl ReaperBackend for super::backend::Sqlite {
    fn time_literal(t: DateTime<Utc>) -> String {
        t.timestamp_micros().to_string()
    }

    async fn faulty_pool(direct: &Pool<sqlx::Sqlite>, table: &str) -> (Pool<sqlx::Sqlite>, Fault) {
        let fault = Fault::RenameTable {
            pool: direct.clone(),
            table: table.to_owned(),
        };
        (direct.clone(), fault)
    }

    async fn hold_reaper_lock(
        _pool: &Pool<sqlx::Sqlite>,
        _table: &str,
    ) -> Option<PoolConnection<sqlx::Sqlite>> {
        None
    }

    async fn release_reaper_lock(_conn: PoolConnection<sqlx::Sqlite>, _table: &str) {}
}

/// Options for a pool that must notice a dead server quickly: short acquire timeout, and
/// a ping before each use so that a connection the proxy dropped is not handed out
/// (see transact-rs/sqlx#4349 on permits leaked by connections that die silently).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn faulty_pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(1))
        .test_before_acquire(true)
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn resolve(host: &str, port: u16) -> std::net::SocketAddr {
    tokio::net::lookup_host((host, port))
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address for the database host")
}

/// `faulty_pool` for a networked backend: the server's URL, reached through a [`Proxy`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! proxied_faulty_pool {
    ($options:ty) => {
        async fn faulty_pool(_direct: &Pool<Self::DB>, _table: &str) -> (Pool<Self::DB>, Fault) {
            let options: $options = Self::url().parse().expect("a valid database URL");
            let upstream = resolve(options.get_host(), options.get_port()).await;
            let proxy = Proxy::start(upstream).await;
            let options = options.host("127.0.0.1").port(proxy.addr().port());
            let pool = faulty_pool_options()
                .connect_with(options)
                .await
                .expect("connect through the proxy");
            (pool, Fault::Proxy(proxy))
        }
    };
}

#[cfg(feature = "postgres")]
impl ReaperBackend for super::backend::Postgres {
    fn time_literal(t: DateTime<Utc>) -> String {
        format!(
            "'{}'::timestamptz",
            t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )
    }

    proxied_faulty_pool!(sqlx::postgres::PgConnectOptions);

    async fn hold_reaper_lock(
        pool: &Pool<sqlx::Postgres>,
        table: &str,
    ) -> Option<PoolConnection<sqlx::Postgres>> {
        let mut conn = pool.acquire().await.expect("a connection");
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(reaper_lock_key(table))
            .execute(&mut *conn)
            .await
            .expect("take the reaper lock");
        Some(conn)
    }

    async fn release_reaper_lock(mut conn: PoolConnection<sqlx::Postgres>, table: &str) {
        let released: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
            .bind(reaper_lock_key(table))
            .fetch_one(&mut *conn)
            .await
            .expect("release the reaper lock");
        assert!(released, "the test held the reaper lock");
    }
}

#[cfg(feature = "mysql")]
fn mysql_lock_name(table: &str) -> String {
    format!("sqlx_session_store:reaper:{:x}", reaper_lock_key(table))
}

#[cfg(feature = "mysql")]
impl ReaperBackend for super::backend::MySql {
    fn time_literal(t: DateTime<Utc>) -> String {
        format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"))
    }

    proxied_faulty_pool!(sqlx::mysql::MySqlConnectOptions);

    async fn hold_reaper_lock(
        pool: &Pool<sqlx::MySql>,
        table: &str,
    ) -> Option<PoolConnection<sqlx::MySql>> {
        let mut conn = pool.acquire().await.expect("a connection");
        let got: i64 = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 10) AS SIGNED)")
            .bind(mysql_lock_name(table))
            .fetch_one(&mut *conn)
            .await
            .expect("take the reaper lock");
        assert_eq!(got, 1, "the test takes the reaper lock");
        Some(conn)
    }

    async fn release_reaper_lock(mut conn: PoolConnection<sqlx::MySql>, table: &str) {
        let released: i64 = sqlx::query_scalar("SELECT CAST(RELEASE_LOCK(?) AS SIGNED)")
            .bind(mysql_lock_name(table))
            .fetch_one(&mut *conn)
            .await
            .expect("release the reaper lock");
        assert_eq!(released, 1, "the test held the reaper lock");
    }
}

// ---------------------------------------------------------------- helpers

async fn pool<B: Backend>(ctx: &Ctx) -> Option<Pool<B::DB>> {
    B::pool_in_zone(ctx, DEFAULT_TEST_ZONE).await
}

fn builder<B: Backend>(pool: &Pool<B::DB>, table: &str) -> sqlx_session_store::Builder<B::DB> {
    SqlStore::builder(pool.clone()).table_name(table)
}

/// Rows in the table, live or expired, counted behind the store's back.
async fn raw_count<B: Backend>(pool: &Pool<B::DB>, table: &str) -> i64 {
    B::scalar(pool, &format!("SELECT COUNT(*) FROM {}", B::quote(table))).await
}

/// Inserts `n` rows `{prefix}{i}` with raw multi-row INSERTs of 1,000 rows each.
async fn insert_rows<B: ReaperBackend>(
    pool: &Pool<B::DB>,
    table: &str,
    prefix: &str,
    n: usize,
    expires: impl Fn(usize) -> DateTime<Utc>,
) {
    let now = B::time_literal(Utc::now());
    let mut start = 0;
    while start < n {
        let end = (start + 1000).min(n);
        let values: Vec<String> = (start..end)
            .map(|i| {
                format!(
                    "('{prefix}{i}', '{{}}', {}, {now}, {now})",
                    B::time_literal(expires(i))
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} (sid, data, expires, created_at, updated_at) VALUES {}",
            B::quote(table),
            values.join(", ")
        );
        B::exec(pool, &sql).await;
        start = end;
    }
}

fn with_message(events: &[Captured], message: &str) -> Vec<Captured> {
    events
        .iter()
        .filter(|e| e.message == message)
        .cloned()
        .collect()
}

/// Everything one reaper task logs, sqlx's log of each statement it runs included.
///
/// A reaper started by [`TaskLog::start`] keeps this subscriber for its whole life
/// (`start_expiring_sessions` spawns the task with the subscriber current at the call), so
/// the list holds that task's events alone, and its DELETE statements are counted by sqlx,
/// not by the crate. Its events do not reach the process-wide `capture` recorder.
#[derive(Clone, Default)]
pub struct TaskLog {
    events: Arc<Mutex<Vec<Captured>>>,
    next_span: Arc<AtomicU64>,
    /// Dropped (on the reaper's task) at its first "batch deleted" event.
    until_first_batch: Arc<Mutex<Option<Box<dyn Send>>>>,
}

/// The DELETE statements of one reaper run, each as the number of rows it removed.
#[derive(Debug)]
pub struct RunStatements {
    /// The run swept every expired row (else it was stopped between two statements).
    pub complete: bool,
    pub deletes: Vec<u64>,
}

impl RunStatements {
    pub fn rows(&self) -> u64 {
        self.deletes.iter().sum()
    }
}

impl TaskLog {
    /// Starts `store`'s reaper with this log as its subscriber.
    pub fn start(&self, store: &SqlStore<impl sqlx_session_store::Dialect>) -> ReaperHandle {
        tracing::subscriber::with_default(self.clone(), || started(store))
    }

    /// Starts `store`'s reaper with this log as its subscriber, holding `store` (the
    /// caller's last clone) until the reaper's first batch statement has run: the store is
    /// then dropped on the reaper's own task, between two statements, with no timing left
    /// to chance.
    pub fn start_and_drop_at_first_batch<DB: sqlx_session_store::Dialect>(
        &self,
        store: SqlStore<DB>,
    ) -> ReaperHandle {
        let mut held = self
            .until_first_batch
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let reaper = self.start(&store);
        *held = Some(Box::new(store));
        reaper
    }

    pub fn events(&self) -> Vec<Captured> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The rows removed by each DELETE statement on `quoted_table` that sqlx ran, in order.
    pub fn deletes(&self, quoted_table: &str) -> Vec<u64> {
        let prefix = format!("DELETE FROM {quoted_table} ");
        self.events()
            .iter()
            .filter(|e| e.target == "sqlx::query")
            .filter_map(|e| {
                // sqlx puts a long statement in `db.statement`, a short one in `summary`.
                let sql = match e.field("db.statement") {
                    Some(s) if !s.trim().is_empty() => s.trim(),
                    _ => e.field("summary")?.trim(),
                };
                sql.starts_with(&prefix)
                    .then(|| e.u64_field("rows_affected").expect("rows_affected"))
            })
            .collect()
    }

    /// The DELETE statements of each run of the (stopped) reaper of `table`, checked against
    /// what the reaper says of them: one batch event per statement with its row count, and
    /// per run the `batches` and `rows` of its closing event. A complete run deletes `limit`
    /// rows per statement until one deletes fewer (possibly none); a stopped run only full
    /// ones.
    ///
    /// sqlx's own count of the statements is read where it logs them on the reaper's task
    /// (PostgreSQL, MySQL). SQLite runs each statement on its connection's worker thread,
    /// whose events go to the process-wide subscriber instead; there the batch events are
    /// the count (the reaper emits one after each statement it runs).
    pub fn runs<B: ReaperBackend>(&self, table: &str, limit: u64) -> Vec<RunStatements> {
        let events = self.events();
        let batch_events: Vec<u64> = with_message(&events, "expired sessions batch deleted")
            .iter()
            .map(|e| e.u64_field("rows").expect("rows on each batch event"))
            .collect();
        let deletes = if B::NAME == "sqlite" {
            batch_events
        } else {
            let deletes = self.deletes(&B::quote(table));
            assert_eq!(
                deletes, batch_events,
                "each DELETE statement sqlx ran is one batch event with its row count"
            );
            deletes
        };
        let mut rest = deletes.as_slice();
        let mut runs = Vec::new();
        for e in &events {
            let complete = match e.message.as_str() {
                "expired sessions removed" | "no expired sessions" => true,
                "expiry reaper stopped between batches" => false,
                "expiry reaper run failed; retrying at the next interval" => {
                    panic!("a reaper run failed: {e:?}")
                }
                _ => continue,
            };
            let batches = e.u64_field("batches").expect("batches on each run event") as usize;
            assert!(
                batches <= rest.len(),
                "{e:?} claims more statements than sqlx ran"
            );
            let (ours, later) = rest.split_at(batches);
            rest = later;
            let run = RunStatements {
                complete,
                deletes: ours.to_vec(),
            };
            assert_eq!(e.u64_field("rows"), Some(run.rows()), "{e:?}: {run:?}");
            let full = if complete {
                let (last, before) = run
                    .deletes
                    .split_last()
                    .expect("a run deletes at least once");
                assert!(
                    *last < limit,
                    "a complete run ends on a short batch: {run:?}"
                );
                before
            } else {
                assert!(
                    !run.deletes.is_empty(),
                    "stopped after a statement: {run:?}"
                );
                &run.deletes[..]
            };
            assert!(
                full.iter().all(|&n| n == limit),
                "only the last statement of a run deletes fewer than {limit} rows: {run:?}"
            );
            runs.push(run);
        }
        assert!(rest.is_empty(), "DELETE statements outside a run: {rest:?}");
        runs
    }
}

impl Subscriber for TaskLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("sqlx_session_store") || metadata.target() == "sqlx::query"
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let captured = Captured::of(event);
        if captured.message == "expired sessions batch deleted" {
            // Taken out first: the store is dropped with no lock of this log held.
            let held = self
                .until_first_batch
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            drop(held);
        }
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(captured);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

fn past(seconds: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::seconds(seconds)
}

fn started(store: &SqlStore<impl sqlx_session_store::Dialect>) -> ReaperHandle {
    store
        .start_expiring_sessions()
        .expect("inside a runtime")
        .expect("a non-zero interval")
}

// ---------------------------------------------------------------- tests

pub async fn reaper_removes_expired_rows_and_keeps_live_ones<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("basic");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    for i in 0..20 {
        store
            .set(&format!("dead-{i}"), &json!({ "i": i }), Some(past(60)))
            .await
            .unwrap();
    }
    for i in 0..10 {
        store
            .set(&format!("live-{i}"), &json!({ "i": i }), None)
            .await
            .unwrap();
    }
    assert_eq!(raw_count::<B>(&pool, &table).await, 30);

    let reaper = started(&store);
    // The already-expired rows go at the first run ...
    wait_until(
        Duration::from_secs(30),
        "the expired rows are removed",
        || async { reaper.runs() >= 1 && raw_count::<B>(&pool, &table).await == 10 },
    )
    .await;
    // ... short-lived ones, stored after it (so that a slow machine cannot let them expire
    // before the first run), at a later run once they expire.
    let soon = Utc::now() + TimeDelta::milliseconds(600);
    for i in 0..10 {
        store
            .set(&format!("soon-{i}"), &json!({ "i": i }), Some(soon))
            .await
            .unwrap();
    }
    wait_until(
        Duration::from_secs(30),
        "only the live rows are left",
        || async { raw_count::<B>(&pool, &table).await == 10 },
    )
    .await;
    assert!(
        Utc::now() >= soon,
        "short-lived rows were not removed before they expired"
    );
    let mut ids = store.ids().await.unwrap();
    ids.sort();
    let mut live: Vec<String> = (0..10).map(|i| format!("live-{i}")).collect();
    live.sort();
    assert_eq!(ids, live, "live rows stay");
    // Stopping waits for the task to end, so its counters are final (a row can be gone
    // from the table an instant before the statement's result reaches the counter).
    store.stop_expiring_sessions().await;
    assert_eq!(reaper.rows_removed(), 30);
    assert!(reaper.runs() >= 2, "{reaper:?}");
    assert_eq!(reaper.failures(), 0, "{reaper:?}");

    // Each run that removed rows says how many and how long it took, at info.
    let removed = with_message(&capture::events_for(&table), "expired sessions removed");
    assert!(!removed.is_empty());
    assert!(removed
        .iter()
        .all(|e| e.level == Level::INFO && e.field("elapsed_ms").is_some()));
    let total: u64 = removed.iter().filter_map(|e| e.u64_field("rows")).sum();
    assert_eq!(total, 30);
    B::cleanup(pool, &ctx).await;
}

/// 25 expired rows in batches of 7: four statements, 7 + 7 + 7 + 4. 21 rows: four again,
/// the fourth finding nothing left (a run ends on the first statement that deletes fewer
/// than the batch size). Counted by sqlx's log of the DELETE statements the reaper ran, and
/// checked against the reaper's batch events, its run events and its counters.
pub async fn reaper_deletes_in_statements_of_delete_batch_size<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("batches");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .delete_batch_size(7)
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    store.set("live", &json!({ "n": 1 }), None).await.unwrap();
    // One INSERT statement each: a run sees all of its rows or none.
    insert_rows::<B>(&pool, &table, "a-", 25, |_| past(60)).await;

    let log = TaskLog::default();
    let reaper = log.start(&store);
    // Waiting for the run's closing event, not for the rows: a stop right after the last
    // full batch would end the run before the statement that finds nothing left.
    let removing_runs_ended = |n: usize| {
        let log = log.clone();
        move || {
            let done = with_message(&log.events(), "expired sessions removed").len() >= n;
            async move { done }
        }
    };
    wait_until(
        Duration::from_secs(30),
        "the run that removes the 25 rows ends",
        removing_runs_ended(1),
    )
    .await;
    assert_eq!(raw_count::<B>(&pool, &table).await, 1);
    insert_rows::<B>(&pool, &table, "b-", 21, |_| past(60)).await;
    wait_until(
        Duration::from_secs(30),
        "the run that removes the 21 rows ends",
        removing_runs_ended(2),
    )
    .await;
    // Stopping waits for the task, so its log is complete.
    store.stop_expiring_sessions().await;
    assert_eq!(raw_count::<B>(&pool, &table).await, 1, "the live row stays");
    assert_eq!(reaper.rows_removed(), 46);
    assert_eq!(reaper.failures(), 0, "{reaper:?}");

    let runs = log.runs::<B>(&table, 7);
    assert!(runs.iter().all(|r| r.complete), "{runs:?}");
    let removing: Vec<&[u64]> = runs
        .iter()
        .filter(|r| r.rows() > 0)
        .map(|r| r.deletes.as_slice())
        .collect();
    assert_eq!(
        removing,
        [&[7, 7, 7, 4][..], &[7, 7, 7, 0][..]],
        "four statements per run"
    );
    for idle in runs.iter().filter(|r| r.rows() == 0) {
        assert_eq!(
            idle.deletes,
            [0],
            "a run with nothing to do runs one statement"
        );
    }
    assert_eq!(runs.len() as u64, reaper.runs(), "{reaper:?}");
    let events = log.events();
    let removed: Vec<(Option<u64>, Option<u64>)> =
        with_message(&events, "expired sessions removed")
            .iter()
            .map(|e| (e.u64_field("rows"), e.u64_field("batches")))
            .collect();
    assert_eq!(removed, [(Some(25), Some(4)), (Some(21), Some(4))]);
    B::cleanup(pool, &ctx).await;
}

pub async fn reaper_drains_100k_rows_in_bounded_batches_while_reads_continue<B: ReaperBackend>(
    ctx: Ctx,
) {
    const BACKLOG: usize = 100_000;
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("backlog");
    // The reaper's store: the test is about its batches, not its bound (generous for a
    // loaded server). The reader below has a store of its own with the default bound.
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .operation_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    for i in 0..100 {
        store
            .set(&format!("live-{i}"), &json!({ "user": i }), None)
            .await
            .unwrap();
    }
    let inserting = Instant::now();
    // Expired between 1 s and about 28 h ago, in no particular order of insertion.
    insert_rows::<B>(&pool, &table, "old-", BACKLOG, |i| {
        past(1 + ((i * 7919) % BACKLOG) as i64)
    })
    .await;
    let insert_time = inserting.elapsed();
    assert_eq!(raw_count::<B>(&pool, &table).await, BACKLOG as i64 + 100);

    // A reader keeps asking for live sessions while the backlog is deleted.
    let stop_reading = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(AtomicU64::new(0));
    let reader = {
        let store = builder::<B>(&pool, &table).build().unwrap();
        let (stop, answers) = (stop_reading.clone(), answers.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let sid = format!("live-{}", i % 100);
                let got = store.get(&sid).await.expect("get during the reap");
                assert_eq!(got.expect("a live session").data["user"], i % 100);
                if i.is_multiple_of(10) {
                    assert_eq!(store.length().await.expect("length during the reap"), 100);
                }
                answers.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };

    let reaping = Instant::now();
    let log = TaskLog::default();
    let reaper = log.start(&store);
    wait_until(
        Duration::from_secs(300),
        "the backlog is reaped",
        || async { reaper.rows_removed() >= BACKLOG as u64 },
    )
    .await;
    let reap_time = reaping.elapsed();
    let answers_during_reap = answers.load(Ordering::Relaxed);
    stop_reading.store(true, Ordering::Relaxed);
    reader
        .await
        .expect("the reader saw every live session throughout");
    store.stop_expiring_sessions().await;

    assert_eq!(raw_count::<B>(&pool, &table).await, 100, "live rows stay");
    assert_eq!(reaper.rows_removed(), BACKLOG as u64);
    assert_eq!(reaper.failures(), 0, "{reaper:?}");
    assert!(
        answers_during_reap > 0,
        "the reader got answers while the reaper ran"
    );

    // Every DELETE statement removed at most `delete_batch_size` rows: counted by sqlx's
    // log of the statements the reaper ran, which `runs` checks against the reaper's events.
    let events = log.events();
    let limit = u64::from(DEFAULT_DELETE_BATCH_SIZE);
    let runs = log.runs::<B>(&table, limit);
    let batches: Vec<u64> = runs.iter().flat_map(|r| r.deletes.clone()).collect();
    let largest = batches.iter().copied().max().unwrap_or(0);
    assert!(
        largest <= limit,
        "a statement deleted {largest} rows, over {limit}"
    );
    assert_eq!(batches.iter().sum::<u64>(), BACKLOG as u64);
    assert!(
        batches.len() as u64 >= BACKLOG as u64 / limit,
        "{} statements",
        batches.len()
    );
    // All of it in one run of BACKLOG / limit full statements, then (unless the stop came
    // right after the last full one) the statement that finds nothing left; every other
    // run is one statement that finds nothing.
    let removing: Vec<&RunStatements> = runs.iter().filter(|r| r.rows() > 0).collect();
    assert_eq!(removing.len(), 1, "one run drains the backlog: {runs:?}");
    let full = (BACKLOG as u64 / limit) as usize;
    let mut expected = vec![limit; full];
    if removing[0].complete {
        expected.push(BACKLOG as u64 % limit);
    }
    assert_eq!(
        removing[0].deletes, expected,
        "the draining run's statements"
    );
    for idle in runs.iter().filter(|r| r.rows() == 0) {
        assert_eq!(
            idle.deletes,
            [0],
            "a run with nothing to do runs one statement"
        );
    }
    let runs = with_message(&events, "expired sessions removed");
    let run_ms: Vec<u64> = runs
        .iter()
        .filter_map(|e| e.u64_field("elapsed_ms"))
        .collect();
    eprintln!(
        "[{}] inserted {BACKLOG} expired rows in {insert_time:?}; reaped them in {reap_time:?} \
         (runs that removed rows took {run_ms:?} ms) with {} DELETE statements of at most \
         {largest} rows (limit {limit}); a concurrent reader got {answers_during_reap} answers meanwhile",
        B::NAME,
        batches.len(),
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn reaper_survives_a_database_outage<B: ReaperBackend>(ctx: Ctx) {
    let Some(direct) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("outage");
    builder::<B>(&direct, &table)
        .build()
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let (faulty, fault) = B::faulty_pool(&direct, &table).await;
    let store = builder::<B>(&faulty, &table)
        .check_expiration_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    insert_rows::<B>(&direct, &table, "before-", 5, |_| past(60)).await;
    let reaper = started(&store);
    wait_until(
        Duration::from_secs(30),
        "a first successful run",
        || async { reaper.runs() >= 1 && raw_count::<B>(&direct, &table).await == 0 },
    )
    .await;

    // Rows that expire during the outage (inserted before it: on SQLite the outage hides
    // the table from everyone).
    let expiry = Utc::now() + TimeDelta::milliseconds(500);
    insert_rows::<B>(&direct, &table, "secret-sid-", 5, |_| expiry).await;

    // The database goes away: runs fail, are logged, and the reaper keeps going.
    fault.cut().await;
    let failures_before = reaper.failures();
    let removed_before = reaper.rows_removed();
    wait_until(Duration::from_secs(30), "three failed runs", || async {
        reaper.failures() >= failures_before + 3 && Utc::now() > expiry
    })
    .await;
    assert!(reaper.is_running(), "a failing reaper keeps running");
    if fault.blackhole() {
        // Connections that hang instead of failing: runs time out (acquire_timeout) and
        // are counted as failures too; the pool does not run out of permits.
        let before = reaper.failures();
        wait_until(
            Duration::from_secs(30),
            "a failed run against a black hole",
            || async { reaper.failures() > before },
        )
        .await;
    }
    let failures_during_outage = reaper.failures() - failures_before;
    let runs_during_outage = reaper.runs();
    assert_eq!(
        reaper.rows_removed(),
        removed_before,
        "nothing deleted during the outage"
    );

    // Back again: the next run cleans up.
    fault.restore().await;
    wait_until(
        Duration::from_secs(30),
        "cleanup after the outage",
        || async { raw_count::<B>(&direct, &table).await == 0 },
    )
    .await;
    wait_until(
        Duration::from_secs(30),
        "a successful run after the outage",
        || async { reaper.runs() > runs_during_outage },
    )
    .await;
    assert!(reaper.is_running());
    assert_eq!(reaper.rows_removed(), 10);
    store
        .set("after", &json!({ "ok": true }), None)
        .await
        .unwrap();
    assert!(
        store.get("after").await.unwrap().is_some(),
        "the pool works again"
    );

    let warnings: Vec<Captured> = capture::events_for(&table)
        .into_iter()
        .filter(|e| e.level == Level::WARN)
        .collect();
    assert!(
        warnings.len() as u64 >= failures_during_outage,
        "each failed run is logged at warn: {} warnings, {failures_during_outage} failures",
        warnings.len()
    );
    for w in &warnings {
        assert_eq!(
            w.message,
            "expiry reaper run failed; retrying at the next interval"
        );
        assert!(
            !w.field("error").unwrap_or("").is_empty(),
            "the error chain is logged"
        );
    }
    for e in capture::events_for(&table) {
        assert!(
            !e.text().contains("secret-sid"),
            "an event leaked a session id: {e:?}"
        );
    }
    eprintln!(
        "[{}] outage: {failures_during_outage} failed runs logged at warn, first {:?}, last {:?}; \
         reaper then removed the rows ({reaper:?})",
        B::NAME,
        warnings.first().and_then(|w| w.field("error")),
        warnings.last().and_then(|w| w.field("error")),
    );
    store.stop_expiring_sessions().await;
    drop(store);
    faulty.close().await;
    drop(fault);
    B::cleanup(direct, &ctx).await;
}

pub async fn stop_expiring_sessions_really_stops_it<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("stop");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    insert_rows::<B>(&pool, &table, "a-", 5, |_| past(60)).await;
    let reaper = started(&store);
    wait_until(
        Duration::from_secs(30),
        "the first rows are reaped",
        || async { raw_count::<B>(&pool, &table).await == 0 },
    )
    .await;

    store.stop_expiring_sessions().await;
    assert!(!reaper.is_running(), "stopped and waited for");
    assert!(store.expiry_reaper().is_none());
    let removed = reaper.rows_removed();
    insert_rows::<B>(&pool, &table, "b-", 5, |_| past(60)).await;
    // Ten intervals later, nothing was deleted. The intervals are counted by the runs of a
    // reaper on another table with the same interval, so that a loaded machine, where the
    // stopped reaper would also have been slow, waits longer.
    let witness = builder::<B>(&pool, &ctx.table("stopw"))
        .check_expiration_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    witness.migrate().await.unwrap();
    let ticks = started(&witness);
    wait_until(
        Duration::from_secs(30),
        "ten runs of a reaper on another table",
        || async { ticks.runs() >= 10 },
    )
    .await;
    witness.stop_expiring_sessions().await;
    assert_eq!(
        raw_count::<B>(&pool, &table).await,
        5,
        "no deletion after stop"
    );
    assert_eq!(reaper.rows_removed(), removed);

    // It can be started again; the handle's shutdown stops it as well.
    let again = started(&store);
    assert!(again.is_running());
    wait_until(
        Duration::from_secs(30),
        "reaped after a restart",
        || async { raw_count::<B>(&pool, &table).await == 0 },
    )
    .await;
    again.shutdown().await;
    assert!(!again.is_running());
    assert!(store.expiry_reaper().is_none());
    // Stopping when nothing runs is fine.
    store.stop_expiring_sessions().await;
    B::cleanup(pool, &ctx).await;
}

pub async fn starting_twice_zero_interval_and_start_at_build<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("twice");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    store.migrate().await.unwrap();

    // Starting twice, from the store or a clone, gives the same reaper.
    let first = started(&store);
    let second = started(&store.clone());
    let via_getter = store.expiry_reaper().expect("running");
    second.shutdown().await;
    assert!(
        !first.is_running() && !via_getter.is_running(),
        "one reaper, three handles"
    );

    // Zero interval: no reaper, from the method or from the builder option.
    let zero = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::ZERO)
        .start_reaper(true)
        .build()
        .unwrap();
    assert!(zero.start_expiring_sessions().unwrap().is_none());
    assert!(zero.expiry_reaper().is_none());

    // The builder option starts one at build().
    let auto = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .start_reaper(true)
        .build()
        .unwrap();
    let reaper = auto.expiry_reaper().expect("started by build()");
    insert_rows::<B>(&pool, &table, "x-", 3, |_| past(60)).await;
    wait_until(
        Duration::from_secs(30),
        "the build-started reaper reaps",
        || async { raw_count::<B>(&pool, &table).await == 0 },
    )
    .await;
    auto.stop_expiring_sessions().await;
    assert_eq!(reaper.rows_removed(), 3);
    B::cleanup(pool, &ctx).await;
}

pub async fn dropping_every_store_clone_stops_the_reaper<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("drop");
    // A long interval: the reaper is asleep, not between two quick ticks, when the store goes.
    for interval in [Duration::from_millis(50), Duration::from_secs(3600)] {
        let store = builder::<B>(&pool, &table)
            .check_expiration_interval(interval)
            .build()
            .unwrap();
        store.migrate().await.unwrap();
        let clone = store.clone();
        let reaper = started(&clone);
        drop(store);
        assert!(
            clone.expiry_reaper().is_some(),
            "dropping one clone asked the reaper to stop"
        );
        if interval < Duration::from_secs(1) {
            // Runs go on: the reaper still reaches the store through the clone.
            let runs = reaper.runs();
            wait_until(
                Duration::from_secs(30),
                "two more runs after a clone was dropped (or the reaper's end)",
                || async { reaper.runs() >= runs + 2 || !reaper.is_running() },
            )
            .await;
        } else {
            // Asleep for the hour: nothing to wait for but time.
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        assert!(reaper.is_running(), "a clone still holds the store");
        drop(clone);
        wait_until(
            Duration::from_secs(30),
            "the reaper ends with the store",
            || async { !reaper.is_running() },
        )
        .await;
        // The handle did not keep the store alive, and waiting on it returns at once.
        reaper.shutdown().await;
    }

    // Dropped in the middle of a long run: the run ends after its current statement
    // instead of draining the whole backlog for a store nobody uses any more.
    const BACKLOG: u64 = 30_000;
    insert_rows::<B>(&pool, &table, "old-", BACKLOG as usize, |i| {
        past(1 + i as i64)
    })
    .await;
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(50))
        .delete_batch_size(10)
        .build()
        .unwrap();
    let log = TaskLog::default();
    // The last clone goes right after the run's first statement.
    let reaper = log.start_and_drop_at_first_batch(store);
    wait_until(
        Duration::from_secs(30),
        "the reaper ends between two batches",
        || async { !reaper.is_running() },
    )
    .await;
    let removed = reaper.rows_removed();
    assert_eq!(
        removed, 10,
        "the run stopped after the statement during which the store went ({removed} of {BACKLOG} rows)"
    );
    // One run, stopped between two statements of 10 rows each.
    let runs = log.runs::<B>(&table, 10);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(!runs[0].complete, "stopped, not swept: {:?}", runs[0]);
    assert_eq!(runs[0].rows(), removed);
    assert_eq!(runs[0].deletes.len() as u64, removed / 10);
    assert_eq!(
        raw_count::<B>(&pool, &table).await,
        (BACKLOG - removed) as i64
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn starting_outside_a_runtime_is_an_error_not_a_panic<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("nort");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let (outside, built) = std::thread::spawn({
        let (store, pool, table) = (store.clone(), pool.clone(), table.clone());
        move || {
            let outside = store.start_expiring_sessions();
            let built = builder::<B>(&pool, &table).start_reaper(true).build();
            (outside.map(|h| h.is_some()), built.map(drop))
        }
    })
    .join()
    .expect("no panic outside a runtime");
    assert!(matches!(outside, Err(Error::NoRuntime)), "{outside:?}");
    assert!(matches!(built, Err(Error::NoRuntime)), "{built:?}");
    assert!(store.expiry_reaper().is_none());
    B::cleanup(pool, &ctx).await;
}

/// Waits for the first run of a freshly started reaper to end, however it ended.
async fn first_run_ends(reaper: &ReaperHandle, what: &str) {
    wait_until(Duration::from_secs(30), what, || async {
        reaper.runs() + reaper.skipped() + reaper.failures() >= 1
    })
    .await;
}

/// Two instances of an app, each with a pool of its own as two processes would have: a lock
/// an instance fails to release stays on a connection of its own pool (and a lock is
/// re-entrant within a database session), so only the other instance can tell.
pub async fn single_reaper_lets_one_instance_reap_at_a_time<B: ReaperBackend>(ctx: Ctx) {
    let Some(direct) = pool::<B>(&ctx).await else {
        return;
    };
    let (Some(pool_a), Some(pool_b)) = (pool::<B>(&ctx).await, pool::<B>(&ctx).await) else {
        return;
    };
    let table = ctx.table("single");
    let instance = |pool: &Pool<B::DB>| {
        builder::<B>(pool, &table)
            .check_expiration_interval(Duration::from_millis(100))
            .single_reaper(true)
            .build()
            .unwrap()
    };
    let a = instance(&pool_a);
    let b = instance(&pool_b);
    a.migrate().await.unwrap();
    insert_rows::<B>(&direct, &table, "a-", 5, |_| past(60)).await;

    // Another instance holds the lock: A skips its runs and deletes nothing.
    let held = B::hold_reaper_lock(&direct, &table).await;
    let reaper_a = started(&a);
    if held.is_some() {
        wait_until(Duration::from_secs(30), "three skipped runs", || async {
            reaper_a.skipped() >= 3
        })
        .await;
        assert_eq!(
            raw_count::<B>(&direct, &table).await,
            5,
            "nothing reaped while locked out"
        );
        assert_eq!(
            (reaper_a.runs(), reaper_a.failures()),
            (0, 0),
            "{reaper_a:?}"
        );
    }
    if let Some(conn) = held {
        B::release_reaper_lock(conn, &table).await;
    }
    wait_until(
        Duration::from_secs(30),
        "A reaps once the lock is free",
        || async { raw_count::<B>(&direct, &table).await == 0 },
    )
    .await;

    // A's runs have ended (stopping waits for the task): B's first run takes the lock A
    // released, and reaps.
    a.stop_expiring_sessions().await;
    assert_eq!(reaper_a.rows_removed(), 5);
    insert_rows::<B>(&direct, &table, "b-", 7, |_| past(60)).await;
    let reaper_b = started(&b);
    first_run_ends(&reaper_b, "B's first run").await;
    assert_eq!(
        (reaper_b.skipped(), reaper_b.failures()),
        (0, 0),
        "B's first run, after A's last one ended, found the reaper lock taken: \
         A did not release it ({reaper_b:?})"
    );
    wait_until(Duration::from_secs(30), "B reaps", || async {
        raw_count::<B>(&direct, &table).await == 0
    })
    .await;
    b.stop_expiring_sessions().await;
    assert_eq!(reaper_b.rows_removed(), 7, "{reaper_b:?}");

    // And back: A, started again, takes the lock B released.
    insert_rows::<B>(&direct, &table, "c-", 3, |_| past(60)).await;
    let again_a = started(&a);
    first_run_ends(&again_a, "A's first run after B's last").await;
    assert_eq!(
        (again_a.skipped(), again_a.failures()),
        (0, 0),
        "A's first run, after B's last one ended, found the reaper lock taken: \
         B did not release it ({again_a:?})"
    );
    wait_until(Duration::from_secs(30), "A reaps again", || async {
        raw_count::<B>(&direct, &table).await == 0
    })
    .await;
    assert_eq!(again_a.rows_removed(), 3, "{again_a:?}");

    // Both at once: both keep running without errors, and the lock is released after
    // every run (or the other could never take it again).
    let again_b = started(&b);
    for round in 0..3 {
        insert_rows::<B>(&direct, &table, &format!("r{round}-"), 50, |_| past(60)).await;
        wait_until(
            Duration::from_secs(30),
            "reaped by one of the two",
            || async { raw_count::<B>(&direct, &table).await == 0 },
        )
        .await;
    }
    let (runs_a, runs_b) = (again_a.runs(), again_b.runs());
    wait_until(
        Duration::from_secs(30),
        "each instance takes the lock again",
        || async { again_a.runs() > runs_a && again_b.runs() > runs_b },
    )
    .await;
    a.stop_expiring_sessions().await;
    b.stop_expiring_sessions().await;
    let reapers = [&reaper_a, &reaper_b, &again_a, &again_b];
    assert_eq!(
        reapers.iter().map(|r| r.failures()).sum::<u64>(),
        0,
        "{reapers:?}"
    );
    assert_eq!(
        reapers.iter().map(|r| r.rows_removed()).sum::<u64>(),
        165,
        "{reapers:?}"
    );
    if B::NAME == "sqlite" {
        assert_eq!(
            reapers.iter().map(|r| r.skipped()).sum::<u64>(),
            0,
            "no lock on SQLite"
        );
    }
    pool_a.close().await;
    pool_b.close().await;
    B::cleanup(direct, &ctx).await;
}

/// A process whose `main` returns while a reaper runs (even in the middle of a batch,
/// holding the reaper lock) exits promptly: dropping the runtime ends the reaper.
pub fn a_reaper_never_keeps_its_runtime_alive<B: ReaperBackend>(ctx: Ctx) {
    /// What the worker thread tells the test, in order.
    enum Report {
        Skipped,
        /// Set up, with the reaper busy: the runtime is dropped now.
        Dropping,
        Dropped {
            elapsed: Duration,
            still_running: bool,
        },
    }
    /// Connecting, inserting the backlog and seeing the reaper under way, on a slow machine.
    const SET_UP: Duration = Duration::from_secs(120);
    let table = ctx.table("rt");
    for multi_thread in [false, true] {
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = std::thread::spawn({
            let ctx = Ctx {
                test: ctx.test,
                unique: ctx.unique.clone(),
            };
            let table = table.clone();
            move || {
                let rt = if multi_thread {
                    tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                } else {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                }
                .expect("a runtime");
                let kept = rt.block_on(async {
                    let pool = pool::<B>(&ctx).await?;
                    let store = builder::<B>(&pool, &table)
                        .check_expiration_interval(Duration::from_millis(50))
                        .delete_batch_size(50)
                        .single_reaper(true)
                        .build()
                        .unwrap();
                    store.migrate().await.unwrap();
                    let prefix = format!("old{}-", u8::from(multi_thread));
                    insert_rows::<B>(&pool, &table, &prefix, 20_000, |i| past(1 + i as i64)).await;
                    let reaper = started(&store);
                    // Return while the reaper is busy with the backlog.
                    wait_until(
                        Duration::from_secs(30),
                        "the reaper is under way",
                        || async { reaper.rows_removed() > 0 },
                    )
                    .await;
                    Some((store, reaper))
                });
                let Some((store, reaper)) = kept else {
                    let _ = tx.send(Report::Skipped);
                    return;
                };
                let _ = tx.send(Report::Dropping);
                let dropping = Instant::now();
                drop(rt);
                let _ = tx.send(Report::Dropped {
                    elapsed: dropping.elapsed(),
                    still_running: reaper.is_running(),
                });
                // The store outlives its runtime here; dropping it later must not panic.
                drop(store);
            }
        });
        // Only the drop itself is timed, not the set-up before it.
        match rx.recv_timeout(SET_UP) {
            Ok(Report::Dropping) => {}
            Ok(Report::Skipped) => {
                worker.join().expect("no panic in the worker");
                return; // backend skipped
            }
            Ok(Report::Dropped { .. }) => unreachable!("dropped before dropping"),
            Err(e) => {
                // A panic in the set-up drops the sender: show the panic, not a timeout.
                if e == std::sync::mpsc::RecvTimeoutError::Disconnected {
                    worker.join().expect("no panic in the worker");
                }
                panic!("the worker did not get a reaper busy within {SET_UP:?}: {e}");
            }
        }
        let Ok(Report::Dropped {
            elapsed,
            still_running,
        }) = rx.recv_timeout(Duration::from_secs(10))
        else {
            panic!("the runtime was not dropped within 10 s while a reaper was running");
        };
        worker.join().expect("no panic in the worker");
        assert!(!still_running, "the reaper ended with its runtime");
        eprintln!(
            "[{}] {} runtime with a busy reaper dropped in {elapsed:?}",
            B::NAME,
            if multi_thread {
                "multi-thread"
            } else {
                "current-thread"
            }
        );
    }
    // The tables were made in runtimes that are gone; clean up from a new one.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        if let Some(pool) = pool::<B>(&ctx).await {
            B::cleanup(pool, &ctx).await;
        }
    });
}
