//! One request through each front end (load + save), beside the minimal raw sqlx a user
//! would write by hand for the same request, on an unchanged and on a changed session, at
//! 256 B, 4 KiB, 64 KiB and 1 MiB of session data, on SQLite (WAL file), PostgreSQL and
//! MySQL/MariaDB.
//!
//! - tower-sessions, as `SessionManagerLayer` drives a store with sliding sessions
//!   (`Expiry::OnInactivity` + `with_always_save(true)`): `SessionStore::load`, the
//!   handler (changed: one key set), the expiry moved forward by a day, `SessionStore::save`.
//!   The store is built with `touch_after(10 min)`. Raw: one SELECT of data and expiry, the
//!   JSON parsed into the `Record`'s `HashMap<String, Value>`; when changed, the map
//!   serialized and one `UPDATE .. SET data, expires`.
//! - async-session (tide, axum-sessions): `load_session`, `expire_in(1 day)`, the handler,
//!   `store_session`. Raw: the id derived from the cookie value, one SELECT, the row parsed
//!   into a `Session` (`serde_json::from_str::<Session>`, the layout async-sqlx-session
//!   stores: the whole session, its values as JSON strings); when changed, the session
//!   serialized and one UPDATE. That row is larger than the store's (its values' quotes
//!   are escaped); the table gives both sizes.
//!
//! Both sides' rows are in the same table, alternately measured call by call (see
//! `common`). `BENCH_SIZES` (comma-separated bytes) limits the sizes run.
//!
//! ```text
//! cargo bench --all-features --bench front -- --warm-up-time 1 --measurement-time 2
//! ```

mod common;

use std::collections::HashMap;
use std::time::Duration;

use async_session::{Session, SessionStore as _};
use chrono::{DateTime, Utc};
use common::{timed, Report};
use criterion::Criterion;
use serde_json::{json, Value};
use sqlx::Pool;
use sqlx_session_store::{Dialect, SqlStore};
use tokio::runtime::Runtime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::SessionStore as _;

const DAY: Duration = Duration::from_secs(24 * 3600);
const SIZES: [usize; 4] = [256, 4 << 10, 64 << 10, 1 << 20];

