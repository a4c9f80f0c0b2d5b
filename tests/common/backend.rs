//! The three test backends: how to reach each database, and the few raw SQL helpers
//! the shared suite needs to look behind the store's back.
//!
//! Database URLs are read at run time from `DATABASE_URL_POSTGRES` and
//! `DATABASE_URL_MYSQL`. When a server is unreachable its tests print a notice and
//! return, unless `SESSION_STORE_REQUIRE_ALL_BACKENDS=1`, which turns that into a failure.

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Executor, Pool, Row};
use sqlx_session_store::{Dialect, SqlStore};

/// A database the suite runs against.
pub trait Backend: Send + Sync + 'static {
    type DB: Dialect;
    /// Printed in skip notices and test output.
    const NAME: &'static str;
    /// Whether the data column accepts text that is not JSON (PostgreSQL's JSON type does not).
    const STORES_INVALID_JSON: bool;

    /// A pool whose connections use `time_zone` (an offset like `+09:30`) as their session
    /// time zone, or `None` (after a notice) when the server is unreachable and not required.
    fn pool_in_zone(
        ctx: &Ctx,
        time_zone: &str,
    ) -> impl Future<Output = Option<Pool<Self::DB>>> + Send;

    /// Runs raw SQL (test set-up only).
    fn exec(pool: &Pool<Self::DB>, sql: &str) -> impl Future<Output = ()> + Send;

    /// Runs raw SQL that may fail; the database's error as text.
    fn try_exec(
        pool: &Pool<Self::DB>,
        sql: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;

    /// Runs a query returning one BIGINT-compatible value.
    fn scalar(pool: &Pool<Self::DB>, sql: &str) -> impl Future<Output = i64> + Send;

    /// Runs `sql` on a connection the test holds (to keep a transaction open).
    fn conn_exec(
        conn: &mut sqlx::pool::PoolConnection<Self::DB>,
        sql: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;

    /// A pool on which a fresh schema (PostgreSQL) / database (MySQL) / attached database
    /// (SQLite, attached on every connection) named `name` exists, and the name to give
    /// `schema_name`.
    fn pool_with_schema(
        ctx: &Ctx,
        name: &str,
    ) -> impl Future<Output = Option<(Pool<Self::DB>, String)>> + Send;

    /// Drops what `pool_with_schema` made.
    fn drop_schema(pool: &Pool<Self::DB>, name: &str) -> impl Future<Output = ()> + Send;

    /// Quotes an identifier the way the store does.
    fn quote(ident: &str) -> String;

    /// Column types for a hand-made table: (session id, JSON data, timestamp, BIGINT).
    const TYPES: (&'static str, &'static str, &'static str, &'static str);

    /// A timestamp type an app-managed table might use that the store must refuse (its
    /// instants depend on the connection's zone, or it cannot hold integer microseconds).
    const WRONG_TIME_TYPE: &'static str;

    /// A query counting the indexes (primary key included) of table `{table}`.
    const INDEX_COUNT: &'static str;

    /// SQL for "now" in the representation the store uses for `expires` (UTC).
    const NOW_AS_STORED: &'static str;

    /// SQL for "two hours ago" in the representation the store uses for its times (UTC).
    const TWO_HOURS_AGO: &'static str;

    /// A query giving the connection's UTC offset in minutes, if the database has one.
    const ZONE_OFFSET_MINUTES: Option<&'static str>;

    /// SQL creating `{t}_w`, a one-row counter of the UPDATEs of rows of table `{t}`, and
    /// the trigger that counts them (read it with [`row_updates`]).
    const COUNT_ROW_UPDATES: &'static [&'static str];

    /// Drops every table this test made (names containing `ctx.unique`).
    fn cleanup(pool: Pool<Self::DB>, ctx: &Ctx) -> impl Future<Output = ()> + Send;
}

/// Per-test naming: a unique prefix for tables (and the SQLite file).
pub struct Ctx {
    pub test: &'static str,
    pub unique: String,
}

impl Ctx {
    pub fn new(test: &'static str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let unique = format!("{}_{}_{}", std::process::id(), n, rand_suffix());
        Self { test, unique }
    }

    /// A table name unique to this test run, `t_<unique>_<tag>`, within the 48-byte limit.
    pub fn table(&self, tag: &str) -> String {
        let mut name = format!("t_{}_{tag}", self.unique);
        name.truncate(48);
        name
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:x}")
}

/// The time zone the test pools use unless a test asks for another: deliberately not UTC,
/// so that every test checks that expiry does not depend on the connection's zone.
pub const DEFAULT_TEST_ZONE: &str = "+09:30";

