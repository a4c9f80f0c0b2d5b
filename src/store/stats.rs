//! Counters of what a store ran: statements by kind and the front-end saves that needed
//! none. Relaxed atomics, one add per statement: no lock on the request path.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::dialect::Dialect;
use crate::store::SqlStore;

/// What one store (with all its clones) has run since it was built: read with
/// [`SqlStore::stats`]. Each figure only grows; compare two readings for a period.
///
/// Statements are the store's own, the reaper's and the schema check's included, each
/// attempt counted (a statement run again after losing a race counts twice); under
/// `transaction_pooling` each is wrapped in `BEGIN`/`COMMIT`, not counted here.
///
/// ```
/// # use sqlx_session_store::{Dialect, SqlStore};
/// # async fn example<DB: Dialect>(store: SqlStore<DB>) -> sqlx_session_store::Result<()> {
/// let before = store.stats();
/// store.touch("some-session", None).await?;
/// let after = store.stats();
/// assert_eq!(after.writes - before.writes, 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Queries that return rows (`SELECT`, and `INSERT ... RETURNING` where used).
    pub reads: u64,
    /// Statements that write (or may write) rows: inserts, updates, deletes, DDL.
    pub writes: u64,
    /// Rows those statements reported as affected.
    pub rows_written: u64,
    /// Front-end saves of unchanged data that ran no statement (inside the touch window,
    /// or under `disable_touch`).
    pub saves_skipped: u64,
    /// Statements run again on a fresh connection because theirs could not serve (it
    /// broke, or its server was shutting down or had left its cluster).
    pub failovers: u64,
}

/// The live counters behind [`StoreStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
    rows_written: AtomicU64,
    saves_skipped: AtomicU64,
    failovers: AtomicU64,
}

impl Counters {
    pub(crate) fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn wrote(&self, rows: Option<u64>) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        if let Some(rows) = rows {
            self.rows_written.fetch_add(rows, Ordering::Relaxed);
        }
    }

    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    pub(crate) fn skipped_save(&self) {
        self.saves_skipped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed_over(&self) {
        self.failovers.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> StoreStats {
        StoreStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            rows_written: self.rows_written.load(Ordering::Relaxed),
            saves_skipped: self.saves_skipped.load(Ordering::Relaxed),
            failovers: self.failovers.load(Ordering::Relaxed),
        }
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// What this store and its clones have run so far: see [`StoreStats`].
    pub fn stats(&self) -> StoreStats {
        self.counters().snapshot()
    }
}
