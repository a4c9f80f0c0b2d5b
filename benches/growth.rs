//! Growth: `get` and `set` with 1k, 100k and 1M rows in the table (flat is the target),
//! each beside the raw-sqlx equivalent of `benches/store.rs`; and `clear_expired_sessions`
//! on 10k expired rows among 100k, and on 10k and 100k expired rows among 1M (linear in the
//! expired rows, flat in the table's size), beside one hand-written
//! `DELETE .. WHERE expires <= ?`.
//!
//! The table is filled by bulk SQL (a recursive CTE on SQLite, `generate_series` on
//! PostgreSQL, MariaDB's `seq_<a>_to_<b>` sequence tables), in steps of at most 250k rows
//! per statement. `get` and `set` hit pseudo-random existing rows (ours and raw different
//! ones). `clear_expired_sessions` takes seconds per call, so it is timed by hand: the
//! expired rows are inserted (untimed) before each call, ours and raw alternately, and the
//! best of 3 calls (2 at 100k) is reported.
//!
//! ```text
//! cargo bench --all-features --bench growth -- --warm-up-time 1 --measurement-time 2
//! ```

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::raw::{Raw, RawMySql, RawPg, RawSqlite};
use common::{micros, timed, Report};
use criterion::Criterion;
use serde_json::json;
use sqlx::{AssertSqlSafe, Pool};
use sqlx_session_store::SqlStore;
use tokio::runtime::Runtime;

const STAGES: [u64; 3] = [1_000, 100_000, 1_000_000];
const CHUNK: u64 = 250_000;
const SAMPLES: usize = 20;

/// Bulk-inserts rows `<prefix><n>` for `n` in `from..to`, expiring at `expires`.
trait Fill: Raw {
    async fn fill(
        pool: &Pool<Self::DB>,
        table: &str,
        prefix: &str,
        from: u64,
        to: u64,
        expires: DateTime<Utc>,
    );
    /// The hand-written cleanup: one DELETE of every expired row.
    async fn delete_expired(pool: &Pool<Self::DB>, table: &str) -> u64;
}

/// A small JSON row: `{"n":<n>,"pad":"x…x"}` (about 120 bytes).
const PAD: usize = 100;

impl Fill for RawSqlite {
    async fn fill(
        pool: &Pool<sqlx::Sqlite>,
        t: &str,
        prefix: &str,
        from: u64,
        to: u64,
        expires: DateTime<Utc>,
    ) {
        let sql = format!(
            "WITH RECURSIVE seq(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?2) \
             INSERT INTO {t} (sid, data, expires, created_at, updated_at) \
             SELECT ?3 || n, '{{\"n\":' || n || ',\"pad\":\"{}\"}}', ?4, ?5, ?5 FROM seq",
            "x".repeat(PAD)
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(from as i64)
            .bind(to as i64)
            .bind(prefix)
            .bind(expires.timestamp_micros())
            .bind(Utc::now().timestamp_micros())
            .execute(pool)
            .await
            .expect("fill");
    }

    async fn delete_expired(pool: &Pool<sqlx::Sqlite>, t: &str) -> u64 {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {t} WHERE expires <= ?")))
            .bind(Utc::now().timestamp_micros())
            .execute(pool)
            .await
            .expect("delete expired")
            .rows_affected()
    }
}

impl Fill for RawPg {
    async fn fill(
        pool: &Pool<sqlx::Postgres>,
        t: &str,
        prefix: &str,
        from: u64,
        to: u64,
        expires: DateTime<Utc>,
    ) {
        let sql = format!(
            "INSERT INTO {t} (sid, data, expires, created_at, updated_at) \
             SELECT $3 || n, json_build_object('n', n, 'pad', repeat('x', {PAD})), $4, $5, $5 \
             FROM generate_series($1::int8, $2::int8 - 1) AS n"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(from as i64)
            .bind(to as i64)
            .bind(prefix)
            .bind(expires)
            .bind(Utc::now())
            .execute(pool)
            .await
            .expect("fill");
    }

    async fn delete_expired(pool: &Pool<sqlx::Postgres>, t: &str) -> u64 {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {t} WHERE expires <= $1"
        )))
        .bind(Utc::now())
        .execute(pool)
        .await
        .expect("delete expired")
        .rows_affected()
    }
}

impl Fill for RawMySql {
    async fn fill(
        pool: &Pool<sqlx::MySql>,
        t: &str,
        prefix: &str,
        from: u64,
        to: u64,
        expires: DateTime<Utc>,
    ) {
        // MariaDB's Sequence engine: `seq_<a>_to_<b>` is a table of the integers a..=b.
        let sql = format!(
            "INSERT INTO {t} (sid, data, expires, created_at, updated_at) \
             SELECT CONCAT(?, seq), CONCAT('{{\"n\":', seq, ',\"pad\":\"{}\"}}'), ?, ?, ? \
             FROM seq_{from}_to_{}",
            "x".repeat(PAD),
            to - 1
        );
        let now = Utc::now();
        sqlx::query(AssertSqlSafe(sql))
            .bind(prefix)
            .bind(expires)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await
            .expect("fill");
    }

    async fn delete_expired(pool: &Pool<sqlx::MySql>, t: &str) -> u64 {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {t} WHERE expires <= ?")))
            .bind(Utc::now())
            .execute(pool)
            .await
            .expect("delete expired")
            .rows_affected()
    }
}

