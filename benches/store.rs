//! `SqlStore` beside hand-written raw sqlx doing the same work on the same table.
//!
//! For each backend (SQLite, PostgreSQL, MySQL/MariaDB) and each hot-path operation
//! (`get` of a live session, `get` of an unknown id, `set` of a ~1 KiB JSON session,
//! `touch`) a criterion group holds two functions on one table made by
//! `store.migrate()`:
//!
//! - `ours`: the store's method;
//! - `raw`: `sqlx::query` with the same SQL text, the same bound values (timestamps
//!   encoded as the dialect encodes them) and the same decoding (JSON parsed into a
//!   `serde_json::Value`, expiry read back as a `DateTime<Utc>`), written as an
//!   application would write it: `&'static str` SQL, borrowed binds, `fetch_optional`.
//!
//! Runtime, pool, table and rows are made outside the timed closures, and every group
//! has its own table, dropped when the group ends.
//!
//! ```text
//! cargo bench --all-features --bench store -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Server URLs are read at run time from `DATABASE_URL_POSTGRES` and `DATABASE_URL_MYSQL`
//! (default `postgres://postgres@127.0.0.1:5432/test` and `mysql://root@127.0.0.1:3306/test`);
//! a backend whose server is unreachable is skipped with a notice.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use sqlx::Pool;
use sqlx_session_store::{Dialect, SqlStore};
use tokio::runtime::Runtime;

/// The id of the row every group reads or writes.
const SID: &str = "bench-session-id-0123456789abcdef0123456789abcdef";
/// An id that is never stored (`get` miss).
const MISSING: &str = "bench-session-id-that-is-not-stored-000000000000";
/// How long both sides run alternately before a group is measured (see [`compare`]).
const ALTERNATE_WARM_UP: Duration = Duration::from_secs(1);
/// Lifetime given to sessions saved or touched without an explicit expiry, by both sides.
const EXPIRATION: TimeDelta = TimeDelta::hours(24);

/// The statements the store runs on one table, written out by hand for the raw side.
///
/// Leaked to `&'static str`, as an application's SQL literals are.
struct RawSql {
    /// sid, now → (data as text, expires as Unix microseconds)
    get: &'static str,
    /// sid, data, expires, created_at, updated_at
    upsert: &'static str,
    /// expires, updated_at, sid, now
    touch: &'static str,
    /// (none)
    drop: &'static str,
}

impl RawSql {
    fn new(get: String, upsert: String, touch: String, drop: String) -> Self {
        Self {
            get: get.leak(),
            upsert: upsert.leak(),
            touch: touch.leak(),
            drop: drop.leak(),
        }
    }
}

/// One database: how to reach it, and the raw-sqlx side of each operation.
trait Backend {
    type DB: Dialect;
    const NAME: &'static str;

    /// A pool on the server, or a description of why it is unreachable.
    async fn connect() -> Result<Pool<Self::DB>, String>;

    /// The store's SQL for `table`, as this dialect writes it.
    fn raw_sql(table: &str) -> RawSql;

    async fn raw_get(
        pool: &Pool<Self::DB>,
        sql: &RawSql,
        sid: &str,
    ) -> Option<(Value, DateTime<Utc>)>;

    async fn raw_set(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str, data: &Value);

    async fn raw_touch(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str) -> bool;

    async fn drop_table(pool: &Pool<Self::DB>, sql: &RawSql);

    /// Removes what `connect` left behind (the SQLite file), after the pool is closed.
    fn cleanup();
}

