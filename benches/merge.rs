//! What a tower-sessions save costs now that overlapping saves merge, on SQLite (WAL file),
//! PostgreSQL and MySQL/MariaDB, at 4 KiB of session data, beside the raw sqlx write of a
//! last-writer-wins store (one upsert of the serialized data, which loses the other
//! request's change):
//!
//! - `changed_no_conflict`: `SessionStore::save` of a loaded record with one key changed,
//!   nobody else writing: one conditional `UPDATE` (the load is untimed);
//! - `changed_after_another_save`: two copies loaded, one saved (untimed), then the other
//!   one, changed, saved (timed): its `UPDATE` finds another version, the row is read
//!   again, its change applied and written: `UPDATE` + `SELECT` + `UPDATE`.
//!
//! ```text
//! cargo bench --all-features --bench merge -- --warm-up-time 1 --measurement-time 2
//! ```

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::raw::{Raw, RawMySql, RawPg, RawSql, RawSqlite};
use common::{timed, Report};
use criterion::Criterion;
use serde_json::{json, Value};
use sqlx::Pool;
use sqlx_session_store::{Dialect, SqlStore};
use tokio::runtime::Runtime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::SessionStore as _;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// About 4 KiB of session data: a few scalars and a cart.
fn session_map() -> HashMap<String, Value> {
    let cart: Vec<Value> = (0..40)
        .map(|i| json!({ "sku": format!("SKU-{i:07}"), "qty": i % 7 + 1, "price_cents": 1999 + i }))
        .collect();
    HashMap::from([
        ("user_id".to_owned(), json!(7_123_456)),
        ("locale".to_owned(), json!("en-GB")),
        ("n".to_owned(), json!(0)),
        ("m".to_owned(), json!(0)),
        ("cart".to_owned(), Value::Array(cart)),
    ])
}

async fn loaded<DB: Dialect>(store: &SqlStore<DB>, id: &Id) -> Record {
    let mut record = store.load(id).await.expect("load").expect("live");
    record.expiry_date = time::OffsetDateTime::now_utc() + DAY;
    record
}

/// A changed save that meets no other writer.
async fn no_conflict<DB: Dialect>(store: &SqlStore<DB>, id: &Id, i: u64) -> Duration {
    let mut record = loaded(store, id).await;
    record.data.insert("n".into(), json!(i));
    timed(store.save(&record)).await
}

/// A changed save after another request's save of the same session.
async fn after_another<DB: Dialect>(store: &SqlStore<DB>, id: &Id, i: u64) -> Duration {
    let mut first = loaded(store, id).await;
    let mut second = loaded(store, id).await;
    first.data.insert("m".into(), json!(i));
    store.save(&first).await.expect("first save");
    second.data.insert("n".into(), json!(i));
    timed(store.save(&second)).await
}

/// The raw last-writer-wins write: the whole copy, serialized, one upsert.
async fn raw_write<R: Raw>(pool: &Pool<R::DB>, sql: &RawSql, sid: &str, i: u64) -> Duration {
    let mut data = session_map();
    data.insert("n".into(), json!(i));
    let value = serde_json::to_value(&data).expect("json");
    timed(R::set(pool, sql, sid, &value)).await
}

fn bench_target<R: Raw>(
    c: &mut Criterion,
    rt: &Runtime,
    report: &mut Report,
    name: &str,
    pool: Pool<R::DB>,
) {
    let table = common::table(&format!("merge_{}", name.replace('-', "_")));
    let store = SqlStore::builder(pool.clone())
        .table_name(&table)
        .expiration(DAY)
        .touch_after(Duration::from_secs(600))
        .build()
        .expect("bench store");
    rt.block_on(store.migrate()).expect("migrate");
    let sql = R::sql(&table);
    let mut record = Record {
        id: Id::default(),
        data: session_map(),
        expiry_date: time::OffsetDateTime::now_utc() + DAY,
    };
    rt.block_on(store.create(&mut record)).expect("create");
    let raw_sid = Id::default().to_string();
    let bytes = serde_json::to_string(&session_map()).expect("json").len();
    let group = format!("merge/{name}");
    let (store, pool, sql, id, raw_sid) = (&store, &pool, &sql, &record.id, raw_sid.as_str());
    report.compare(
        c,
        rt,
        &group,
        &format!("changed_no_conflict ({bytes} B)"),
        20,
        |i| no_conflict(store, id, i),
        |i| raw_write::<R>(pool, sql, raw_sid, i),
    );
    report.compare(
        c,
        rt,
        &group,
        &format!("changed_after_another_save ({bytes} B)"),
        20,
        |i| after_another(store, id, i),
        |i| raw_write::<R>(pool, sql, raw_sid, i),
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
    if common::wanted("sqlite-wal") {
        let pool = rt.block_on(common::sqlite_wal("merge"));
        bench_target::<RawSqlite>(&mut c, &rt, &mut report, "sqlite-wal", pool);
        common::remove_sqlite("merge");
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
    report.print("tower-sessions saves (merge): median(ours) / median(raw upsert), one run");
}
