//! The expiry reaper: a background task that deletes expired rows on an interval.
//!
//! One reaper per store at most. It runs on the Tokio runtime it was started from, holds
//! only a weak reference to the store, and stops when it is told to, when every clone of
//! the store is dropped, or when the runtime shuts down; it never keeps a runtime alive.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use rand::Rng;
use sqlx::pool::PoolConnection;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tracing::instrument::WithSubscriber;
use tracing::Instrument;

use crate::cleanup::Progress;
use crate::dialect::Dialect;
use crate::error::{Chain, Error, Result};
use crate::op::Op;
use crate::store::background::{self, Background};
use crate::store::{SqlStore, WeakStore};

pub(crate) mod handle;
use handle::{EndedOnDrop, ReaperHandle, ReaperState};

/// Each run is delayed by a random amount up to this fraction of the interval (10 %), so
/// that the reapers of many instances started together spread out instead of firing at once.
const JITTER_DIVISOR: u32 = 10;

/// Longer intervals are treated as this one (about a year), so that no deadline overflows.
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Mixed into the table's lock key, so that the reaper's lock is not `migrate`'s.
const REAPER_LOCK_SALT: i64 = 0x5245_4150_4552_0001; // "REAPER" 0001

/// How one run of the reaper ended (other than with an error).
enum Outcome {
    /// Every expired row found was deleted.
    Swept,
    /// Asked to stop between two statements.
    Stopped,
    /// `single_reaper`: another instance holds the lock; nothing was done.
    LockHeldElsewhere,
}

impl Outcome {
    /// A sweep's outcome: `complete`, or stopped between two statements.
    fn of(complete: bool) -> Self {
        if complete {
            Outcome::Swept
        } else {
            Outcome::Stopped
        }
    }
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

/// The reaper in a store's background slot, unless it was asked to stop or has ended.
fn active_reaper(slot: &Option<Arc<dyn Background>>) -> Option<Arc<ReaperState>> {
    slot.as_ref()
        .filter(|task| task.is_active())
        .and_then(background::downcast::<ReaperState>)
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
    #[cfg_attr(feature = "sqlite", doc = "```")]
    #[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
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
        let mut current = self.background().lock();
        if let Some(shared) = active_reaper(&current) {
            return Ok(Some(ReaperHandle::of(&shared)));
        }
        let shared = Arc::new(ReaperState::new());
        let span = tracing::info_span!(
            "session_reaper",
            dialect = <DB as sqlx::Database>::NAME,
            table = self.table_name(),
        );
        let task = reap_loop(
            self.downgrade(),
            EndedOnDrop(Arc::clone(&shared)),
            period.min(MAX_INTERVAL),
        );
        // Events of the task go to the subscriber that is current here, like the caller's.
        runtime.spawn(task.instrument(span).with_current_subscriber());
        *current = Some(Arc::clone(&shared) as Arc<dyn Background>);
        tracing::debug!(
            dialect = <DB as sqlx::Database>::NAME,
            table = self.table_name(),
            interval_ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX),
            "expiry reaper started"
        );
        Ok(Some(ReaperHandle::of(&shared)))
    }

    /// Stops the expiry reaper started from this store (or a clone), if any.
    ///
    /// The stop takes effect when this is called; awaiting the returned future waits until
    /// the reaper has ended, which includes letting a delete statement in progress finish.
    /// The name connect-session-sequelize gives it; [`ReaperHandle::shutdown`] does the same.
    pub fn stop_expiring_sessions(&self) -> impl Future<Output = ()> + Send + 'static {
        let current = self.background().lock().take();
        let wait = current
            .as_ref()
            .and_then(background::downcast::<ReaperState>)
            .map(|shared| ReaperHandle::of(&shared).shutdown());
        async move {
            if let Some(wait) = wait {
                wait.await;
            }
        }
    }

    /// The handle of the running expiry reaper, if one was started from this store (or a
    /// clone of it) and has not been stopped.
    pub fn expiry_reaper(&self) -> Option<ReaperHandle> {
        active_reaper(&self.background().lock()).map(|shared| ReaperHandle::of(&shared))
    }

    /// One run of the reaper, under the reaper lock when `single_reaper` is set.
    async fn reap_once(
        &self,
        stop: &(dyn Fn() -> bool + Sync),
        progress: &mut Progress<'_>,
    ) -> Result<Outcome> {
        if !self.options().single_reaper {
            return self
                .sweep(None, Some(stop), progress)
                .await
                .map(Outcome::of);
        }
        // The schema check takes a pooled connection of its own: before the lock's.
        self.ready().await?;
        let key = self.table().lock_key() ^ REAPER_LOCK_SALT;
        let Some(mut held) = self.take_reaper_lock(key).await? else {
            return Ok(Outcome::LockHeldElsewhere);
        };
        let swept = self.sweep(Some(&mut held.conn), Some(stop), progress).await;
        // After a timeout the connection went silent: closing it (on drop) frees the lock
        // server-side, so there is nothing to release.
        if !matches!(swept, Err(Error::Timeout { .. })) {
            self.release_reaper_lock(&mut held, key).await;
        }
        swept.map(Outcome::of)
    }

    /// The reaper lock on a connection of its own; `None` when another instance holds it.
    async fn take_reaper_lock(&self, key: i64) -> Result<Option<LockedConn<DB>>> {
        const LOCK: Op = Op::ReaperLock;
        let timed_out = || Error::timeout(LOCK, self.options().operation_timeout);
        let deadline = self.deadline();
        let conn = deadline
            .run(self.pool().acquire())
            .await
            .ok_or_else(timed_out)?
            .map_err(Error::db(LOCK))?;
        // Until the lock is known to be free again, an early exit closes the connection.
        let mut held = LockedConn {
            conn,
            released: false,
        };
        let got = deadline
            .run(DB::try_reaper_lock(&mut held.conn, key))
            .await
            .ok_or_else(timed_out)?
            .map_err(Error::db(LOCK))?;
        if got {
            Ok(Some(held))
        } else {
            held.released = true;
            Ok(None)
        }
    }

    /// Releases the reaper lock; when that fails, `held` stays unreleased, so that its
    /// connection is closed on drop (see [`LockedConn`]), which frees the lock.
    async fn release_reaper_lock(&self, held: &mut LockedConn<DB>, key: i64) {
        const UNLOCK: Op = Op::ReaperUnlock;
        let unlocked = match self
            .deadline()
            .run(DB::release_reaper_lock(&mut held.conn, key))
            .await
        {
            Some(result) => result.map_err(Error::db(UNLOCK)),
            None => Err(Error::timeout(UNLOCK, self.options().operation_timeout)),
        };
        match unlocked {
            Ok(()) => held.released = true,
            Err(e) => tracing::warn!(
                dialect = <DB as sqlx::Database>::NAME,
                table = self.table_name(),
                error = %Chain(&e),
                "could not release the reaper lock; closing its connection"
            ),
        }
    }
}