async fn fill_chunked<R: Fill>(
    pool: &Pool<R::DB>,
    table: &str,
    prefix: &str,
    from: u64,
    to: u64,
    expires: DateTime<Utc>,
) {
    let mut a = from;
    while a < to {
        let b = (a + CHUNK).min(to);
        R::fill(pool, table, prefix, a, b, expires).await;
        a = b;
    }
}

/// A pseudo-random row among `0..n`, different for each `i`.
fn row(i: u64, n: u64) -> String {
    format!("bulk-{}", i.wrapping_mul(2_654_435_761) % n)
}

/// One line of the cleanup table.
pub struct Clear {
    name: String,
    table_rows: u64,
    expired: u64,
    ours: Duration,
    raw: Duration,
}

fn bench_target<R: Fill>(
    c: &mut Criterion,
    rt: &Runtime,
    report: &mut Report,
    clears: &mut Vec<Clear>,
    name: &str,
    pool: Pool<R::DB>,
) {
    let table = common::table(&format!("growth_{}", name.replace('-', "_")));
    let store = SqlStore::builder(pool.clone())
        .table_name(&table)
        .expiration(Duration::from_secs(24 * 3600))
        .build()
        .expect("bench store");
    let sql = R::sql(&table);
    rt.block_on(async {
        R::drop_table(&pool, &sql).await;
        store.migrate().await.expect("migrate");
    });
    let data = json!({
        "user_id": 7_123_456, "csrf_token": "c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a", "flash": "x".repeat(900)
    });
    let live = Utc::now() + TimeDelta::days(1);
    let mut filled = 0u64;
    let (pool, store, sql, data) = (&pool, &store, &sql, &data);
    for n in STAGES {
        let started = Instant::now();
        rt.block_on(fill_chunked::<R>(pool, &table, "bulk-", filled, n, live));
        filled = n;
        println!(
            "FILL {name}: {n} rows in the table ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        let group = format!("growth/{name}/{n}");
        report.compare(
            c,
            rt,
            &group,
            "get",
            SAMPLES,
            |i| async move { timed(store.get(&row(2 * i, n))).await },
            |i| async move { timed(R::get(pool, sql, &row(2 * i + 1, n))).await },
        );
        report.compare(
            c,
            rt,
            &group,
            "set",
            SAMPLES,
            |i| async move {
                let sid = row(2 * i, n);
                timed(store.set(&sid, data, None)).await
            },
            |i| async move {
                let sid = row(2 * i + 1, n);
                timed(R::set(pool, sql, &sid, data)).await
            },
        );
        let cases: &[u64] = match n {
            100_000 => &[10_000],
            1_000_000 => &[10_000, 100_000],
            _ => &[],
        };
        for &expired in cases {
            let reps = if expired >= 100_000 { 2 } else { 3 };
            let past = Utc::now() - TimeDelta::hours(1);
            let (mut ours, mut raw) = (Duration::MAX, Duration::MAX);
            for rep in 0..reps * 2 {
                rt.block_on(fill_chunked::<R>(
                    pool, &table, "expired-", 0, expired, past,
                ));
                let started = Instant::now();
                let deleted = if rep % 2 == 0 {
                    let d = rt.block_on(store.clear_expired_sessions()).expect("clear");
                    ours = ours.min(started.elapsed());
                    d
                } else {
                    let d = rt.block_on(R::delete_expired(pool, &table));
                    raw = raw.min(started.elapsed());
                    d
                };
                assert_eq!(deleted, expired, "every expired row, and only those");
            }
            println!(
                "CLEAR {name}: {expired} expired among {n}: ours {} µs, raw {} µs",
                micros(ours),
                micros(raw)
            );
            clears.push(Clear {
                name: name.to_owned(),
                table_rows: n,
                expired,
                ours,
                raw,
            });
        }
    }
    rt.block_on(async {
        R::drop_table(pool, sql).await;
        pool.close().await;
    });
}

fn main() {
    let mut c = common::criterion();
    let rt = common::runtime();
    let mut report = Report::default();
    let mut clears = Vec::new();
    if common::wanted("sqlite-wal") {
        let pool = rt.block_on(common::sqlite_wal("growth"));
        bench_target::<RawSqlite>(&mut c, &rt, &mut report, &mut clears, "sqlite-wal", pool);
        common::remove_sqlite("growth");
    }
    if common::wanted("postgres") {
        if let Some(pool) = rt.block_on(common::postgres(2)) {
            bench_target::<RawPg>(&mut c, &rt, &mut report, &mut clears, "postgres", pool);
        }
    }
    if common::wanted("mysql") {
        if let Some(pool) = rt.block_on(common::mysql(2)) {
            bench_target::<RawMySql>(&mut c, &rt, &mut report, &mut clears, "mysql", pool);
        }
    }
    c.final_summary();
    report.print("Growth, get and set: median(ours) / median(raw), one run");
    println!("\n### Growth, clear_expired_sessions (best of 3, of 2 at 100k expired)\n");
    println!(
        "| backend | rows in table | expired | ours ms | µs per row | raw DELETE ms | ours/raw |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for k in &clears {
        println!(
            "| {} | {} | {} | {:.1} | {:.2} | {:.1} | {:.3} |",
            k.name,
            k.table_rows,
            k.expired,
            k.ours.as_secs_f64() * 1e3,
            k.ours.as_secs_f64() * 1e6 / k.expired as f64,
            k.raw.as_secs_f64() * 1e3,
            k.ours.as_secs_f64() / k.raw.as_secs_f64()
        );
    }
}