pub fn require_all() -> bool {
    std::env::var("SESSION_STORE_REQUIRE_ALL_BACKENDS").is_ok_and(|v| v == "1")
}

/// Reports an unreachable server: a failure when all backends are required, else a notice.
///
/// The notice goes straight to the process's stderr, not through `eprintln!`, which the
/// test harness captures (and shows only for failing tests): a skipped test is reported
/// `ok` by libtest, so its notice must be visible. Each notice carries the running count of
/// skipped tests of this test binary, so the last one printed is the total.
pub fn unreachable<T>(
    backend: &str,
    test: &str,
    url: &str,
    err: impl std::fmt::Display,
) -> Option<T> {
    use std::io::Write;
    static SKIPPED: AtomicU64 = AtomicU64::new(0);
    if require_all() {
        panic!(
            "{backend} is required (SESSION_STORE_REQUIRE_ALL_BACKENDS=1) but {url} is unreachable: {err}"
        );
    }
    let n = SKIPPED.fetch_add(1, Ordering::Relaxed) + 1;
    let _ = writeln!(
        std::io::stderr().lock(),
        "NOTICE: SKIPPED {test} on {backend}: {url} is unreachable ({err}); \
         {n} test(s) of this binary skipped so far; set SESSION_STORE_REQUIRE_ALL_BACKENDS=1 \
         to make this a failure"
    );
    None
}

/// `exec` and `scalar` for one backend: the same code, on each driver's concrete types.
macro_rules! raw_sql_helpers {
    () => {
        async fn exec(pool: &Pool<Self::DB>, sql: &str) {
            pool.execute(sqlx::AssertSqlSafe(sql.to_owned()))
                .await
                .expect(sql);
        }

        async fn try_exec(pool: &Pool<Self::DB>, sql: &str) -> Result<(), String> {
            pool.execute(sqlx::AssertSqlSafe(sql.to_owned()))
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }

        async fn conn_exec(
            conn: &mut sqlx::pool::PoolConnection<Self::DB>,
            sql: &str,
        ) -> Result<(), String> {
            (&mut **conn)
                .execute(sqlx::AssertSqlSafe(sql.to_owned()))
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }

        async fn scalar(pool: &Pool<Self::DB>, sql: &str) -> i64 {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(pool)
                .await
                .expect(sql);
            row.try_get::<i64, _>(0).expect("a BIGINT-compatible value")
        }
    };
}

/// Starts counting the UPDATEs of rows of `table`, by trigger (the database's own count).
pub async fn count_row_updates<B: Backend>(pool: &Pool<B::DB>, table: &str) {
    for sql in B::COUNT_ROW_UPDATES {
        B::exec(pool, &sql.replace("{t}", table)).await;
    }
}

/// How many rows of `table` were updated since [`count_row_updates`].
pub async fn row_updates<B: Backend>(pool: &Pool<B::DB>, table: &str) -> i64 {
    B::scalar(
        pool,
        &format!("SELECT n FROM {}", B::quote(&format!("{table}_w"))),
    )
    .await
}

/// A store on a fresh table of this test.
pub fn store<B: Backend>(pool: &Pool<B::DB>, ctx: &Ctx, tag: &str) -> SqlStore<B::DB> {
    SqlStore::builder(pool.clone())
        .table_name(ctx.table(tag))
        .build()
        .expect("valid test table name")
}

// ---------------------------------------------------------------- SQLite

#[cfg(feature = "sqlite")]
pub struct Sqlite;

#[cfg(feature = "sqlite")]
impl Sqlite {
    pub fn path(ctx: &Ctx) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("sqlx_session_store_{}_{}.db", ctx.test, ctx.unique))
    }
}

