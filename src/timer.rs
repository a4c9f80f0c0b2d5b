//! Timers that work on whichever runtime the app runs the store on: Tokio's when a Tokio
//! runtime is current, async-io's (async-std's reactor) otherwise, with the
//! `runtime-async-std` feature. Never panics for want of a runtime: without a timer, a
//! bound is not enforced (sqlx itself could not run there either).

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

/// A point in time that an operation, with every retry, must finish by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now.
    pub(crate) fn after(budget: Duration) -> Self {
        let now = Instant::now();
        Self {
            at: now.checked_add(budget).unwrap_or(now + FAR_FUTURE),
            budget,
        }
    }

    /// The whole budget this deadline was set with.
    pub(crate) fn budget(&self) -> Duration {
        self.budget
    }

    /// Time left (zero once passed).
    pub(crate) fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Runs `f` to completion, or gives `None` when the deadline passes first (`f` is
    /// dropped then).
    pub(crate) async fn run<F: Future>(&self, f: F) -> Option<F::Output> {
        timeout(self.remaining(), f).await
    }
}

/// About 30 years: what an unrepresentable deadline becomes.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `f`'s output, or `None` if `limit` passes first.
pub(crate) async fn timeout<F: Future>(limit: Duration, f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut timer = pin!(sleep(limit));
    let mut timer_done = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if !timer_done {
            if let Poll::Ready(waited) = timer.as_mut().poll(cx) {
                if waited {
                    return Poll::Ready(None);
                }
                // No timer on this thread: the bound is not enforced.
                timer_done = true;
            }
        }
        Poll::Pending
    })
    .await
}

/// Waits for `d`; `true` when it did, `false` at once when no runtime timer is available
/// (then the caller goes on without waiting).
pub(crate) async fn sleep(d: Duration) -> bool {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(d.min(FAR_FUTURE)).await;
        return true;
    }
    other_runtime_sleep(d).await
}

#[cfg(feature = "runtime-async-std")]
async fn other_runtime_sleep(d: Duration) -> bool {
    async_io::Timer::after(d.min(FAR_FUTURE)).await;
    true
}

#[cfg(not(feature = "runtime-async-std"))]
async fn other_runtime_sleep(_: Duration) -> bool {
    false
}
