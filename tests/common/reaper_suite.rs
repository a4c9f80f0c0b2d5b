//! The expiry reaper's contract on what it deletes, written once and run against every
//! backend by `reaper_suite!` (one call each in `tests/reaper_{sqlite,postgres,mysql}.rs`):
//! expired rows only, in statements of `delete_batch_size`, a 100k backlog drained while
//! reads go on, a database outage survived, one instance reaping at a time.
//!
//! Tests read the reaper's counters (`ReaperHandle::runs`, `failures`, ...) and its tracing
//! events (through `capture` and `TaskLog`), and look at the table with raw SQL. Starting
//! and stopping the reaper is `reaper_lifecycle_suite.rs`; the faults it survives come from
//! `reaper_faults.rs`.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::json;
use sqlx::Pool;
use sqlx_session_store::{ReaperHandle, DEFAULT_DELETE_BATCH_SIZE};
use tracing::Level;

use super::backend::Ctx;
use super::capture::{self, Captured};
use super::reaper_faults::ReaperBackend;
use super::reaper_support::{
    builder, insert_rows, past, pool, started, with_message, RunStatements, TaskLog,
};
use super::setup::raw_count;
use super::wait_until;

/// Registers every test of this file for `$backend` (called by `tests/reaper_*.rs`;
/// `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! reaper_suite {
    ($backend:ty) => {
        $crate::reaper_tests!(@async $backend; reaper_suite:
            reaper_removes_expired_rows_and_keeps_live_ones,
            reaper_deletes_in_statements_of_delete_batch_size,
            reaper_drains_100k_rows_in_bounded_batches_while_reads_continue,
            reaper_survives_a_database_outage,
            single_reaper_lets_one_instance_reap_at_a_time,
        );
    };
}

pub async fn reaper_removes_expired_rows_and_keeps_live_ones<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("basic");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    for i in 0..20 {
        store
            .set(&format!("dead-{i}"), &json!({ "i": i }), Some(past(60)))
            .await
            .unwrap();
    }
    for i in 0..10 {
        store
            .set(&format!("live-{i}"), &json!({ "i": i }), None)
            .await
            .unwrap();
    }
    assert_eq!(raw_count::<B>(&pool, &table).await, 30);

    let reaper = started(&store);
    // The already-expired rows go at the first run ...
    wait_until(
        Duration::from_secs(30),
        "the expired rows are removed",
        || async { reaper.runs() >= 1 && raw_count::<B>(&pool, &table).await == 10 },
    )
    .await;
    // ... short-lived ones, stored after it (so that a slow machine cannot let them expire
    // before the first run), at a later run once they expire.
    let soon = Utc::now() + TimeDelta::milliseconds(600);
    for i in 0..10 {
        store
            .set(&format!("soon-{i}"), &json!({ "i": i }), Some(soon))
            .await
            .unwrap();
    }
    wait_until(
        Duration::from_secs(30),
        "only the live rows are left",
        || async { raw_count::<B>(&pool, &table).await == 10 },
    )
    .await;
    assert!(
        Utc::now() >= soon,
        "short-lived rows were not removed before they expired"
    );
    let mut ids = store.ids().await.unwrap();
    ids.sort();
    let mut live: Vec<String> = (0..10).map(|i| format!("live-{i}")).collect();
    live.sort();
    assert_eq!(ids, live, "live rows stay");
    // Stopping waits for the task to end, so its counters are final (a row can be gone
    // from the table an instant before the statement's result reaches the counter).
    store.stop_expiring_sessions().await;
    assert_eq!(reaper.rows_removed(), 30);
    assert!(reaper.runs() >= 2, "{reaper:?}");
    assert_eq!(reaper.failures(), 0, "{reaper:?}");

    // Each run that removed rows says how many and how long it took, at info.
    let removed = with_message(&capture::events_for(&table), "expired sessions removed");
    assert!(!removed.is_empty());
    assert!(removed
        .iter()
        .all(|e| e.level == Level::INFO && e.field("elapsed_ms").is_some()));
    let total: u64 = removed.iter().filter_map(|e| e.u64_field("rows")).sum();
    assert_eq!(total, 30);
    B::cleanup(pool, &ctx).await;
}