#[cfg(feature = "sqlite")]
impl Backend for Sqlite {
    type DB = sqlx::Sqlite;
    const NAME: &'static str = "sqlite";
    const STORES_INVALID_JSON: bool = true;
    const WRONG_TIME_TYPE: &'static str = "TEXT";
    const NOW_AS_STORED: &'static str =
        "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)";
    const TWO_HOURS_AGO: &'static str = "(CAST(strftime('%s', 'now') AS INTEGER) - 7200) * 1000000";
    const TYPES: (&'static str, &'static str, &'static str, &'static str) =
        ("TEXT", "TEXT", "INTEGER", "INTEGER");
    const INDEX_COUNT: &'static str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'";
    const ZONE_OFFSET_MINUTES: Option<&'static str> = None;
    const COUNT_ROW_UPDATES: &'static [&'static str] = &[
        r#"CREATE TABLE "{t}_w" (n INTEGER NOT NULL)"#,
        r#"INSERT INTO "{t}_w" VALUES (0)"#,
        r#"CREATE TRIGGER "{t}_wt" AFTER UPDATE ON "{t}" BEGIN UPDATE "{t}_w" SET n = n + 1; END"#,
    ];

    async fn pool_in_zone(ctx: &Ctx, _time_zone: &str) -> Option<Pool<sqlx::Sqlite>> {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        // SQLite has no session time zone; the store stores UTC microseconds.
        let options = SqliteConnectOptions::new()
            .filename(Self::path(ctx))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(30));
        Some(
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .expect("open SQLite file"),
        )
    }

    raw_sql_helpers!();

    async fn pool_with_schema(ctx: &Ctx, name: &str) -> Option<(Pool<sqlx::Sqlite>, String)> {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        // An attached database belongs to one connection: attach it on every one.
        let file =
            std::env::temp_dir().join(format!("sqlx_session_store_{}_{name}.db", ctx.unique));
        let attach = format!("ATTACH DATABASE '{}' AS \"{name}\"", file.display());
        let options = SqliteConnectOptions::new()
            .filename(Self::path(ctx))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(3)
            .after_connect(move |conn, _| {
                let sql = attach.clone();
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(sql)).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .expect("open SQLite file");
        Some((pool, name.to_owned()))
    }

    async fn drop_schema(_pool: &Pool<sqlx::Sqlite>, name: &str) {
        // The file of every attached database of this test (see `pool_with_schema`).
        let dir = std::env::temp_dir();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let file = e.file_name().to_string_lossy().into_owned();
                if file.starts_with("sqlx_session_store_") && file.contains(&format!("_{name}.db"))
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    async fn cleanup(pool: Pool<sqlx::Sqlite>, ctx: &Ctx) {
        pool.close().await;
        let path = Self::path(ctx);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }

    fn quote(ident: &str) -> String {
        format!("\"{ident}\"")
    }
}

// ---------------------------------------------------------------- PostgreSQL

#[cfg(feature = "postgres")]
pub struct Postgres;

#[cfg(feature = "postgres")]
impl Postgres {
    pub fn url() -> String {
        std::env::var("DATABASE_URL_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
    }
}

#[cfg(feature = "postgres")]
impl Backend for Postgres {
    type DB = sqlx::Postgres;
    const NAME: &'static str = "postgres";
    const STORES_INVALID_JSON: bool = false;
    const WRONG_TIME_TYPE: &'static str = "TIMESTAMP";
    const NOW_AS_STORED: &'static str = "now()";
    const TWO_HOURS_AGO: &'static str = "now() - interval '2 hours'";
    const TYPES: (&'static str, &'static str, &'static str, &'static str) =
        ("TEXT", "JSON", "TIMESTAMPTZ", "BIGINT");
    const INDEX_COUNT: &'static str =
        "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = '{table}'";
    const ZONE_OFFSET_MINUTES: Option<&'static str> =
        Some("SELECT (EXTRACT(TIMEZONE FROM now()) / 60)::int8");
    const COUNT_ROW_UPDATES: &'static [&'static str] = &[
        r#"CREATE TABLE "{t}_w" (n BIGINT NOT NULL)"#,
        r#"INSERT INTO "{t}_w" VALUES (0)"#,
        r#"CREATE FUNCTION "{t}_wf"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "{t}_w" SET n = n + 1; RETURN NULL; END $$"#,
        r#"CREATE TRIGGER "{t}_wt" AFTER UPDATE ON "{t}" FOR EACH ROW EXECUTE FUNCTION "{t}_wf"()"#,
    ];

    async fn pool_in_zone(ctx: &Ctx, time_zone: &str) -> Option<Pool<sqlx::Postgres>> {
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        let url = Self::url();
        let options: PgConnectOptions = url.parse().expect("valid DATABASE_URL_POSTGRES");
        // sqlx starts every PostgreSQL connection in UTC; move it to the test's zone
        // (an ISO offset: positive is east of UTC).
        let set_zone = format!("SET TIME ZONE INTERVAL '{time_zone}' HOUR TO MINUTE");
        match PgPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(move |conn, _| {
                let sql = set_zone.clone();
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(sql)).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
        {
            Ok(pool) => Some(pool),
            Err(e) => unreachable("postgres", ctx.test, &url, e),
        }
    }

    raw_sql_helpers!();

    async fn pool_with_schema(ctx: &Ctx, name: &str) -> Option<(Pool<sqlx::Postgres>, String)> {
        let pool = Self::pool_in_zone(ctx, DEFAULT_TEST_ZONE).await?;
        Self::exec(&pool, &format!("CREATE SCHEMA IF NOT EXISTS \"{name}\"")).await;
        Some((pool, name.to_owned()))
    }

    async fn drop_schema(pool: &Pool<sqlx::Postgres>, name: &str) {
        Self::exec(pool, &format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).await;
    }

    async fn cleanup(pool: Pool<sqlx::Postgres>, ctx: &Ctx) {
        let rows = sqlx::query(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) \
             FROM information_schema.tables WHERE table_name LIKE '%' || $1 || '%'",
        )
        .bind(&ctx.unique)
        .fetch_all(&pool)
        .await
        .expect("list test tables");
        for row in rows {
            let name: String = row.get(0);
            Self::exec(&pool, &format!("DROP TABLE IF EXISTS {name}")).await;
        }
        // Trigger functions of `COUNT_ROW_UPDATES`.
        let functions = sqlx::query(
            "SELECT quote_ident(proname) FROM pg_proc WHERE proname LIKE '%' || $1 || '%'",
        )
        .bind(&ctx.unique)
        .fetch_all(&pool)
        .await
        .expect("list test functions");
        for row in functions {
            let name: String = row.get(0);
            Self::exec(&pool, &format!("DROP FUNCTION IF EXISTS {name}() CASCADE")).await;
        }
        pool.close().await;
    }

    fn quote(ident: &str) -> String {
        format!("\"{ident}\"")
    }
}

// ---------------------------------------------------------------- MySQL / MariaDB

#[cfg(feature = "mysql")]
pub struct MySql;

#[cfg(feature = "mysql")]
impl MySql {
    pub fn url() -> String {
        std::env::var("DATABASE_URL_MYSQL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
    }
}

#[cfg(feature = "mysql")]
impl Backend for MySql {
    type DB = sqlx::MySql;
    const NAME: &'static str = "mysql";
    const STORES_INVALID_JSON: bool = true;
    const WRONG_TIME_TYPE: &'static str = "TIMESTAMP(6) NULL";
    const NOW_AS_STORED: &'static str = "UTC_TIMESTAMP(6)";
    const TWO_HOURS_AGO: &'static str = "UTC_TIMESTAMP(6) - INTERVAL 2 HOUR";
    const TYPES: (&'static str, &'static str, &'static str, &'static str) =
        ("VARBINARY(255)", "LONGTEXT", "DATETIME(6)", "BIGINT");
    const INDEX_COUNT: &'static str =
        "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics \
         WHERE table_schema = DATABASE() AND table_name = '{table}'";
    const ZONE_OFFSET_MINUTES: Option<&'static str> =
        Some("SELECT CAST(ROUND(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) / 60) AS SIGNED)");
    const COUNT_ROW_UPDATES: &'static [&'static str] = &[
        "CREATE TABLE `{t}_w` (n BIGINT NOT NULL)",
        "INSERT INTO `{t}_w` VALUES (0)",
        "CREATE TRIGGER `{t}_wt` AFTER UPDATE ON `{t}` FOR EACH ROW UPDATE `{t}_w` SET n = n + 1",
    ];

    async fn pool_in_zone(ctx: &Ctx, time_zone: &str) -> Option<Pool<sqlx::MySql>> {
        use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
        let url = Self::url();
        let options: MySqlConnectOptions = url.parse().expect("valid DATABASE_URL_MYSQL");
        let options = options.timezone(Some(time_zone.to_owned()));
        match MySqlPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(options)
            .await
        {
            Ok(pool) => Some(pool),
            Err(e) => unreachable("mysql", ctx.test, &url, e),
        }
    }

    raw_sql_helpers!();

    async fn pool_with_schema(ctx: &Ctx, name: &str) -> Option<(Pool<sqlx::MySql>, String)> {
        let pool = Self::pool_in_zone(ctx, DEFAULT_TEST_ZONE).await?;
        Self::exec(&pool, &format!("CREATE DATABASE IF NOT EXISTS `{name}`")).await;
        Some((pool, name.to_owned()))
    }

    async fn drop_schema(pool: &Pool<sqlx::MySql>, name: &str) {
        Self::exec(pool, &format!("DROP DATABASE IF EXISTS `{name}`")).await;
    }

    async fn cleanup(pool: Pool<sqlx::MySql>, ctx: &Ctx) {
        let rows = sqlx::query(
            "SELECT CONCAT('`', table_schema, '`.`', table_name, '`') \
             FROM information_schema.tables WHERE table_name LIKE CONCAT('%', ?, '%')",
        )
        .bind(&ctx.unique)
        .fetch_all(&pool)
        .await
        .expect("list test tables");
        for row in rows {
            let name: String = row.get(0);
            Self::exec(&pool, &format!("DROP TABLE IF EXISTS {name}")).await;
        }
        pool.close().await;
    }

    fn quote(ident: &str) -> String {
        format!("`{ident}`")
    }
}