/// Implements [`Backend`] for one database from what really differs between databases:
/// how it is reached (and cleaned up after), how it encodes a timestamp as a bound value,
/// and its SQL text. The raw operations themselves are written once, here.
macro_rules! backend {
    (
        $name:ident: $db:ty, $label:literal,
        connect = $connect:path, cleanup = $cleanup:path, time = $time:path, sql = $sql:path
    ) => {
        struct $name;

        impl Backend for $name {
            type DB = $db;
            const NAME: &'static str = $label;

            async fn connect() -> Result<Pool<$db>, String> {
                $connect().await
            }

            fn cleanup() {
                $cleanup()
            }

            fn raw_sql(table: &str) -> RawSql {
                $sql(table)
            }

            async fn raw_get(
                pool: &Pool<$db>,
                sql: &RawSql,
                sid: &str,
            ) -> Option<(Value, DateTime<Utc>)> {
                let row: Option<(String, i64)> = sqlx::query_as(sql.get)
                    .bind(sid)
                    .bind($time(Utc::now()))
                    .fetch_optional(pool)
                    .await
                    .expect("raw get");
                row.map(|(data, micros)| {
                    (
                        serde_json::from_str(&data).expect("stored JSON"),
                        DateTime::from_timestamp_micros(micros).expect("expiry in range"),
                    )
                })
            }

            async fn raw_set(pool: &Pool<$db>, sql: &RawSql, sid: &str, data: &Value) {
                let json = serde_json::to_string(data).expect("serializable session");
                let now = Utc::now();
                sqlx::query(sql.upsert)
                    .bind(sid)
                    .bind(json)
                    .bind($time(now + EXPIRATION))
                    .bind($time(now))
                    .bind($time(now))
                    .execute(pool)
                    .await
                    .expect("raw set");
            }

            async fn raw_touch(pool: &Pool<$db>, sql: &RawSql, sid: &str) -> bool {
                let now = Utc::now();
                let done = sqlx::query(sql.touch)
                    .bind($time(now + EXPIRATION))
                    .bind($time(now))
                    .bind(sid)
                    .bind($time(now))
                    .execute(pool)
                    .await
                    .expect("raw touch");
                done.rows_affected() > 0
            }

            async fn drop_table(pool: &Pool<$db>, sql: &RawSql) {
                sqlx::query(sql.drop)
                    .execute(pool)
                    .await
                    .expect("drop bench table");
            }
        }
    };
}

backend!(
    Sqlite: sqlx::Sqlite, "sqlite",
    connect = sqlite_connect, cleanup = sqlite_cleanup, time = micros, sql = sqlite_sql
);
backend!(
    Postgres: sqlx::Postgres, "postgres",
    connect = pg_connect, cleanup = nothing_to_clean, time = rfc3339, sql = pg_sql
);
backend!(
    MySql: sqlx::MySql, "mysql",
    connect = mysql_connect, cleanup = nothing_to_clean, time = datetime6, sql = mysql_sql
);

// ---------------------------------------------------------------- connecting

fn sqlite_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "sqlx_session_store_bench_{}.db",
        std::process::id()
    ))
}

async fn sqlite_connect() -> Result<Pool<sqlx::Sqlite>, String> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(sqlite_path())
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .map_err(|e| format!("{}: {e}", sqlite_path().display()))
}

fn sqlite_cleanup() {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = sqlite_path().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}

/// Server databases keep nothing once the bench tables are dropped.
fn nothing_to_clean() {}