/// 25 expired rows in batches of 7: four statements, 7 + 7 + 7 + 4. 21 rows: four again,
/// the fourth finding nothing left (a run ends on the first statement that deletes fewer
/// than the batch size). Counted by sqlx's log of the DELETE statements the reaper ran, and
/// checked against the reaper's batch events, its run events and its counters.
pub async fn reaper_deletes_in_statements_of_delete_batch_size<B: ReaperBackend>(ctx: Ctx) {
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("batches");
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .delete_batch_size(7)
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    store.set("live", &json!({ "n": 1 }), None).await.unwrap();
    // One INSERT statement each: a run sees all of its rows or none.
    insert_rows::<B>(&pool, &table, "a-", 25, |_| past(60)).await;

    let log = TaskLog::default();
    let reaper = log.start(&store);
    // Waiting for the run's closing event, not for the rows: a stop right after the last
    // full batch would end the run before the statement that finds nothing left.
    let removing_runs_ended = |n: usize| {
        let log = log.clone();
        move || {
            let done = with_message(&log.events(), "expired sessions removed").len() >= n;
            async move { done }
        }
    };
    wait_until(
        Duration::from_secs(30),
        "the run that removes the 25 rows ends",
        removing_runs_ended(1),
    )
    .await;
    assert_eq!(raw_count::<B>(&pool, &table).await, 1);
    insert_rows::<B>(&pool, &table, "b-", 21, |_| past(60)).await;
    wait_until(
        Duration::from_secs(30),
        "the run that removes the 21 rows ends",
        removing_runs_ended(2),
    )
    .await;
    // Stopping waits for the task, so its log is complete.
    store.stop_expiring_sessions().await;
    assert_eq!(raw_count::<B>(&pool, &table).await, 1, "the live row stays");
    assert_eq!(reaper.rows_removed(), 46);
    assert_eq!(reaper.failures(), 0, "{reaper:?}");

    let runs = log.runs::<B>(&table, 7);
    assert!(runs.iter().all(|r| r.complete), "{runs:?}");
    let removing: Vec<&[u64]> = runs
        .iter()
        .filter(|r| r.rows() > 0)
        .map(|r| r.deletes.as_slice())
        .collect();
    assert_eq!(
        removing,
        [&[7, 7, 7, 4][..], &[7, 7, 7, 0][..]],
        "four statements per run"
    );
    for idle in runs.iter().filter(|r| r.rows() == 0) {
        assert_eq!(
            idle.deletes,
            [0],
            "a run with nothing to do runs one statement"
        );
    }
    assert_eq!(runs.len() as u64, reaper.runs(), "{reaper:?}");
    let events = log.events();
    let removed: Vec<(Option<u64>, Option<u64>)> =
        with_message(&events, "expired sessions removed")
            .iter()
            .map(|e| (e.u64_field("rows"), e.u64_field("batches")))
            .collect();
    assert_eq!(removed, [(Some(25), Some(4)), (Some(21), Some(4))]);
    B::cleanup(pool, &ctx).await;
}

