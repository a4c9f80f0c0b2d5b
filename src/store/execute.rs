//! How every statement of an operation runs: within the store's operation timeout, on a
//! connection that is closed (never handed back to the pool) when its statement timed out,
//! and once more, after a short random pause, when it lost a race with another transaction
//! (a deadlock or serialization failure rolls a single statement back whole, so running it
//! again is safe), or on a fresh connection when its connection could not serve (it broke,
//! or the server is shutting down or has left its cluster: [`Dialect::is_server_gone`]).
//! Anything else is returned as it is.
//!
//! What is run again on a fresh connection: a statement that cannot have been applied (no
//! connection could be had, or the server answered with an error that says it is leaving or
//! not ready: its statement was refused or rolled back), and, when the connection broke
//! with the statement in flight (which leaves it in doubt), only the operations that give
//! the same answer whether or not the first run was applied ([`Op::repeatable`]: the reads,
//! `set`'s upsert, the DDL). A write left in doubt otherwise fails with its error, as before:
//! running a version-conditional update or an insert again could report a conflict or a
//! taken id for the write's own effect. Statements on a connection the caller holds (the
//! reaper's, under its lock) are not run again here.

use std::sync::Arc;
use std::time::Duration;

use crate::dialect::bind::{DecodedRow, SqlKind, SqlValue};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::options::{FAILOVER_RETRIES, TRANSIENT_RETRIES};
use crate::store::SqlStore;
use crate::timer::Deadline;

/// What a statement returns.
#[derive(Clone, Copy)]
enum Call {
    /// The number of rows affected.
    Execute,
    /// Rows, each column decoded as given.
    Fetch(&'static [SqlKind]),
}

enum Done {
    Rows(u64),
    Fetched(Vec<DecodedRow>),
}

impl Done {
    fn rows(self) -> u64 {
        match self {
            Done::Rows(n) => n,
            Done::Fetched(rows) => rows.len() as u64,
        }
    }

    fn fetched(self) -> Vec<DecodedRow> {
        match self {
            Done::Fetched(rows) => rows,
            Done::Rows(_) => Vec::new(),
        }
    }
}

/// The pause before retry `n` (1-based): random, up to 5 ms, 10 ms, 20 ms, ... so that the
/// transactions that collided don't collide again in step.
fn backoff(n: u32) -> Duration {
    let ceiling_us = 5_000u64.saturating_mul(1 << n.saturating_sub(1).min(10));
    Duration::from_micros(rand::random_range(0..=ceiling_us))
}

/// The pause before failover `n` (1-based): random, up to 50 ms, 100 ms, 200 ms, ... (about
/// 1.5 s over the five), long enough for a proxy to mark a leaving server down.
fn failover_backoff(n: u32) -> Duration {
    let ceiling_us = 50_000u64.saturating_mul(1 << n.saturating_sub(1).min(10));
    Duration::from_micros(rand::random_range(ceiling_us / 2..=ceiling_us))
}

/// Whether a statement that failed with `e` may still have been applied: its connection
/// broke after it was sent. (A server's error reply means it was not.)
fn in_doubt(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Io(_))
}

/// One try of a statement on a connection of the pool.
enum Attempt {
    /// No connection could be had; nothing was sent.
    NoConnection(sqlx::Error),
    /// The statement's own result.
    Ran(Result<Done, sqlx::Error>),
}

impl<DB: Dialect> SqlStore<DB> {
    /// Runs one statement of operation `op` on the pool (after the one-time schema check).
    pub(crate) async fn execute(&self, op: Op, sql: &Arc<str>, args: &[SqlValue]) -> Result<u64> {
        self.execute_raw(op, sql, args)
            .await?
            .map_err(Error::db(op))
    }

    /// [`execute`](Self::execute), with the statement's own error given back as sqlx's, for
    /// the caller to classify (an insert's unique violation).
    pub(crate) async fn execute_raw(
        &self,
        op: Op,
        sql: &Arc<str>,
        args: &[SqlValue],
    ) -> Result<Result<u64, sqlx::Error>> {
        self.ready().await?;
        let done = self.on_pool(op, sql, args, Call::Execute).await?;
        Ok(done.map(Done::rows))
    }

    /// Runs one query of operation `op` on the pool (after the one-time schema check).
    pub(crate) async fn fetch(
        &self,
        op: Op,
        sql: &Arc<str>,
        args: &[SqlValue],
        kinds: &'static [SqlKind],
    ) -> Result<Vec<DecodedRow>> {
        self.ready().await?;
        self.fetch_unchecked(op, sql, args, kinds).await
    }

