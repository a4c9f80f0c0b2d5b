//! `purge`: the expired sessions deleted in batches, with a progress bar on a terminal.
//!
//! Ctrl-C stops it after the current batch (each batch is one statement, which the
//! database finishes or rolls back whole): it then says how many it deleted, and exits
//! with code 130. A second Ctrl-C exits at once.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use sqlx_session_store::Dialect;

use crate::args::PurgeArgs;
use crate::failure::{Failure, INTERRUPTED};
use crate::report::{count, Report};
use crate::Setup;

pub(crate) async fn purge<DB: Dialect>(
    setup: &Setup<'_, DB>,
    args: &PurgeArgs,
) -> Result<Report, Failure> {
    let mut builder = setup.builder().delete_batch_size(args.batch);
    if let Some(secs) = args.max_lifetime {
        builder = builder.max_lifetime(Duration::from_secs(secs));
    }
    let store = builder.build()?;
    // Expired, or past --max-lifetime: what the purge deletes.
    let expired = store.row_counts().await?.expired;
    let (one, what) = if args.max_lifetime.is_some() {
        (
            "expired or outlived session",
            "expired or outlived sessions",
        )
    } else {
        ("expired session", "expired sessions")
    };
    if args.dry_run {
        return Ok(Report::new(
            format!(
                "{} would be deleted (dry run: nothing was deleted)",
                count(expired, one, what)
            ),
            json!({
                "command": "purge", "dry_run": true, "expired": expired, "deleted": 0,
                "statements": 0, "finished": true, "interrupted": false,
            }),
        ));
    }

    let interrupted = listen_for_ctrl_c().await;
    let bar = (!setup.cli.json && std::io::stdout().is_terminal()).then(|| progress_bar(expired));
    if bar.is_none() && expired > 0 {
        // On stderr, so that scripts (and `--json`) keep one result on stdout.
        let _ = writeln!(
            std::io::stderr().lock(),
            "deleting {}, at most {} per statement (Ctrl-C stops after the current batch)",
            count(expired, one, what),
            args.batch
        );
    }
    let deleted = AtomicU64::new(0);
    let stop = || {
        if let Some(bar) = &bar {
            bar.set_position(deleted.load(Ordering::Relaxed));
        }
        interrupted.load(Ordering::Relaxed)
    };
    let result = store.clear_expired_sessions_until(&stop, &deleted).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let n = deleted.load(Ordering::Relaxed);
    let (finished, statements) = match result {
        Ok(sweep) => (sweep.finished, sweep.statements),
        Err(e) => {
            return Err(Failure::from(e).with_context(&format!(
                "{} of {expired} were deleted before the failure",
                count(n, "session", "sessions")
            )))
        }
    };
    let json = json!({
        "command": "purge", "dry_run": false, "expired": expired, "deleted": n,
        "statements": statements, "finished": finished, "interrupted": !finished,
    });
    if finished {
        Ok(Report::new(
            format!(
                "deleted {} in {}",
                count(n, one, what),
                count(statements, "statement", "statements")
            ),
            json,
        ))
    } else {
        Ok(Report::new(
            format!("interrupted: deleted {n} of {expired} {what}; run purge again for the rest"),
            json,
        )
        .interrupted())
    }
}

/// A flag that the first Ctrl-C sets (the purge then stops after its current batch); the
/// second exits at once. The handler is in place when this returns.
async fn listen_for_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if set.swap(true, Ordering::Relaxed) {
                std::process::exit(i32::from(INTERRUPTED));
            }
            let _ = writeln!(
                std::io::stderr().lock(),
                "stopping after the current batch (Ctrl-C again to stop at once)"
            );
        }
    });
    // Let the task run up to its first wait: `ctrl_c` installs the handler there.
    tokio::task::yield_now().await;
    flag
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} deleted, {eta} left")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