pub async fn reaper_drains_100k_rows_in_bounded_batches_while_reads_continue<B: ReaperBackend>(
    ctx: Ctx,
) {
    const BACKLOG: usize = 100_000;
    let Some(pool) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("backlog");
    // The reaper's store: the test is about its batches, not its bound (generous for a
    // loaded server). The reader below has a store of its own with the default bound.
    let store = builder::<B>(&pool, &table)
        .check_expiration_interval(Duration::from_millis(100))
        .operation_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    for i in 0..100 {
        store
            .set(&format!("live-{i}"), &json!({ "user": i }), None)
            .await
            .unwrap();
    }
    let inserting = Instant::now();
    // Expired between 1 s and about 28 h ago, in no particular order of insertion.
    insert_rows::<B>(&pool, &table, "old-", BACKLOG, |i| {
        past(1 + ((i * 7919) % BACKLOG) as i64)
    })
    .await;
    let insert_time = inserting.elapsed();
    assert_eq!(raw_count::<B>(&pool, &table).await, BACKLOG as i64 + 100);

    // A reader keeps asking for live sessions while the backlog is deleted.
    let stop_reading = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(AtomicU64::new(0));
    let reader = {
        let store = builder::<B>(&pool, &table).build().unwrap();
        let (stop, answers) = (stop_reading.clone(), answers.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let sid = format!("live-{}", i % 100);
                let got = store.get(&sid).await.expect("get during the reap");
                assert_eq!(got.expect("a live session").data["user"], i % 100);
                if i.is_multiple_of(10) {
                    assert_eq!(store.length().await.expect("length during the reap"), 100);
                }
                answers.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };

    let reaping = Instant::now();
    let log = TaskLog::default();
    let reaper = log.start(&store);
    wait_until(
        Duration::from_secs(300),
        "the backlog is reaped",
        || async { reaper.rows_removed() >= BACKLOG as u64 },
    )
    .await;
    let reap_time = reaping.elapsed();
    let answers_during_reap = answers.load(Ordering::Relaxed);
    stop_reading.store(true, Ordering::Relaxed);
    reader
        .await
        .expect("the reader saw every live session throughout");
    store.stop_expiring_sessions().await;

    assert_eq!(raw_count::<B>(&pool, &table).await, 100, "live rows stay");
    assert_eq!(reaper.rows_removed(), BACKLOG as u64);
    assert_eq!(reaper.failures(), 0, "{reaper:?}");
    assert!(
        answers_during_reap > 0,
        "the reader got answers while the reaper ran"
    );

    // Every DELETE statement removed at most `delete_batch_size` rows: counted by sqlx's
    // log of the statements the reaper ran, which `runs` checks against the reaper's events.
    let events = log.events();
    let limit = u64::from(DEFAULT_DELETE_BATCH_SIZE);
    let runs = log.runs::<B>(&table, limit);
    let batches: Vec<u64> = runs.iter().flat_map(|r| r.deletes.clone()).collect();
    let largest = batches.iter().copied().max().unwrap_or(0);
    assert!(
        largest <= limit,
        "a statement deleted {largest} rows, over {limit}"
    );
    assert_eq!(batches.iter().sum::<u64>(), BACKLOG as u64);
    assert!(
        batches.len() as u64 >= BACKLOG as u64 / limit,
        "{} statements",
        batches.len()
    );
    // All of it in one run of BACKLOG / limit full statements, then (unless the stop came
    // right after the last full one) the statement that finds nothing left; every other
    // run is one statement that finds nothing.
    let removing: Vec<&RunStatements> = runs.iter().filter(|r| r.rows() > 0).collect();
    assert_eq!(removing.len(), 1, "one run drains the backlog: {runs:?}");
    let full = (BACKLOG as u64 / limit) as usize;
    let mut expected = vec![limit; full];
    if removing[0].complete {
        expected.push(BACKLOG as u64 % limit);
    }
    assert_eq!(
        removing[0].deletes, expected,
        "the draining run's statements"
    );
    for idle in runs.iter().filter(|r| r.rows() == 0) {
        assert_eq!(
            idle.deletes,
            [0],
            "a run with nothing to do runs one statement"
        );
    }
    let runs = with_message(&events, "expired sessions removed");
    let run_ms: Vec<u64> = runs
        .iter()
        .filter_map(|e| e.u64_field("elapsed_ms"))
        .collect();
    eprintln!(
        "[{}] inserted {BACKLOG} expired rows in {insert_time:?}; reaped them in {reap_time:?} \
         (runs that removed rows took {run_ms:?} ms) with {} DELETE statements of at most \
         {largest} rows (limit {limit}); a concurrent reader got {answers_during_reap} answers meanwhile",
        B::NAME,
        batches.len(),
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn reaper_survives_a_database_outage<B: ReaperBackend>(ctx: Ctx) {
    let Some(direct) = pool::<B>(&ctx).await else {
        return;
    };
    let table = ctx.table("outage");
    builder::<B>(&direct, &table)
        .build()
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let (faulty, fault) = B::faulty_pool(&direct, &table).await;
    let store = builder::<B>(&faulty, &table)
        .check_expiration_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    insert_rows::<B>(&direct, &table, "before-", 5, |_| past(60)).await;
    let reaper = started(&store);
    wait_until(
        Duration::from_secs(30),
        "a first successful run",
        || async { reaper.runs() >= 1 && raw_count::<B>(&direct, &table).await == 0 },
    )
    .await;

    // Rows that expire during the outage (inserted before it: on SQLite the outage hides
    // the table from everyone).
    let expiry = Utc::now() + TimeDelta::milliseconds(500);
    insert_rows::<B>(&direct, &table, "secret-sid-", 5, |_| expiry).await;

    // The database goes away: runs fail, are logged, and the reaper keeps going.
    fault.cut().await;
    let failures_before = reaper.failures();
    let removed_before = reaper.rows_removed();
    wait_until(Duration::from_secs(30), "three failed runs", || async {
        reaper.failures() >= failures_before + 3 && Utc::now() > expiry
    })
    .await;
    assert!(reaper.is_running(), "a failing reaper keeps running");
    if fault.blackhole() {
        // Connections that hang instead of failing: runs time out (acquire_timeout) and
        // are counted as failures too; the pool does not run out of permits.
        let before = reaper.failures();
        wait_until(
            Duration::from_secs(30),
            "a failed run against a black hole",
            || async { reaper.failures() > before },
        )
        .await;
    }
    let failures_during_outage = reaper.failures() - failures_before;
    let runs_during_outage = reaper.runs();
    assert_eq!(
        reaper.rows_removed(),
        removed_before,
        "nothing deleted during the outage"
    );

    // Back again: the next run cleans up.
    fault.restore().await;
    wait_until(
        Duration::from_secs(30),
        "cleanup after the outage",
        || async { raw_count::<B>(&direct, &table).await == 0 },
    )
    .await;
    wait_until(
        Duration::from_secs(30),
        "a successful run after the outage",
        || async { reaper.runs() > runs_during_outage },
    )
    .await;
    assert!(reaper.is_running());
    assert_eq!(reaper.rows_removed(), 10);
    store
        .set("after", &json!({ "ok": true }), None)
        .await
        .unwrap();
    assert!(
        store.get("after").await.unwrap().is_some(),
        "the pool works again"
    );

    let warnings: Vec<Captured> = capture::events_for(&table)
        .into_iter()
        .filter(|e| e.level == Level::WARN)
        .collect();
    assert!(
        warnings.len() as u64 >= failures_during_outage,
        "each failed run is logged at warn: {} warnings, {failures_during_outage} failures",
        warnings.len()
    );
    for w in &warnings {
        assert_eq!(
            w.message,
            "expiry reaper run failed; retrying at the next interval"
        );
        assert!(
            !w.field("error").unwrap_or("").is_empty(),
            "the error chain is logged"
        );
    }
    for e in capture::events_for(&table) {
        assert!(
            !e.text().contains("secret-sid"),
            "an event leaked a session id: {e:?}"
        );
    }
    eprintln!(
        "[{}] outage: {failures_during_outage} failed runs logged at warn, first {:?}, last {:?}; \
         reaper then removed the rows ({reaper:?})",
        B::NAME,
        warnings.first().and_then(|w| w.field("error")),
        warnings.last().and_then(|w| w.field("error")),
    );
    store.stop_expiring_sessions().await;
    drop(store);
    faulty.close().await;
    drop(fault);
    B::cleanup(direct, &ctx).await;
}

/// Waits for the first run of a freshly started reaper to end, however it ended.
async fn first_run_ends(reaper: &ReaperHandle, what: &str) {
    wait_until(Duration::from_secs(30), what, || async {
        reaper.runs() + reaper.skipped() + reaper.failures() >= 1
    })
    .await;
}

/// Two instances of an app, each with a pool of its own as two processes would have: a lock
/// an instance fails to release stays on a connection of its own pool (and a lock is
/// re-entrant within a database session), so only the other instance can tell.
pub async fn single_reaper_lets_one_instance_reap_at_a_time<B: ReaperBackend>(ctx: Ctx) {
    let Some(direct) = pool::<B>(&ctx).await else {
        return;
    };
    let (Some(pool_a), Some(pool_b)) = (pool::<B>(&ctx).await, pool::<B>(&ctx).await) else {
        return;
    };
    let table = ctx.table("single");
    let instance = |pool: &Pool<B::DB>| {
        builder::<B>(pool, &table)
            .check_expiration_interval(Duration::from_millis(100))
            .single_reaper(true)
            .build()
            .unwrap()
    };
    let a = instance(&pool_a);
    let b = instance(&pool_b);
    a.migrate().await.unwrap();
    insert_rows::<B>(&direct, &table, "a-", 5, |_| past(60)).await;

    // Another instance holds the lock: A skips its runs and deletes nothing.
    let held = B::hold_reaper_lock(&direct, &table).await;
    let reaper_a = started(&a);
    if held.is_some() {
        wait_until(Duration::from_secs(30), "three skipped runs", || async {
            reaper_a.skipped() >= 3
        })
        .await;
        assert_eq!(
            raw_count::<B>(&direct, &table).await,
            5,
            "nothing reaped while locked out"
        );
        assert_eq!(
            (reaper_a.runs(), reaper_a.failures()),
            (0, 0),
            "{reaper_a:?}"
        );
    }
    if let Some(conn) = held {
        B::release_reaper_lock(conn, &table).await;
    }
    wait_until(
        Duration::from_secs(30),
        "A reaps once the lock is free",
        || async { raw_count::<B>(&direct, &table).await == 0 },
    )
    .await;

    // A's runs have ended (stopping waits for the task): B's first run takes the lock A
    // released, and reaps.
    a.stop_expiring_sessions().await;
    assert_eq!(reaper_a.rows_removed(), 5);
    insert_rows::<B>(&direct, &table, "b-", 7, |_| past(60)).await;
    let reaper_b = started(&b);
    first_run_ends(&reaper_b, "B's first run").await;
    assert_eq!(
        (reaper_b.skipped(), reaper_b.failures()),
        (0, 0),
        "B's first run, after A's last one ended, found the reaper lock taken: \
         A did not release it ({reaper_b:?})"
    );
    wait_until(Duration::from_secs(30), "B reaps", || async {
        raw_count::<B>(&direct, &table).await == 0
    })
    .await;
    b.stop_expiring_sessions().await;
    assert_eq!(reaper_b.rows_removed(), 7, "{reaper_b:?}");

    // And back: A, started again, takes the lock B released.
    insert_rows::<B>(&direct, &table, "c-", 3, |_| past(60)).await;
    let again_a = started(&a);
    first_run_ends(&again_a, "A's first run after B's last").await;
    assert_eq!(
        (again_a.skipped(), again_a.failures()),
        (0, 0),
        "A's first run, after B's last one ended, found the reaper lock taken: \
         B did not release it ({again_a:?})"
    );
    wait_until(Duration::from_secs(30), "A reaps again", || async {
        raw_count::<B>(&direct, &table).await == 0
    })
    .await;
    assert_eq!(again_a.rows_removed(), 3, "{again_a:?}");

    // Both at once: both keep running without errors, and the lock is released after
    // every run (or the other could never take it again).
    let again_b = started(&b);
    for round in 0..3 {
        insert_rows::<B>(&direct, &table, &format!("r{round}-"), 50, |_| past(60)).await;
        wait_until(
            Duration::from_secs(30),
            "reaped by one of the two",
            || async { raw_count::<B>(&direct, &table).await == 0 },
        )
        .await;
    }
    let (runs_a, runs_b) = (again_a.runs(), again_b.runs());
    wait_until(
        Duration::from_secs(30),
        "each instance takes the lock again",
        || async { again_a.runs() > runs_a && again_b.runs() > runs_b },
    )
    .await;
    a.stop_expiring_sessions().await;
    b.stop_expiring_sessions().await;
    let reapers = [&reaper_a, &reaper_b, &again_a, &again_b];
    assert_eq!(
        reapers.iter().map(|r| r.failures()).sum::<u64>(),
        0,
        "{reapers:?}"
    );
    assert_eq!(
        reapers.iter().map(|r| r.rows_removed()).sum::<u64>(),
        165,
        "{reapers:?}"
    );
    if B::NAME == "sqlite" {
        assert_eq!(
            reapers.iter().map(|r| r.skipped()).sum::<u64>(),
            0,
            "no lock on SQLite"
        );
    }
    pool_a.close().await;
    pool_b.close().await;
    B::cleanup(direct, &ctx).await;
}
