//! The state a reaper task shares with its handles and with the store it was started from.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use crate::store::background::Background;

/// State shared by a reaper task, its handles and the store's background slot.
pub(crate) struct ReaperState {
    /// `true` once the reaper is asked to stop.
    pub(crate) stop: watch::Sender<bool>,
    /// `true` once the task has ended (or was dropped without running).
    pub(crate) done: watch::Sender<bool>,
    pub(crate) runs: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) skipped: AtomicU64,
    pub(crate) rows: AtomicU64,
}

impl ReaperState {
    pub(crate) fn new() -> Self {
        Self {
            stop: watch::Sender::new(false),
            done: watch::Sender::new(false),
            runs: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            rows: AtomicU64::new(0),
        }
    }
}

impl Background for ReaperState {
    fn stop(&self) {
        self.stop.send_replace(true);
    }

    fn is_active(&self) -> bool {
        !*self.stop.borrow() && !*self.done.borrow()
    }
}

/// Marks the reaper as ended when the task's future is dropped: when it returns, when the
/// runtime shuts down, or when the runtime refused to run it at all.
pub(crate) struct EndedOnDrop(pub(crate) Arc<ReaperState>);

impl Drop for EndedOnDrop {
    fn drop(&mut self) {
        self.0.done.send_replace(true);
    }
}

/// A handle on a running expiry reaper, from [`SqlStore::start_expiring_sessions`](crate::SqlStore::start_expiring_sessions).
///
/// Cloning is cheap; every clone controls the same reaper. Dropping a handle does **not**
/// stop the reaper (stop it with [`shutdown`](Self::shutdown) or
/// [`SqlStore::stop_expiring_sessions`](crate::SqlStore::stop_expiring_sessions), or drop every clone of the store). The handle
/// does not keep the store alive.
///
/// The counters are cumulative since the reaper started and are meant for metrics and
/// health checks: a `failures()` that keeps rising means cleanup is not happening.
#[derive(Clone)]
pub struct ReaperHandle {
    shared: Arc<ReaperState>,
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
    pub(crate) fn of(shared: &Arc<ReaperState>) -> Self {
        Self {
            shared: Arc::clone(shared),
        }
    }

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

    /// Runs that failed: a database error, or a statement (or the reaper lock) that ran out
    /// of the [`operation_timeout`](crate::Builder::operation_timeout). Each one is logged at
    /// `warn`; the reaper tries again at its next tick.
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
