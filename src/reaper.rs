//! The expiry reaper: a background task that deletes expired rows on an interval.
//!
//! One reaper per store at most. It runs on the Tokio runtime it was started from, holds
//! only a weak reference to the store, and stops when it is told to, when every clone of
//! the store is dropped, or when the runtime shuts down; it never keeps a runtime alive.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::Rng;
use sqlx::pool::PoolConnection;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tracing::instrument::WithSubscriber;
use tracing::Instrument;

use crate::dialect::exec::{Exec, Value};
use crate::dialect::Dialect;
use crate::error::{Chain, Error, Result};
use crate::store::{SqlStore, WeakStore};

/// Each run is delayed by a random amount up to this fraction of the interval (10 %), so
/// that the reapers of many instances started together spread out instead of firing at once.
const JITTER_DIVISOR: u32 = 10;

/// Longer intervals are treated as this one (about a year), so that no deadline overflows.
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Mixed into the table's lock key, so that the reaper's lock is not `migrate`'s.
const REAPER_LOCK_SALT: i64 = 0x5245_4150_4552_0001; // "REAPER" 0001

/// The reaper slot of one store: the reaper currently started from it, if any.
///
/// Dropping the slot (when the last clone of the store goes) tells that reaper to stop.
#[derive(Default)]
pub(crate) struct Slot {
    current: Mutex<Option<Arc<Shared>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let current = self
            .current
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = current {
            shared.stop.send_replace(true);
        }
    }
}

/// State shared by a reaper task, its handles and the store's slot.
struct Shared {
    /// `true` once the reaper is asked to stop.
    stop: watch::Sender<bool>,
    /// `true` once the task has ended (or was dropped without running).
    done: watch::Sender<bool>,
    runs: AtomicU64,
    failures: AtomicU64,
    skipped: AtomicU64,
    rows: AtomicU64,
}

impl Shared {
    fn active(&self) -> bool {
        !*self.stop.borrow() && !*self.done.borrow()
    }
}

/// Marks the reaper as ended when the task's future is dropped: when it returns, when the
/// runtime shuts down, or when the runtime refused to run it at all.
struct Finished(Arc<Shared>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.done.send_replace(true);
    }
}

/// A handle on a running expiry reaper, from [`SqlStore::start_expiring_sessions`].
///
/// Cloning is cheap; every clone controls the same reaper. Dropping a handle does **not**
/// stop the reaper (stop it with [`shutdown`](Self::shutdown) or
/// [`SqlStore::stop_expiring_sessions`], or drop every clone of the store). The handle
/// does not keep the store alive.
///
/// The counters are cumulative since the reaper started and are meant for metrics and
/// health checks: a `failures()` that keeps rising means cleanup is not happening.
#[derive(Clone)]
pub struct ReaperHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for ReaperHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReaperHandle")
            .field("running", &self.is_running())
            .field("runs", &self.runs())
            .field("failures", &self.failures())
            .field("skipped", &self.skipped())
            .field("rows_removed", &self.rows_removed())
            .finish()
    }
}

impl ReaperHandle {
    /// Stops the reaper. The request takes effect when this is called, whether or not the
    /// returned future is awaited; awaiting it waits until the task has ended, which is
    /// at once when it is idle, or after the delete statement in progress has finished
    /// (a run stops between two batches, leaving the rest for a later run).
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        self.shared.stop.send_replace(true);
        let mut done = self.shared.done.subscribe();
        async move {
            // An error means the sender is gone, which cannot happen while we hold `shared`;
            // either way there is nothing left to wait for.
            let _ = done.wait_for(|ended| *ended).await;
        }
    }

    /// Whether the reaper task is still alive (it may be finishing a batch after a stop).
    pub fn is_running(&self) -> bool {
        !*self.shared.done.borrow()
    }

    /// Runs that completed: every expired row found was deleted.
    pub fn runs(&self) -> u64 {
        self.shared.runs.load(Ordering::Relaxed)
    }

    /// Runs that failed with a database error (each one is logged at `warn`); the reaper
    /// tries again at its next tick.
    pub fn failures(&self) -> u64 {
        self.shared.failures.load(Ordering::Relaxed)
    }

    /// Runs skipped because another instance held the reaper lock
    /// ([`single_reaper`](crate::Builder::single_reaper)).
    pub fn skipped(&self) -> u64 {
        self.shared.skipped.load(Ordering::Relaxed)
    }

    /// Expired rows this reaper has deleted, counted after each statement (so a run in
    /// progress, or one that later failed, counts what it deleted so far).
    pub fn rows_removed(&self) -> u64 {
        self.shared.rows.load(Ordering::Relaxed)
    }
}