/// The reaper task. `finished` marks the reaper as ended however the future goes away.
async fn reap_loop<DB: Dialect>(store: WeakStore<DB>, finished: EndedOnDrop, period: Duration) {
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
async fn run<DB: Dialect>(
    store: &SqlStore<DB>,
    shared: &ReaperState,
    stop: &(dyn Fn() -> bool + Sync),
) {
    let started = Instant::now();
    let mut progress = Progress::adding_to(&shared.rows);
    let outcome = store.reap_once(stop, &mut progress).await;
    let counter = match &outcome {
        Ok(Outcome::Swept) => Some(&shared.runs),
        Ok(Outcome::Stopped) => None,
        Ok(Outcome::LockHeldElsewhere) => Some(&shared.skipped),
        Err(_) => Some(&shared.failures),
    };
    let count = counter.map_or(0, |c| c.fetch_add(1, Ordering::Relaxed) + 1);
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    log_run(
        <DB as sqlx::Database>::NAME,
        store.table_name(),
        &outcome,
        &progress,
        elapsed_ms,
        count,
    );
}

/// The log event of one run; `count`: the run's counter after it (the failures so far, for
/// a failed run).
fn log_run(
    dialect: &str,
    table: &str,
    outcome: &Result<Outcome>,
    progress: &Progress<'_>,
    elapsed_ms: u64,
    count: u64,
) {
    let (rows, batches) = (progress.rows, progress.batches);
    match outcome {
        Ok(Outcome::Swept) if rows > 0 => {
            tracing::info!(
                dialect,
                table,
                rows,
                batches,
                elapsed_ms,
                "expired sessions removed"
            );
        }
        Ok(Outcome::Swept) => {
            tracing::debug!(
                dialect,
                table,
                rows,
                batches,
                elapsed_ms,
                "no expired sessions"
            );
        }
        Ok(Outcome::Stopped) => tracing::debug!(
            dialect,
            table,
            rows,
            batches,
            elapsed_ms,
            "expiry reaper stopped between batches"
        ),
        Ok(Outcome::LockHeldElsewhere) => tracing::debug!(
            dialect,
            table,
            "another instance holds the reaper lock; skipping this run"
        ),
        Err(e) => tracing::warn!(
            dialect,
            table,
            rows,
            elapsed_ms,
            failures = count,
            error = %Chain(e),
            "expiry reaper run failed; retrying at the next interval"
        ),
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
    let nanos = rand::rng().random_range(0..=u64::try_from(max.as_nanos()).unwrap_or(u64::MAX));
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