    /// [`fetch`](Self::fetch) without the schema check (the check's own query).
    pub(crate) async fn fetch_unchecked(
        &self,
        op: Op,
        sql: &Arc<str>,
        args: &[SqlValue],
        kinds: &'static [SqlKind],
    ) -> Result<Vec<DecodedRow>> {
        self.on_pool(op, sql, args, Call::Fetch(kinds))
            .await?
            .map(Done::fetched)
            .map_err(|e| match e {
                // A value the row holds cannot be read as its column's type (SQLite's
                // dynamic typing lets a BLOB into a TEXT column, text into an INTEGER one).
                sqlx::Error::ColumnDecode { .. } => Error::CorruptRow {
                    what: "a column holds a value of the wrong type",
                    source: None,
                },
                e => Error::db(op)(e),
            })
    }

    /// Runs one statement on `conn`, a connection the caller holds (the reaper's, under its
    /// lock). On [`Error::Timeout`] the caller must close `conn`, not reuse it.
    pub(crate) async fn execute_on(
        &self,
        op: Op,
        conn: &mut DB::Connection,
        sql: &Arc<str>,
        args: &[SqlValue],
    ) -> Result<u64> {
        let deadline = self.deadline();
        self.attempts(op, &deadline, conn, sql, args, Call::Execute)
            .await?
            .map(Done::rows)
            .map_err(Error::db(op))
    }

    /// A deadline one operation timeout from now.
    pub(crate) fn deadline(&self) -> Deadline {
        Deadline::after(self.options().operation_timeout)
    }

    /// Gets a connection and runs the statement on it, all within one deadline. The outer
    /// error is the store's (a timeout, no connection); the inner one the statement's.
    async fn on_pool(
        &self,
        op: Op,
        sql: &Arc<str>,
        args: &[SqlValue],
        call: Call,
    ) -> Result<Result<Done, sqlx::Error>> {
        let deadline = self.deadline();
        let mut failovers = 0;
        loop {
            let (result, sent) = match self
                .on_fresh_connection(op, &deadline, sql, args, call)
                .await?
            {
                Attempt::NoConnection(e) => (Err(e), false),
                Attempt::Ran(result) => (result, true),
            };
            let fail_over = match &result {
                // Run again only what cannot have been applied (no connection, or the
                // server refused the statement), or what gives the same answer when it was
                // (`Op::repeatable`): a broken connection leaves a write in doubt.
                Err(e) => {
                    failovers < FAILOVER_RETRIES
                        && DB::is_server_gone(e)
                        && (!sent || !in_doubt(e) || op.repeatable())
                        && !deadline.remaining().is_zero()
                }
                Ok(_) => false,
            };
            if !fail_over {
                return match result {
                    Err(e) if !sent => Err(Error::db(op)(e)),
                    result => Ok(result),
                };
            }
            failovers += 1;
            self.counters().failed_over();
            tracing::debug!(
                dialect = <DB as sqlx::Database>::NAME,
                table = self.table_name(),
                op = op.as_str(),
                retry = failovers,
                "server connection could not serve; running the statement on another"
            );
            let pause = failover_backoff(failovers).min(deadline.remaining());
            crate::timer::sleep(pause).await;
        }
    }

    /// One try of [`on_pool`](Self::on_pool): a connection from the pool, the statement
    /// run on it (with its retries of lost races); the connection closed, not pooled,
    /// when anything went wrong with it.
    async fn on_fresh_connection(
        &self,
        op: Op,
        deadline: &Deadline,
        sql: &Arc<str>,
        args: &[SqlValue],
        call: Call,
    ) -> Result<Attempt> {
        // sqlx's futures are large (acquire's is ~18 KB): boxed where they are made, so that
        // the store's own futures stay small and are not copied around by the kilobyte on
        // every poll-site move (unboxed, a `get` future was 56 KB).
        let acquired = deadline
            .run(Box::pin(self.pool().acquire()))
            .await
            .ok_or_else(|| timeout(op, deadline))?;
        let conn = match acquired {
            Ok(conn) => conn,
            // A new connection the server dropped in its handshake (it is going away, and
            // the proxy in front of it has not noticed yet): nothing was sent.
            Err(e) => return Ok(Attempt::NoConnection(e)),
        };
        // Dropped half-way (the caller gave up) inside a transaction of ours, the
        // connection is closed rather than pooled with that transaction open.
        let mut leased = Leased {
            conn: Some(conn),
            in_transaction: self.options().transaction_pooling,
        };
        let Some(conn) = leased.conn.as_mut() else {
            return Err(timeout(op, deadline));
        };
        let result = self.attempts(op, deadline, conn, sql, args, call).await;
        leased.in_transaction = false;
        let server_gone = matches!(&result, Ok(Err(e)) if DB::is_server_gone(e));
        if result.is_err() || server_gone {
            // Timed out with the statement in flight, or a transaction could not be ended:
            // the connection's state is unknown (a reply may still arrive, a transaction
            // may be open), so it is closed now rather than tested and handed on. One whose
            // server could not serve goes too.
            if let Some(conn) = leased.conn.take() {
                drop(conn.detach());
            }
        }
        result.map(Attempt::Ran)
    }

