//! The core API beside raw sqlx written by hand: `get` (hit, miss), `set` (insert of a new
//! id, update of an existing one), `touch` (written, and skipped inside `touch_after`) and
//! `destroy`, on SQLite in memory, SQLite as a WAL file, PostgreSQL and MySQL/MariaDB.
//!
//! The raw side is what an application would write against the same table (made by
//! `store.migrate()`): plain SQL literals, `chrono` values bound and decoded natively where
//! sqlx supports them (PostgreSQL `TIMESTAMPTZ`, MySQL `DATETIME(6)`; the table's SQLite
//! `INTEGER` microseconds are bound as `i64`), the JSON parsed into a `serde_json::Value`
//! and the expiry read back as a `DateTime<Utc>`, as the store's `get` returns them. It is
//! not the store's SQL: no casts to text, no epoch extraction, a one-sided touch window.
//!
//! Ours and raw run alternately call by call (see `common`); the table printed at the end
//! gives `median(ours) / median(raw)` per operation.
//!
//! ```text
//! cargo bench --all-features --bench store -- --warm-up-time 1 --measurement-time 2
//! ```

mod common;

use std::time::Duration;

use common::raw::{Raw, RawMySql, RawPg, RawSqlite};
use common::{timed, Report};
use criterion::Criterion;
use serde_json::{json, Value};
use sqlx::Pool;
use sqlx_session_store::SqlStore;
use tokio::runtime::Runtime;

/// The row every `get`, update, and touch reads or writes.
const SID: &str = "bench-session-id-0123456789abcdef0123456789abcdef";
/// Never stored (`get` miss).
const MISSING: &str = "bench-session-id-that-is-not-stored-000000000000";
const SAMPLES: usize = 30;

/// A session of about 1 KiB of JSON, shaped like a web app's.
fn session_data() -> Value {
    json!({
        "user_id": 7_123_456,
        "user_name": "ada.lovelace",
        "roles": ["reader", "editor"],
        "csrf_token": "c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d9e",
        "locale": "en-GB",
        "cart": (0..8)
            .map(|i| json!({ "sku": format!("SKU-{i:05}"), "qty": i + 1, "price_cents": 1999 + i }))
            .collect::<Vec<_>>(),
        "flash": "x".repeat(480),
    })
}

fn bench_target<R: Raw>(
    c: &mut Criterion,
    rt: &Runtime,
    report: &mut Report,
    name: &str,
    pool: Pool<R::DB>,
) {
    let table = common::table(&format!("core_{}", name.replace('-', "_")));
    let build = |window: Duration| {
        SqlStore::builder(pool.clone())
            .table_name(&table)
            .expiration(Duration::from_secs(24 * 3600))
            .touch_after(window)
            .build()
            .expect("bench store")
    };
    // Every touch writes (touch_after zero) / touches inside 10 minutes are skipped.
    let store = build(Duration::ZERO);
    let lazy = build(Duration::from_secs(600));
    let sql = R::sql(&table);
    let data = session_data();
    let (pool, store, lazy, sql, data) = (&pool, &store, &lazy, &sql, &data);
    rt.block_on(async {
        store.migrate().await.expect("migrate");
        store.set(SID, data, None).await.expect("seed");
        // Both sides read the same record.
        let ours = store.get(SID).await.expect("get").expect("live");
        let raw = R::get(pool, sql, SID).await.expect("raw live");
        assert_eq!((ours.data, ours.expires), raw);
        assert!(!lazy.touch(SID, None).await.expect("touch"));
        assert!(!R::touch_if_old(pool, sql, SID).await);
    });
    let group = format!("core/{name}");
    let g = group.as_str();

    report.compare(
        c,
        rt,
        g,
        "get_hit",
        SAMPLES,
        |_| timed(store.get(SID)),
        |_| timed(R::get(pool, sql, SID)),
    );
    report.compare(
        c,
        rt,
        g,
        "get_miss",
        SAMPLES,
        |_| timed(store.get(MISSING)),
        |_| timed(R::get(pool, sql, MISSING)),
    );
    report.compare(
        c,
        rt,
        g,
        "set_insert",
        SAMPLES,
        |i| async move {
            let sid = format!("insert-ours-{i}");
            timed(store.set(&sid, data, None)).await
        },
        |i| async move {
            let sid = format!("insert-raw-{i}");
            timed(R::set(pool, sql, &sid, data)).await
        },
    );
    report.compare(
        c,
        rt,
        g,
        "set_update",
        SAMPLES,
        |_| timed(store.set(SID, data, None)),
        |_| timed(R::set(pool, sql, SID, data)),
    );
    report.compare(
        c,
        rt,
        g,
        "touch_written",
        SAMPLES,
        |_| timed(store.touch(SID, None)),
        |_| timed(R::touch(pool, sql, SID)),
    );
    report.compare(
        c,
        rt,
        g,
        "touch_skipped",
        SAMPLES,
        |_| timed(lazy.touch(SID, None)),
        |_| timed(R::touch_if_old(pool, sql, SID)),
    );
    report.compare(
        c,
        rt,
        g,
        "destroy",
        SAMPLES,
        |i| async move {
            let sid = format!("destroy-ours-{i}");
            R::set(pool, sql, &sid, data).await;
            timed(store.destroy(&sid)).await
        },
        |i| async move {
            let sid = format!("destroy-raw-{i}");
            R::set(pool, sql, &sid, data).await;
            timed(R::destroy(pool, sql, &sid)).await
        },
    );
    rt.block_on(async {
        R::drop_table(pool, sql).await;
        pool.close().await;
    });
}

fn main() {
    let mut c = common::criterion();
    let rt = common::runtime();
    let mut report = Report::default();
    if common::wanted("sqlite-mem") {
        let pool = rt.block_on(common::sqlite_memory("core"));
        bench_target::<RawSqlite>(&mut c, &rt, &mut report, "sqlite-mem", pool);
    }
    if common::wanted("sqlite-wal") {
        let pool = rt.block_on(common::sqlite_wal("core"));
        bench_target::<RawSqlite>(&mut c, &rt, &mut report, "sqlite-wal", pool);
        common::remove_sqlite("core");
    }
    if common::wanted("postgres") {
        if let Some(pool) = rt.block_on(common::postgres(2)) {
            bench_target::<RawPg>(&mut c, &rt, &mut report, "postgres", pool);
        }
    }
    if common::wanted("mysql") {
        if let Some(pool) = rt.block_on(common::mysql(2)) {
            bench_target::<RawMySql>(&mut c, &rt, &mut report, "mysql", pool);
        }
    }
    c.final_summary();
    report.print("Core operations: median(ours) / median(raw), one run");
}