/// What one sweep did so far (kept even when it stops on an error).
#[derive(Debug, Default)]
pub(crate) struct Progress<'a> {
    pub rows: u64,
    pub batches: u64,
    /// A running total to add each batch to as soon as it is deleted (the reaper's).
    total: Option<&'a AtomicU64>,
}

impl Progress<'_> {
    fn add_batch(&mut self, rows: u64) {
        self.rows += rows;
        self.batches += 1;
        if let Some(total) = self.total {
            total.fetch_add(rows, Ordering::Relaxed);
        }
    }
}

enum Outcome {
    Swept,
    Stopped,
    Busy,
}

/// Holds the reaper lock on a pooled connection. If the lock could not be released (or the
/// run was cancelled while holding it) the connection is closed instead of going back to
/// the pool, which ends the database session and with it the lock.
struct LockedConn<DB: Dialect> {
    conn: PoolConnection<DB>,
    released: bool,
}

impl<DB: Dialect> Drop for LockedConn<DB> {
    fn drop(&mut self) {
        if !self.released {
            self.conn.close_on_drop();
        }
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// Starts the expiry reaper: a task on the current Tokio runtime that deletes expired
    /// rows every [`check_expiration_interval`](crate::Builder::check_expiration_interval),
    /// in statements of at most [`delete_batch_size`](crate::Builder::delete_batch_size) rows.
    ///
    /// Returns `Ok(None)` when the interval is zero (no reaper), and the handle of the
    /// running reaper if one was already started from this store or a clone of it: there
    /// is never more than one per store. Fails with [`Error::NoRuntime`] outside a Tokio
    /// runtime (the runtime needs its time driver, as `#[tokio::main]` provides).
    ///
    /// The first run comes after a random delay of up to a tenth of the interval, and each
    /// later run up to a tenth after its tick, so that many instances don't fire together.
    /// Ticks missed while a run was slow are skipped, not queued. A failing run is logged
    /// at `warn` and retried at the next tick; a completed run logs how many rows it removed
    /// and how long it took (`info` when it removed rows, `debug` otherwise).
    ///
    /// The reaper holds the store weakly: it stops when every clone of the store is
    /// dropped (a run in progress ends after its current statement), and it never keeps
    /// the runtime from shutting down.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqlx_session_store::Result<()> {
    /// use std::time::Duration;
    /// use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
    ///
    /// let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
    /// let store = SqliteStore::builder(pool)
    ///     .check_expiration_interval(Duration::from_secs(5 * 60))
    ///     .build()?;
    /// store.migrate().await?;
    ///
    /// let reaper = store.start_expiring_sessions()?.expect("a non-zero interval");
    /// assert!(reaper.is_running());
    /// store.stop_expiring_sessions().await;
    /// assert!(!reaper.is_running());
    /// # Ok(()) }
    /// ```
    pub fn start_expiring_sessions(&self) -> Result<Option<ReaperHandle>> {
        let period = self.check_expiration_interval();
        if period.is_zero() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let mut current = self
            .reaper_slot()
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = current.as_ref().filter(|s| s.active()) {
            return Ok(Some(ReaperHandle {
                shared: Arc::clone(shared),
            }));
        }
        let shared = Arc::new(Shared {
            stop: watch::Sender::new(false),
            done: watch::Sender::new(false),
            runs: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            rows: AtomicU64::new(0),
        });
        let span = tracing::info_span!(
            "session_reaper",
            dialect = <DB as sqlx::Database>::NAME,
            table = self.table_name(),
        );
        let task = reap_loop(
            self.downgrade(),
            Finished(Arc::clone(&shared)),
            period.min(MAX_INTERVAL),
        );
        // Events of the task go to the subscriber that is current here, like the caller's.
        runtime.spawn(task.instrument(span).with_current_subscriber());
        *current = Some(Arc::clone(&shared));
        tracing::debug!(
            dialect = <DB as sqlx::Database>::NAME,
            table = self.table_name(),
            interval_ms = period.as_millis() as u64,
            "expiry reaper started"
        );
        Ok(Some(ReaperHandle { shared }))
    }

    /// Stops the expiry reaper started from this store (or a clone), if any.
    ///
    /// The stop takes effect when this is called; awaiting the returned future waits until
    /// the reaper has ended, which includes letting a delete statement in progress finish.
    /// The seed API's name; [`ReaperHandle::shutdown`] does the same.
    pub fn stop_expiring_sessions(&self) -> impl Future<Output = ()> + Send + 'static {
        let current = self
            .reaper_slot()
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let wait = current.map(|shared| ReaperHandle { shared }.shutdown());
        async move {
            if let Some(wait) = wait {
                wait.await;
            }
        }
    }