    /// Runs the statement on `conn` until it succeeds, fails for good, or the deadline
    /// passes (`Err(Timeout)`).
    async fn attempts(
        &self,
        op: Op,
        deadline: &Deadline,
        conn: &mut DB::Connection,
        sql: &Arc<str>,
        args: &[SqlValue],
        call: Call,
    ) -> Result<Result<Done, sqlx::Error>> {
        let mut retries = 0;
        loop {
            let wrap = self.options().transaction_pooling;
            let attempt = run_once::<DB>(conn, sql, args, call, wrap);
            let done = match deadline.run(attempt).await {
                None => return Err(timeout(op, deadline)),
                Some(Err(unended)) => return Err(Error::db(op)(unended)),
                Some(Ok(done)) => done,
            };
            match (call, &done) {
                (Call::Fetch(_), _) => self.counters().read(),
                (Call::Execute, Ok(Done::Rows(n))) => self.counters().wrote(Some(*n)),
                (Call::Execute, _) => self.counters().wrote(None),
            }
            match done {
                Err(e) if retries < TRANSIENT_RETRIES && DB::is_transient(&e) => {
                    retries += 1;
                    tracing::debug!(
                        dialect = <DB as sqlx::Database>::NAME,
                        table = self.table_name(),
                        op = op.as_str(),
                        retry = retries,
                        "statement lost a race with another transaction; running it again"
                    );
                    let pause = backoff(retries).min(deadline.remaining());
                    crate::timer::sleep(pause).await;
                }
                done => return Ok(done),
            }
        }
    }
}

/// The statement run once on `conn`, inside a transaction of its own when `wrap`
/// (`transaction_pooling`). Outer error: that transaction could not be begun or ended (the
/// connection's state is unknown); inner: the statement's own.
async fn run_once<DB: Dialect>(
    conn: &mut DB::Connection,
    sql: &Arc<str>,
    args: &[SqlValue],
    call: Call,
    wrap: bool,
) -> Result<Result<Done, sqlx::Error>, sqlx::Error> {
    if wrap {
        // A transaction pooler (PgBouncer's pool_mode = transaction) keeps one server
        // connection for a transaction only: sqlx's parse and execute steps of one
        // statement must not land on two.
        Box::pin(DB::simple(conn, "BEGIN")).await?;
    }
    // Through a transaction pooler, no statement may outlive its transaction.
    let persistent = !wrap;
    let done = match call {
        Call::Execute => Box::pin(DB::execute(&mut *conn, sql.clone(), args, persistent))
            .await
            .map(Done::Rows),
        Call::Fetch(kinds) => Box::pin(DB::fetch(&mut *conn, sql.clone(), args, kinds, persistent))
            .await
            .map(Done::Fetched),
    };
    if wrap {
        if matches!(&done, Err(e) if DB::is_server_gone(e)) {
            // Nothing to end on a connection whose server is gone (it is closed next).
            return Ok(done);
        }
        let end = if done.is_ok() { "COMMIT" } else { "ROLLBACK" };
        Box::pin(DB::simple(conn, end)).await?;
    }
    Ok(done)
}

/// A pooled connection, closed instead of pooled when dropped inside a transaction.
struct Leased<DB: Dialect> {
    conn: Option<sqlx::pool::PoolConnection<DB>>,
    in_transaction: bool,
}

impl<DB: Dialect> Drop for Leased<DB> {
    fn drop(&mut self) {
        if self.in_transaction {
            if let Some(conn) = self.conn.as_mut() {
                conn.close_on_drop();
            }
        }
    }
}

fn timeout(op: Op, deadline: &Deadline) -> Error {
    Error::timeout(op, deadline.budget())
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_its_ceiling_and_stays_under_it() {
        for n in 1..=4u32 {
            let ceiling = Duration::from_millis(5 << (n - 1));
            let pauses: Vec<Duration> = (0..200).map(|_| backoff(n)).collect();
            assert!(pauses.iter().all(|p| *p <= ceiling), "retry {n}");
            // Random, not a fixed step: 200 draws are not all equal.
            assert!(pauses.iter().any(|p| *p != pauses[0]), "retry {n}");
        }
        assert!(backoff(u32::MAX) <= Duration::from_millis(5 << 10));
    }
}