async fn pg_connect() -> Result<Pool<sqlx::Postgres>, String> {
    let url = std::env::var("DATABASE_URL_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .map_err(|e| format!("{url}: {e}"))
}

async fn mysql_connect() -> Result<Pool<sqlx::MySql>, String> {
    let url = std::env::var("DATABASE_URL_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());
    sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .map_err(|e| format!("{url}: {e}"))
}

// ---------------------------------------------------------------- timestamps as bound

/// SQLite: `INTEGER` microseconds since the Unix epoch.
fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// PostgreSQL: RFC 3339 text with `Z`, cast to `timestamptz` in the SQL.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// MySQL: `DATETIME(6)` text holding UTC.
fn datetime6(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

// ---------------------------------------------------------------- the store's SQL, by hand

fn sqlite_sql(table: &str) -> RawSql {
    let t = format!("\"{table}\"");
    RawSql::new(
        format!("SELECT \"data\", \"expires\" FROM {t} WHERE \"sid\" = ? AND \"expires\" > ?"),
        format!(
            "INSERT INTO {t} (\"sid\", \"data\", \"expires\", \"created_at\", \"updated_at\") \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (\"sid\") DO UPDATE SET \
             \"data\" = excluded.\"data\", \"expires\" = excluded.\"expires\", \
             \"updated_at\" = excluded.\"updated_at\""
        ),
        format!(
            "UPDATE {t} SET \"expires\" = ?, \"updated_at\" = ? WHERE \"sid\" = ? AND \"expires\" > ?"
        ),
        format!("DROP TABLE IF EXISTS {t}"),
    )
}

fn pg_sql(table: &str) -> RawSql {
    let t = format!("\"{table}\"");
    RawSql::new(
        format!(
            "SELECT \"data\"::text, (EXTRACT(EPOCH FROM \"expires\") * 1000000)::int8 FROM {t} \
             WHERE \"sid\" = $1 AND \"expires\" > $2::timestamptz"
        ),
        format!(
            "INSERT INTO {t} (\"sid\", \"data\", \"expires\", \"created_at\", \"updated_at\") \
             VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz) \
             ON CONFLICT (\"sid\") DO UPDATE SET \"data\" = excluded.\"data\", \
             \"expires\" = excluded.\"expires\", \"updated_at\" = excluded.\"updated_at\""
        ),
        format!(
            "UPDATE {t} SET \"expires\" = $1::timestamptz, \"updated_at\" = $2::timestamptz \
             WHERE \"sid\" = $3 AND \"expires\" > $4::timestamptz"
        ),
        format!("DROP TABLE IF EXISTS {t}"),
    )
}

fn mysql_sql(table: &str) -> RawSql {
    let t = format!("`{table}`");
    RawSql::new(
        format!(
            "SELECT `data`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires`) \
             FROM {t} WHERE `sid` = ? AND `expires` > ?"
        ),
        format!(
            "INSERT INTO {t} (`sid`, `data`, `expires`, `created_at`, `updated_at`) \
             VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `data` = VALUES(`data`), \
             `expires` = VALUES(`expires`), `updated_at` = VALUES(`updated_at`)"
        ),
        format!("UPDATE {t} SET `expires` = ?, `updated_at` = ? WHERE `sid` = ? AND `expires` > ?"),
        format!("DROP TABLE IF EXISTS {t}"),
    )
}

// ---------------------------------------------------------------- the benchmarks

/// A session of about 1 KiB of JSON, shaped like a web app's.
fn session_data() -> Value {
    let data = json!({
        "user_id": 7_123_456,
        "user_name": "ada.lovelace",
        "roles": ["reader", "editor"],
        "csrf_token": "c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d9e",
        "locale": "en-GB",
        "cart": (0..8)
            .map(|i| json!({ "sku": format!("SKU-{i:05}"), "qty": i + 1, "price_cents": 1999 + i }))
            .collect::<Vec<_>>(),
        "flash": "x".repeat(480),
    });
    let size = serde_json::to_string(&data).map_or(0, |s| s.len());
    assert!(
        (900..=1100).contains(&size),
        "session is {size} bytes, not ~1 KiB"
    );
    data
}

/// Compares `ours` and `raw` on one operation of one backend, on a table of its own.
struct Group<'a, B: Backend> {
    rt: &'a Runtime,
    pool: &'a Pool<B::DB>,
    store: SqlStore<B::DB>,
    sql: RawSql,
}

impl<'a, B: Backend> Group<'a, B> {
    fn new(rt: &'a Runtime, pool: &'a Pool<B::DB>, op: &str, data: &Value) -> Self {
        let table = format!("bench_{}_{op}", std::process::id());
        let store = SqlStore::builder(pool.clone())
            .table_name(&table)
            .expiration(Duration::from_secs(24 * 3600))
            .build()
            .expect("valid bench table name");
        rt.block_on(async {
            store.migrate().await.expect("migrate bench table");
            store.set(SID, data, None).await.expect("seed session");
        });
        Self {
            rt,
            pool,
            store,
            sql: B::raw_sql(&table),
        }
    }

    fn finish(self) {
        self.rt.block_on(B::drop_table(self.pool, &self.sql));
    }
}

/// Measures `ours` and `raw` as the criterion group `<backend>/<op>`.
///
/// Criterion measures one function after the other, so both sides first run alternately
/// for [`ALTERNATE_WARM_UP`], outside any timing: neither is measured on a colder table,
/// connection or server cache than the other.
fn compare<B: Backend, FO: Future, FR: Future>(
    c: &mut Criterion,
    rt: &Runtime,
    op: &str,
    ours: impl Fn() -> FO,
    raw: impl Fn() -> FR,
) {
    rt.block_on(async {
        let started = Instant::now();
        while started.elapsed() < ALTERNATE_WARM_UP {
            black_box(ours().await);
            black_box(raw().await);
        }
    });
    let mut group = c.benchmark_group(format!("{}/{op}", B::NAME));
    group.bench_function("ours", |b| b.to_async(rt).iter(&ours));
    group.bench_function("raw", |b| b.to_async(rt).iter(&raw));
    group.finish();
}

fn bench_backend<B: Backend>(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let pool = match rt.block_on(B::connect()) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("NOTICE: skipping {} benches: {e} is unreachable", B::NAME);
            return;
        }
    };
    let pool = &pool;
    let data = session_data();
    let data = &data;

    // get (hit): both sides read the same live row and decode the same record.
    let g = Group::<B>::new(&rt, pool, "get_hit", data);
    let (store, sql) = (&g.store, &g.sql);
    let ours = rt.block_on(store.get(SID)).expect("ours get");
    let raw = rt.block_on(B::raw_get(pool, sql, SID));
    assert_eq!(
        ours.map(|r| (r.data, r.expires)),
        raw,
        "both sides read the same record"
    );
    compare::<B, _, _>(
        c,
        &rt,
        "get_hit",
        || store.get(SID),
        || B::raw_get(pool, sql, SID),
    );
    g.finish();

    // get (miss): an id that was never stored.
    let g = Group::<B>::new(&rt, pool, "get_miss", data);
    let (store, sql) = (&g.store, &g.sql);
    assert!(rt.block_on(store.get(MISSING)).expect("ours get").is_none());
    assert!(rt.block_on(B::raw_get(pool, sql, MISSING)).is_none());
    compare::<B, _, _>(
        c,
        &rt,
        "get_miss",
        || store.get(MISSING),
        || B::raw_get(pool, sql, MISSING),
    );
    g.finish();

    // set: an upsert of the ~1 KiB session onto an existing row (serialization included).
    let g = Group::<B>::new(&rt, pool, "set", data);
    let (store, sql) = (&g.store, &g.sql);
    compare::<B, _, _>(
        c,
        &rt,
        "set",
        || store.set(SID, data, None),
        || B::raw_set(pool, sql, SID, data),
    );
    g.finish();

    // touch: extend a live session's expiry (the store's default: every touch writes).
    let g = Group::<B>::new(&rt, pool, "touch", data);
    let (store, sql) = (&g.store, &g.sql);
    assert!(rt.block_on(store.touch(SID, None)).expect("ours touch"));
    assert!(rt.block_on(B::raw_touch(pool, sql, SID)));
    compare::<B, _, _>(
        c,
        &rt,
        "touch",
        || store.touch(SID, None),
        || B::raw_touch(pool, sql, SID),
    );
    g.finish();

    rt.block_on(pool.close());
    B::cleanup();
}

criterion_group!(
    benches,
    bench_backend::<Sqlite>,
    bench_backend::<Postgres>,
    bench_backend::<MySql>
);
criterion_main!(benches);