/// The raw side's two statements on one database.
trait Raw {
    type DB: Dialect;
    fn sql(table: &str) -> (&'static str, &'static str, &'static str);
    /// One SELECT of the live row's data text and expiry.
    async fn select(
        pool: &Pool<Self::DB>,
        sql: &'static str,
        sid: &str,
    ) -> Option<(String, DateTime<Utc>)>;
    /// One `UPDATE .. SET data, expires WHERE sid`.
    async fn update(
        pool: &Pool<Self::DB>,
        sql: &'static str,
        sid: &str,
        text: String,
        expires: DateTime<Utc>,
    );
    async fn drop_table(pool: &Pool<Self::DB>, sql: &'static str);
}

macro_rules! raw {
    ($name:ident: $db:ty, sql = $sql:path, bind = $bind:path, stored = $stored:ty, read = $read:path) => {
        struct $name;

        impl Raw for $name {
            type DB = $db;

            fn sql(table: &str) -> (&'static str, &'static str, &'static str) {
                let (get, update) = $sql(table);
                (
                    get.leak(),
                    update.leak(),
                    format!("DROP TABLE IF EXISTS {table}").leak(),
                )
            }

            async fn select(
                pool: &Pool<$db>,
                sql: &'static str,
                sid: &str,
            ) -> Option<(String, DateTime<Utc>)> {
                let row: Option<(String, $stored)> = sqlx::query_as(sql)
                    .bind(sid)
                    .bind($bind(Utc::now()))
                    .fetch_optional(pool)
                    .await
                    .expect("raw select");
                row.map(|(text, expires)| (text, $read(expires)))
            }

            async fn update(
                pool: &Pool<$db>,
                sql: &'static str,
                sid: &str,
                text: String,
                expires: DateTime<Utc>,
            ) {
                sqlx::query(sql)
                    .bind(text)
                    .bind($bind(expires))
                    .bind(sid)
                    .execute(pool)
                    .await
                    .expect("raw update");
            }

            async fn drop_table(pool: &Pool<$db>, sql: &'static str) {
                sqlx::query(sql)
                    .execute(pool)
                    .await
                    .expect("drop bench table");
            }
        }
    };
}

raw!(RawSqlite: sqlx::Sqlite, sql = sqlite_sql, bind = to_micros, stored = i64, read = from_micros);
raw!(RawPg: sqlx::Postgres, sql = pg_sql, bind = same, stored = DateTime<Utc>, read = same);
raw!(RawMySql: sqlx::MySql, sql = mysql_sql, bind = same, stored = DateTime<Utc>, read = same);

fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(m).expect("expiry in range")
}

fn same(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

fn sqlite_sql(t: &str) -> (String, String) {
    (
        format!("SELECT data, expires FROM {t} WHERE sid = ? AND expires > ?"),
        format!("UPDATE {t} SET data = ?, expires = ? WHERE sid = ?"),
    )
}

fn pg_sql(t: &str) -> (String, String) {
    (
        format!("SELECT data::text, expires FROM {t} WHERE sid = $1 AND expires > $2"),
        format!("UPDATE {t} SET data = $1::json, expires = $2 WHERE sid = $3"),
    )
}

fn mysql_sql(t: &str) -> (String, String) {
    (
        format!("SELECT data, expires FROM {t} WHERE sid = ? AND expires > ?"),
        format!("UPDATE {t} SET data = ?, expires = ? WHERE sid = ?"),
    )
}

/// Session data of about `target` bytes of JSON: a few scalars and a cart of items.
fn session_map(target: usize) -> HashMap<String, Value> {
    let mut map: HashMap<String, Value> = HashMap::new();
    map.insert("user_id".into(), json!(7_123_456));
    map.insert(
        "csrf_token".into(),
        json!("c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d9e"),
    );
    map.insert("locale".into(), json!("en-GB"));
    map.insert("n".into(), json!(0));
    let mut size = serde_json::to_string(&map).expect("json").len() + 10;
    let mut cart = Vec::new();
    let mut i = 0u64;
    while size < target {
        let item = json!({
            "sku": format!("SKU-{i:07}"), "name": format!("Product {i}"),
            "qty": i % 7 + 1, "price_cents": 1999 + i % 1000, "tags": ["blue", "large"],
        });
        size += serde_json::to_string(&item).expect("json").len() + 1;
        cart.push(item);
        i += 1;
    }
    map.insert("cart".into(), Value::Array(cart));
    map
}

fn size_label(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{}MiB", n >> 20)
    } else if n >= 1 << 10 {
        format!("{}KiB", n >> 10)
    } else {
        format!("{n}B")
    }
}

fn later(d: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::TimeDelta::from_std(d).expect("duration")
}

// ------------------------------------------------------------------ tower-sessions

/// What `SessionManagerLayer` does around a handler for a store with sliding sessions.
async fn tower_ours<DB: Dialect>(store: &SqlStore<DB>, id: &Id, change: Option<u64>) {
    let mut record = store.load(id).await.expect("load").expect("live");
    if let Some(n) = change {
        record.data.insert("n".into(), json!(n));
    }
    record.expiry_date = time::OffsetDateTime::now_utc() + DAY;
    store.save(&record).await.expect("save");
}

/// The same request written by hand.
async fn tower_raw<R: Raw>(
    pool: &Pool<R::DB>,
    sql: (&'static str, &'static str),
    id: &Id,
    change: Option<u64>,
) -> Record {
    let sid = id.to_string();
    let (text, _expires) = R::select(pool, sql.0, &sid).await.expect("live");
    let mut data: HashMap<String, Value> = serde_json::from_str(&text).expect("JSON object");
    if let Some(n) = change {
        data.insert("n".into(), json!(n));
        let text = serde_json::to_string(&data).expect("serializable");
        R::update(pool, sql.1, &sid, text, later(DAY)).await;
    }
    Record {
        id: *id,
        data,
        expiry_date: time::OffsetDateTime::now_utc() + DAY,
    }
}

// ------------------------------------------------------------------ async-session

/// What tide's `SessionMiddleware` (defaults) does around a handler.
async fn async_ours<DB: Dialect>(store: &SqlStore<DB>, cookie: &str, change: Option<u64>) {
    let mut session = store
        .load_session(cookie.to_owned())
        .await
        .expect("load")
        .expect("live");
    if let Some(n) = change {
        session.insert("n", n).expect("insert");
    }
    session.expire_in(DAY);
    store.store_session(session).await.expect("store");
}

/// The same request written by hand, storing the session as async-sqlx-session does.
async fn async_raw<R: Raw>(
    pool: &Pool<R::DB>,
    sql: (&'static str, &'static str),
    cookie: &str,
    change: Option<u64>,
) -> Session {
    let sid = Session::id_from_cookie_value(cookie).expect("cookie");
    let (text, _expires) = R::select(pool, sql.0, &sid).await.expect("live");
    let mut session: Session = serde_json::from_str(&text).expect("session JSON");
    if let Some(n) = change {
        session.insert("n", n).expect("insert");
    }
    session.expire_in(DAY);
    if session.data_changed() {
        let text = serde_json::to_string(&session).expect("serializable");
        R::update(pool, sql.1, &sid, text, later(DAY)).await;
    }
    session
}

fn bench_target<R: Raw>(
    c: &mut Criterion,
    rt: &Runtime,
    report: &mut Report,
    name: &str,
    pool: Pool<R::DB>,
) {
    let table = common::table(&format!("front_{}", name.replace('-', "_")));
    let store = SqlStore::builder(pool.clone())
        .table_name(&table)
        .expiration(DAY)
        .touch_after(Duration::from_secs(600))
        .build()
        .expect("bench store");
    rt.block_on(store.migrate()).expect("migrate");
    let (get, update, drop) = R::sql(&table);
    let sizes: Vec<usize> = match std::env::var("BENCH_SIZES") {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|n| n.trim().parse().expect("size"))
            .collect(),
        _ => SIZES.to_vec(),
    };
    for size in sizes {
        let map = session_map(size);
        let bytes = serde_json::to_string(&map).expect("json").len();
        let samples = if size >= 1 << 20 { 10 } else { 20 };
        let label = size_label(size);
        let group = format!("front/{name}/{label}");

        // tower-sessions: two sessions created through the trait, one per side.
        let mut ours_rec = Record {
            id: Id::default(),
            data: map.clone(),
            expiry_date: time::OffsetDateTime::now_utc() + DAY,
        };
        let mut raw_rec = ours_rec.clone();
        raw_rec.id = Id::default();
        rt.block_on(async {
            store.create(&mut ours_rec).await.expect("create");
            store.create(&mut raw_rec).await.expect("create");
        });
        let (store, pool, sql) = (&store, &pool, (get, update));
        let (oid, rid) = (&ours_rec.id, &raw_rec.id);
        for (case, changed) in [("unchanged", false), ("changed", true)] {
            report.compare(
                c,
                rt,
                &group,
                &format!("tower_{case} ({bytes} B)"),
                samples,
                |i| timed(tower_ours(store, oid, changed.then_some(i))),
                |i| timed(tower_raw::<R>(pool, sql, rid, changed.then_some(i))),
            );
        }

        // async-session: the store's row through the trait, the raw row as a whole session.
        let mut session = Session::new();
        for (k, v) in &map {
            session.insert(k, v).expect("insert");
        }
        let raw_session = session.clone();
        let ours_cookie = rt
            .block_on(store.store_session(session))
            .expect("store")
            .expect("cookie");
        let mut raw_session = raw_session;
        raw_session.regenerate();
        raw_session.expire_in(DAY);
        let raw_text = serde_json::to_string(&raw_session).expect("json");
        let raw_bytes = raw_text.len();
        let raw_sid = raw_session.id().to_owned();
        // (A clone of a session does not carry its cookie value: take it from the original.)
        let raw_cookie = raw_session.into_cookie_value().expect("cookie");
        rt.block_on(store.set(
            &raw_sid,
            &serde_json::from_str::<Value>(&raw_text).expect("json"),
            None,
        ))
        .expect("raw row");
        // The raw row must hold exactly the text the raw side parses.
        rt.block_on(R::update(pool, update, &raw_sid, raw_text, later(DAY)));
        assert!(rt
            .block_on(async_raw::<R>(pool, sql, &raw_cookie, None))
            .get::<u64>("user_id")
            .is_some());
        let (oc, rc) = (ours_cookie.as_str(), raw_cookie.as_str());
        for (case, changed) in [("unchanged", false), ("changed", true)] {
            report.compare(
                c,
                rt,
                &group,
                &format!("async_session_{case} ({bytes} B / raw {raw_bytes} B)"),
                samples,
                |i| timed(async_ours(store, oc, changed.then_some(i))),
                |i| timed(async_raw::<R>(pool, sql, rc, changed.then_some(i))),
            );
        }
    }
    rt.block_on(async {
        R::drop_table(&pool, drop).await;
        pool.close().await;
    });
}

fn main() {
    let mut c = common::criterion();
    let rt = common::runtime();
    let mut report = Report::default();
    if common::wanted("sqlite-wal") {
        let pool = rt.block_on(common::sqlite_wal("front"));
        bench_target::<RawSqlite>(&mut c, &rt, &mut report, "sqlite-wal", pool);
        common::remove_sqlite("front");
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
    report.print("Front-end requests (load + save): median(ours) / median(raw), one run");
}
