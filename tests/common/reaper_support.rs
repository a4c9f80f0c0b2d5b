//! What both reaper suites (`reaper_suite.rs`, `reaper_lifecycle_suite.rs`) set up and
//! read: a store builder, bulk rows inserted behind the store's back, a started reaper, and
//! [`TaskLog`], everything one reaper task logs (sqlx's log of its statements included).

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::Pool;
use sqlx_session_store::{ReaperHandle, SqlStore};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use super::backend::{Backend, Ctx, DEFAULT_TEST_ZONE};
use super::capture::Captured;
use super::reaper_faults::ReaperBackend;

/// The reaper suites' test generator: one test per listed function of `$module`, with the
/// `capture` recorder installed; `@async` on a two-worker Tokio runtime, `@sync` plain.
#[macro_export]
macro_rules! reaper_tests {
    (@async $backend:ty; $module:ident: $($test:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            common::capture::install();
            let ctx = common::backend::Ctx::new(stringify!($test));
            common::$module::$test::<$backend>(ctx).await;
        }
    )*};
    (@sync $backend:ty; $module:ident: $($test:ident),* $(,)?) => {$(
        #[test]
        fn $test() {
            common::capture::install();
            let ctx = common::backend::Ctx::new(stringify!($test));
            common::$module::$test::<$backend>(ctx);
        }
    )*};
}

pub async fn pool<B: Backend>(ctx: &Ctx) -> Option<Pool<B::DB>> {
    B::pool_in_zone(ctx, DEFAULT_TEST_ZONE).await
}

pub fn builder<B: Backend>(pool: &Pool<B::DB>, table: &str) -> sqlx_session_store::Builder<B::DB> {
    SqlStore::builder(pool.clone()).table_name(table)
}

/// Inserts `n` rows `{prefix}{i}` with raw multi-row INSERTs of 1,000 rows each.
pub async fn insert_rows<B: ReaperBackend>(
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

pub fn with_message(events: &[Captured], message: &str) -> Vec<Captured> {
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

pub fn past(seconds: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::seconds(seconds)
}

pub fn started(store: &SqlStore<impl sqlx_session_store::Dialect>) -> ReaperHandle {
    store
        .start_expiring_sessions()
        .expect("inside a runtime")
        .expect("a non-zero interval")
}
