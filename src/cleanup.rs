//! Deleting expired rows: in bounded batches through the index on the expiry, each batch a
//! statement of its own. `clear_expired_sessions` and the expiry reaper both run this.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::Utc;

use crate::dialect::bind::SqlValue;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::op::Op;
use crate::store::SqlStore;

/// What one sweep did so far (kept even when it stops on an error).
#[derive(Debug, Default)]
pub(crate) struct Progress<'a> {
    pub rows: u64,
    pub batches: u64,
    /// A running total to add each batch to as soon as it is deleted (the reaper's).
    total: Option<&'a AtomicU64>,
}

impl<'a> Progress<'a> {
    /// A sweep that also adds each batch to `total` as soon as it is deleted.
    pub(crate) fn adding_to(total: &'a AtomicU64) -> Self {
        Self {
            total: Some(total),
            ..Self::default()
        }
    }

    fn add_batch(&mut self, rows: u64) {
        self.rows += rows;
        self.batches += 1;
        if let Some(total) = self.total {
            total.fetch_add(rows, Ordering::Relaxed);
        }
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// Deletes expired rows, at most `delete_batch_size` per statement, until none is
    /// left; returns how many were removed.
    ///
    /// This is what the expiry reaper runs on each tick; call it yourself to clean up from
    /// a cron job instead (see [`start_expiring_sessions`](Self::start_expiring_sessions)).
    pub async fn clear_expired_sessions(&self) -> Result<u64> {
        let started = Instant::now();
        let mut progress = Progress::default();
        self.sweep(None, None, &mut progress).await?;
        self.trace(Op::ClearExpiredSessions, started, progress.rows);
        Ok(progress.rows)
    }

    /// [`clear_expired_sessions`](Self::clear_expired_sessions) that can be stopped, and
    /// that reports as it goes: each batch's rows are added to `deleted` as soon as they
    /// are deleted (so it is right even when a later batch fails), and `stop` is asked
    /// after each full batch whether to end there. Returns whether it finished and how many
    /// delete statements it ran: see [`Sweep`].
    pub async fn clear_expired_sessions_until(
        &self,
        stop: &(dyn Fn() -> bool + Sync),
        deleted: &AtomicU64,
    ) -> Result<Sweep> {
        let started = Instant::now();
        let mut progress = Progress::adding_to(deleted);
        let finished = self.sweep(None, Some(stop), &mut progress).await;
        self.trace(Op::ClearExpiredSessions, started, progress.rows);
        Ok(Sweep {
            finished: finished?,
            statements: progress.batches,
        })
    }

    /// Deletes rows that had expired when the sweep began, at most `delete_batch_size` per
    /// statement, until a statement deletes fewer than that (`Ok(true)`), or until `stop()`
    /// says so between two statements (`Ok(false)`). Runs on `conn` when given, else on the
    /// pool; checks the schema first, like every operation.
    ///
    /// One "now" is bound for the whole sweep: rows that expire while it runs are left to
    /// the next one, so a steady stream of expiring sessions cannot keep it going.
    pub(crate) async fn sweep(
        &self,
        mut conn: Option<&mut DB::Connection>,
        stop: Option<&(dyn Fn() -> bool + Sync)>,
        progress: &mut Progress<'_>,
    ) -> Result<bool> {
        self.ready().await?;
        let sql = &self.statements().delete_expired;
        if !self
            .sweep_by(sql, Utc::now(), conn.as_deref_mut(), stop, progress)
            .await?
        {
            return Ok(false);
        }
        // Sessions past `max_lifetime`, however recently touched.
        match (&self.statements().delete_outlived, self.lifetime_cutoff()) {
            (Some(sql), Some(cutoff)) => self.sweep_by(sql, cutoff, conn, stop, progress).await,
            _ => Ok(true),
        }
    }

    /// One batched delete run to the end: `sql` binds `before` and the batch size.
    async fn sweep_by(
        &self,
        sql: &std::sync::Arc<str>,
        before: chrono::DateTime<Utc>,
        mut conn: Option<&mut DB::Connection>,
        stop: Option<&(dyn Fn() -> bool + Sync)>,
        progress: &mut Progress<'_>,
    ) -> Result<bool> {
        const OP: Op = Op::ClearExpiredSessions;
        let batch = self.options().delete_batch_size;
        let args = [
            DB::time_param(before),
            SqlValue::Int(Some(i64::from(batch))),
        ];
        loop {
            let n = match conn.as_deref_mut() {
                Some(c) => self.execute_on(OP, c, sql, &args).await?,
                None => self.execute(OP, sql, &args).await?,
            };
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
}

/// How a [`clear_expired_sessions_until`](SqlStore::clear_expired_sessions_until) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sweep {
    /// No row that had expired as it began is left (`false`: `stop` ended it).
    pub finished: bool,
    /// Delete statements run, each of at most
    /// [`delete_batch_size`](crate::Builder::delete_batch_size) rows.
    pub statements: u64,
}