    /// The handle of the running expiry reaper, if one was started from this store (or a
    /// clone of it) and has not been stopped.
    pub fn expiry_reaper(&self) -> Option<ReaperHandle> {
        let current = self
            .reaper_slot()
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|s| s.active())
            .map(|shared| ReaperHandle {
                shared: Arc::clone(shared),
            })
    }

    /// Deletes expired rows, at most `delete_batch_size` per statement, until a statement
    /// deletes fewer than that (`Ok(true)`), or until `stop()` says so between two
    /// statements (`Ok(false)`). Runs on `conn` when given, else on the pool.
    pub(crate) async fn sweep(
        &self,
        mut conn: Option<&mut DB::Connection>,
        stop: Option<&(dyn Fn() -> bool + Sync)>,
        progress: &mut Progress<'_>,
    ) -> Result<bool> {
        let batch = self.options().delete_batch_size;
        let sql = &self.statements().delete_expired;
        loop {
            let exec = match conn.as_deref_mut() {
                Some(c) => Exec::Conn(c),
                None => Exec::Pool(self.pool()),
            };
            let args = vec![
                DB::time_value(Utc::now()),
                Value::Int(Some(i64::from(batch))),
            ];
            let n = DB::execute(exec, sql.clone(), args)
                .await
                .map_err(Error::db("clear_expired_sessions"))?;
            progress.add_batch(n);
            tracing::trace!(
                dialect = <DB as sqlx::Database>::NAME,
                table = self.table_name(),
                rows = n,
                limit = batch,
                "expired sessions batch deleted"
            );
            if n < u64::from(batch) {
                return Ok(true);
            }
            if stop.is_some_and(|stop| stop()) {
                return Ok(false);
            }
            // Let other tasks on this runtime (requests) run between two statements.
            tokio::task::yield_now().await;
        }
    }

    /// One run of the reaper, under the reaper lock when `single_reaper` is set.
    async fn reap_once(
        &self,
        stop: &(dyn Fn() -> bool + Sync),
        progress: &mut Progress<'_>,
    ) -> Result<Outcome> {
        let done = |complete| {
            if complete {
                Outcome::Swept
            } else {
                Outcome::Stopped
            }
        };
        if !self.options().single_reaper {
            return self.sweep(None, Some(stop), progress).await.map(done);
        }
        let key = self.table_def().lock_key() ^ REAPER_LOCK_SALT;
        let conn = self
            .pool()
            .acquire()
            .await
            .map_err(Error::db("reaper lock"))?;
        // Until the lock is known to be free again, an early exit closes the connection.
        let mut held = LockedConn {
            conn,
            released: false,
        };
        let got = DB::try_reaper_lock(&mut held.conn, key)
            .await
            .map_err(Error::db("reaper lock"))?;
        if !got {
            held.released = true;
            return Ok(Outcome::Busy);
        }
        let swept = self.sweep(Some(&mut held.conn), Some(stop), progress).await;
        match DB::release_reaper_lock(&mut held.conn, key).await {
            Ok(()) => held.released = true,
            Err(e) => {
                // The connection is closed on drop (see `LockedConn`), which frees the lock.
                let e = Error::db("reaper unlock")(e);
                tracing::warn!(
                    dialect = <DB as sqlx::Database>::NAME,
                    table = self.table_name(),
                    error = %Chain(&e),
                    "could not release the reaper lock; closing its connection"
                );
            }
        }
        swept.map(done)
    }
}

