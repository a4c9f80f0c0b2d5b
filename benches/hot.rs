//! PostgreSQL: the share of HOT (heap-only tuple) updates among the store's writes of
//! changed session data, through tower-sessions' `SessionStore::save`, and the time of a
//! save, for
//!
//! - `touch_after(10 min)` (the store's behaviour for a changed save whose stored expiry is
//!   inside the window: `update_data`, which leaves `expires`, and so its index, as it is);
//! - `touch_after` zero (every changed save rewrites `expires`, as all of them did before),
//!
//! each on a table with the default `fillfactor` (100) and with `fillfactor = 90`.
//!
//! 200 sessions of about 1 KiB are created through the trait, then 2,000 changed saves
//! (10 per session, one key changed; each loaded first, untimed, as the session layer does)
//! run on both stores alternately, call by call. The counts are the deltas of
//! `pg_stat_user_tables.n_tup_upd` and `n_tup_hot_upd`, read once the counters have caught
//! up (PostgreSQL 15 flushes a backend's statistics at most once a second; the bench calls
//! `pg_stat_force_next_flush()` and polls).
//!
//! ```text
//! cargo bench --all-features --bench hot
//! ```

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{median, micros};
use serde_json::{json, Value};
use sqlx::{AssertSqlSafe, PgPool};
use sqlx_session_store::PgStore;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::SessionStore as _;

const SESSIONS: usize = 200;
const SAVES: usize = 2_000;
const DAY: Duration = Duration::from_secs(24 * 3600);

fn data() -> HashMap<String, Value> {
    let mut map = HashMap::new();
    map.insert("user_id".to_owned(), json!(7_123_456));
    map.insert("user_name".to_owned(), json!("ada.lovelace"));
    map.insert(
        "csrf_token".to_owned(),
        json!("c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d9e"),
    );
    map.insert(
        "cart".to_owned(),
        json!((0..8)
            .map(|i| json!({ "sku": format!("SKU-{i:05}"), "qty": i + 1, "price_cents": 1999 + i }))
            .collect::<Vec<_>>()),
    );
    map.insert("flash".to_owned(), json!("x".repeat(480)));
    map.insert("n".to_owned(), json!(0));
    map
}

async fn counters(pool: &PgPool, table: &str) -> (i64, i64) {
    sqlx::query_as("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1")
        .bind(table)
        .fetch_optional(pool)
        .await
        .expect("pg_stat_user_tables")
        .unwrap_or((0, 0))
}

/// The counters once they stop moving (and have reached `at_least` updates).
async fn settled(pool: &PgPool, table: &str, at_least: i64) -> (i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = (-1, -1);
    loop {
        // Flushes this connection's pending counters at the end of its transaction; the
        // polls below go through the pool's connections, which flush theirs in turn.
        let _ = sqlx::query("SELECT pg_stat_force_next_flush()")
            .execute(pool)
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = counters(pool, table).await;
        if (now == last && now.0 >= at_least) || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

struct Side {
    label: &'static str,
    table: String,
    store: PgStore,
    ids: Vec<Id>,
    times: Vec<Duration>,
    before: (i64, i64),
}

async fn side(pool: &PgPool, label: &'static str, window: Duration, fillfactor: u32) -> Side {
    let table = common::table(&format!("hot_{label}_ff{fillfactor}"));
    sqlx::query(AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
        .execute(pool)
        .await
        .expect("drop");
    let store = PgStore::builder(pool.clone())
        .table_name(&table)
        .expiration(DAY)
        .touch_after(window)
        .build()
        .expect("store");
    store.migrate().await.expect("migrate");
    if fillfactor != 100 {
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE {table} SET (fillfactor = {fillfactor})"
        )))
        .execute(pool)
        .await
        .expect("fillfactor");
    }
    let mut ids = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let mut record = Record {
            id: Id::default(),
            data: data(),
            expiry_date: time::OffsetDateTime::now_utc() + DAY,
        };
        store.create(&mut record).await.expect("create");
        ids.push(record.id);
    }
    let before = settled(pool, &table, 0).await;
    Side {
        label,
        table,
        store,
        ids,
        times: Vec::with_capacity(SAVES),
        before,
    }
}

/// One request that changes the session: load (untimed), change a key, save (timed).
async fn changed_save(s: &mut Side, i: usize) {
    let id = s.ids[i % SESSIONS];
    let mut record = s.store.load(&id).await.expect("load").expect("live");
    record.data.insert("n".to_owned(), json!(i + 1));
    record.expiry_date = time::OffsetDateTime::now_utc() + DAY;
    let started = Instant::now();
    s.store.save(&record).await.expect("save");
    s.times.push(started.elapsed());
}

fn main() {
    let rt = common::runtime();
    let Some(pool) = rt.block_on(common::postgres(2)) else {
        return;
    };
    println!("| fillfactor | store | changed saves | n_tup_upd | n_tup_hot_upd | HOT share | save µs (median) | save µs (mean) |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for fillfactor in [100, 90] {
        rt.block_on(async {
            let mut new = side(&pool, "new", Duration::from_secs(600), fillfactor).await;
            let mut old = side(&pool, "old", Duration::ZERO, fillfactor).await;
            for i in 0..SAVES {
                if i % 2 == 0 {
                    changed_save(&mut new, i).await;
                    changed_save(&mut old, i).await;
                } else {
                    changed_save(&mut old, i).await;
                    changed_save(&mut new, i).await;
                }
            }
            let mut medians = Vec::new();
            for s in [&mut new, &mut old] {
                let after = settled(&pool, &s.table, s.before.0 + SAVES as i64).await;
                let (upd, hot) = (after.0 - s.before.0, after.1 - s.before.1);
                let mean = s.times.iter().sum::<Duration>() / s.times.len() as u32;
                let med = median(&mut s.times);
                medians.push(med);
                let name = match s.label {
                    "new" => "touch_after 10 min (update_data)",
                    _ => "touch_after 0 (update with expires)",
                };
                println!(
                    "| {fillfactor} | {name} | {SAVES} | {upd} | {hot} | {:.1} % | {} | {} |",
                    100.0 * hot as f64 / upd.max(1) as f64,
                    micros(med),
                    micros(mean)
                );
                sqlx::query(AssertSqlSafe(format!("DROP TABLE IF EXISTS {}", s.table)))
                    .execute(&pool)
                    .await
                    .expect("drop");
            }
            ratios.push((
                fillfactor,
                medians[0].as_secs_f64() / medians[1].as_secs_f64(),
            ));
        });
    }
    for (ff, r) in ratios {
        println!("fillfactor {ff}: median save time, touch_after 10 min / touch_after 0 = {r:.3}");
    }
    rt.block_on(pool.close());
}
