//! The expiry reaper's lifecycle, written once and run against every backend by
//! `reaper_lifecycle_suite!` (one call each in `tests/reaper_{sqlite,postgres,mysql}.rs`):
//! stopping it really stops it, starting it twice or with a zero interval, dropping every
//! store clone stops it, no runtime is an error, and it never keeps its runtime alive.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use sqlx_session_store::Error;

use super::backend::Ctx;
use super::reaper_faults::ReaperBackend;
use super::reaper_support::{builder, insert_rows, past, pool, started, TaskLog};
use super::setup::raw_count;
use super::wait_until;

/// Registers every test of this file for `$backend` (called by `tests/reaper_*.rs`;
/// `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! reaper_lifecycle_suite {
    ($backend:ty) => {
        $crate::reaper_tests!(@async $backend; reaper_lifecycle_suite:
            stop_expiring_sessions_really_stops_it,
            starting_twice_zero_interval_and_start_at_build,
            dropping_every_store_clone_stops_the_reaper,
            starting_outside_a_runtime_is_an_error_not_a_panic,
        );
        $crate::reaper_tests!(@sync $backend; reaper_lifecycle_suite:
            a_reaper_never_keeps_its_runtime_alive,
        );
    };
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