/// The reaper task. `finished` marks the reaper as ended however the future goes away.
async fn reap_loop<DB: Dialect>(store: WeakStore<DB>, finished: Finished, period: Duration) {
    let shared = Arc::clone(&finished.0);
    let mut stop = shared.stop.subscribe();
    let first = tokio::time::Instant::now() + jitter(period);
    let mut ticks = tokio::time::interval_at(first, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut first_tick = true;
    loop {
        if until_stopped(&mut stop, ticks.tick()).await.is_none() {
            break;
        }
        if !first_tick
            && until_stopped(&mut stop, tokio::time::sleep(jitter(period)))
                .await
                .is_none()
        {
            break;
        }
        first_tick = false;
        // Strong only for the length of one run: between runs the store can go away.
        let Some(strong) = store.upgrade() else {
            break;
        };
        // Between two statements, stop if asked to, or if this run holds the last clone.
        let stop_now = || *stop.borrow() || store.strong_count() <= 1;
        run(&strong, &shared, &stop_now).await;
    }
    tracing::debug!("expiry reaper stopped");
    drop(finished);
}

/// One tick: a run, its counters and its log event. Never fails, never panics.
async fn run<DB: Dialect>(store: &SqlStore<DB>, shared: &Shared, stop: &(dyn Fn() -> bool + Sync)) {
    let started = Instant::now();
    let mut progress = Progress {
        total: Some(&shared.rows),
        ..Progress::default()
    };
    let outcome = store.reap_once(stop, &mut progress).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let (dialect, table) = (<DB as sqlx::Database>::NAME, store.table_name());
    match outcome {
        Ok(Outcome::Swept) => {
            shared.runs.fetch_add(1, Ordering::Relaxed);
            if progress.rows > 0 {
                tracing::info!(
                    dialect,
                    table,
                    rows = progress.rows,
                    batches = progress.batches,
                    elapsed_ms,
                    "expired sessions removed"
                );
            } else {
                tracing::debug!(
                    dialect,
                    table,
                    rows = 0u64,
                    batches = progress.batches,
                    elapsed_ms,
                    "no expired sessions"
                );
            }
        }
        Ok(Outcome::Stopped) => {
            tracing::debug!(
                dialect,
                table,
                rows = progress.rows,
                batches = progress.batches,
                elapsed_ms,
                "expiry reaper stopped between batches"
            );
        }
        Ok(Outcome::Busy) => {
            shared.skipped.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                dialect,
                table,
                "another instance holds the reaper lock; skipping this run"
            );
        }
        Err(e) => {
            let failures = shared.failures.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                dialect,
                table,
                rows = progress.rows,
                elapsed_ms,
                failures,
                error = %Chain(&e),
                "expiry reaper run failed; retrying at the next interval"
            );
        }
    }
}

/// Runs `f` until it completes (`Some`) or the reaper is asked to stop (`None`).
async fn until_stopped<F: Future>(stop: &mut watch::Receiver<bool>, f: F) -> Option<F::Output> {
    let mut stopped = pin!(stop.wait_for(|stop| *stop));
    let mut f = pin!(f);
    std::future::poll_fn(|cx| {
        // `Err`: the sender is gone, which also means stop.
        if stopped.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        f.as_mut().poll(cx).map(Some)
    })
    .await
}

/// A random delay of up to a tenth of `period`.
fn jitter(period: Duration) -> Duration {
    let max = period / JITTER_DIVISOR;
    if max.is_zero() {
        return Duration::ZERO;
    }
    let nanos = rand::rng().random_range(0..=max.as_nanos().min(u128::from(u64::MAX)) as u64);
    Duration::from_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_tenth() {
        let period = Duration::from_millis(200);
        for _ in 0..1000 {
            assert!(jitter(period) <= Duration::from_millis(20));
        }
        assert_eq!(jitter(Duration::from_nanos(5)), Duration::ZERO);
        assert!(jitter(MAX_INTERVAL) <= MAX_INTERVAL / 10);
    }
}
