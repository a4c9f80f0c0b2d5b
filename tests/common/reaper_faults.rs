//! The reaper suites' fault-injection backend: [`ReaperBackend`], what they need of a
//! database beyond [`Backend`] — literal timestamps for bulk inserts, a database that can be
//! taken away and given back ([`Fault`]: a [`Proxy`] for PostgreSQL and MySQL, a renamed
//! table for SQLite), and the reaper lock taken the way another app instance would.

#![allow(dead_code)]

use std::future::Future;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::Pool;

use super::backend::Backend;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use super::proxy::Proxy;

/// What the reaper suite needs beyond [`Backend`]: literal timestamps for bulk inserts,
/// a way to take the database away, and the reaper lock as another instance would hold it.
pub trait ReaperBackend: Backend {
    /// An SQL literal for `t` as the store keeps it in `expires`.
    fn time_literal(t: DateTime<Utc>) -> String;

    /// A pool for the store under test and the switch that takes its database away.
    /// `direct` reaches the database without the fault (for set-up and checks).
    fn faulty_pool(
        direct: &Pool<Self::DB>,
        table: &str,
    ) -> impl Future<Output = (Pool<Self::DB>, Fault)> + Send;

    /// Takes the reaper lock of `table` on a connection of `pool`, the way another app
    /// instance's reaper would; `None` when the database has no such lock (SQLite).
    fn hold_reaper_lock(
        pool: &Pool<Self::DB>,
        table: &str,
    ) -> impl Future<Output = Option<PoolConnection<Self::DB>>> + Send;

    /// Releases what `hold_reaper_lock` took.
    fn release_reaper_lock(
        conn: PoolConnection<Self::DB>,
        table: &str,
    ) -> impl Future<Output = ()> + Send;
}

/// How a test takes the database away from the store and gives it back.
pub enum Fault {
    /// The store's pool connects through this proxy (PostgreSQL, MySQL).
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    Proxy(Proxy),
    /// SQLite has no network: the table is renamed away and back, so every statement of
    /// the reaper fails with "no such table" in between.
    #[cfg(feature = "sqlite")]
    RenameTable {
        pool: Pool<sqlx::Sqlite>,
        table: String,
    },
}

impl Fault {
    /// Drops live connections and refuses new ones (or hides the table).
    pub async fn cut(&self) {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Fault::Proxy(p) => p.cut(),
            #[cfg(feature = "sqlite")]
            Fault::RenameTable { pool, table } => {
                let sql = format!("ALTER TABLE \"{table}\" RENAME TO \"{table}_away\"");
                super::backend::Sqlite::exec(pool, &sql).await;
            }
        }
    }

    /// Drops live connections; new ones hang (PostgreSQL, MySQL). Returns whether the
    /// backend has such a mode.
    pub fn blackhole(&self) -> bool {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Fault::Proxy(p) => {
                p.blackhole();
                true
            }
            #[cfg(feature = "sqlite")]
            Fault::RenameTable { .. } => false,
        }
    }

    /// Gives the database back.
    pub async fn restore(&self) {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Fault::Proxy(p) => p.restore(),
            #[cfg(feature = "sqlite")]
            Fault::RenameTable { pool, table } => {
                let sql = format!("ALTER TABLE \"{table}_away\" RENAME TO \"{table}\"");
                super::backend::Sqlite::exec(pool, &sql).await;
            }
        }
    }
}

/// The reaper's lock key for a table in the connection's default schema, as the crate
/// derives it (FNV-1a of `schema.table`, mixed with the reaper's salt). Written out here
/// on purpose: the key must not change between versions, or two versions of an app
/// running side by side during a deploy would not exclude each other.
pub fn reaper_lock_key(table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in ".".bytes().chain(table.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash as i64) ^ 0x5245_4150_4552_0001
}

// ---------------------------------------------------------------- backends

#[cfg(feature = "sqlite")]
impl ReaperBackend for super::backend::Sqlite {
    fn time_literal(t: DateTime<Utc>) -> String {
        t.timestamp_micros().to_string()
    }

    async fn faulty_pool(direct: &Pool<sqlx::Sqlite>, table: &str) -> (Pool<sqlx::Sqlite>, Fault) {
        let fault = Fault::RenameTable {
            pool: direct.clone(),
            table: table.to_owned(),
        };
        (direct.clone(), fault)
    }

    async fn hold_reaper_lock(
        _pool: &Pool<sqlx::Sqlite>,
        _table: &str,
    ) -> Option<PoolConnection<sqlx::Sqlite>> {
        None
    }

    async fn release_reaper_lock(_conn: PoolConnection<sqlx::Sqlite>, _table: &str) {}
}

/// Options for a pool that must notice a dead server quickly: short acquire timeout, and
/// a ping before each use so that a connection the proxy dropped is not handed out
/// (see transact-rs/sqlx#4349 on permits leaked by connections that die silently).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn faulty_pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(1))
        .test_before_acquire(true)
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn resolve(host: &str, port: u16) -> std::net::SocketAddr {
    tokio::net::lookup_host((host, port))
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address for the database host")
}

/// `faulty_pool` for a networked backend: the server's URL, reached through a [`Proxy`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! proxied_faulty_pool {
    ($options:ty) => {
        async fn faulty_pool(_direct: &Pool<Self::DB>, _table: &str) -> (Pool<Self::DB>, Fault) {
            let options: $options = Self::url().parse().expect("a valid database URL");
            let upstream = resolve(options.get_host(), options.get_port()).await;
            let proxy = Proxy::start(upstream).await;
            let options = options.host("127.0.0.1").port(proxy.addr().port());
            let pool = faulty_pool_options()
                .connect_with(options)
                .await
                .expect("connect through the proxy");
            (pool, Fault::Proxy(proxy))
        }
    };
}

#[cfg(feature = "postgres")]
impl ReaperBackend for super::backend::Postgres {
    fn time_literal(t: DateTime<Utc>) -> String {
        format!(
            "'{}'::timestamptz",
            t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )
    }

    proxied_faulty_pool!(sqlx::postgres::PgConnectOptions);

    async fn hold_reaper_lock(
        pool: &Pool<sqlx::Postgres>,
        table: &str,
    ) -> Option<PoolConnection<sqlx::Postgres>> {
        let mut conn = pool.acquire().await.expect("a connection");
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(reaper_lock_key(table))
            .execute(&mut *conn)
            .await
            .expect("take the reaper lock");
        Some(conn)
    }

    async fn release_reaper_lock(mut conn: PoolConnection<sqlx::Postgres>, table: &str) {
        let released: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
            .bind(reaper_lock_key(table))
            .fetch_one(&mut *conn)
            .await
            .expect("release the reaper lock");
        assert!(released, "the test held the reaper lock");
    }
}

#[cfg(feature = "mysql")]
fn mysql_lock_name(table: &str) -> String {
    format!("sqlx_session_store:reaper:{:x}", reaper_lock_key(table))
}

#[cfg(feature = "mysql")]
impl ReaperBackend for super::backend::MySql {
    fn time_literal(t: DateTime<Utc>) -> String {
        format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"))
    }

    proxied_faulty_pool!(sqlx::mysql::MySqlConnectOptions);

    async fn hold_reaper_lock(
        pool: &Pool<sqlx::MySql>,
        table: &str,
    ) -> Option<PoolConnection<sqlx::MySql>> {
        let mut conn = pool.acquire().await.expect("a connection");
        let got: i64 = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 10) AS SIGNED)")
            .bind(mysql_lock_name(table))
            .fetch_one(&mut *conn)
            .await
            .expect("take the reaper lock");
        assert_eq!(got, 1, "the test takes the reaper lock");
        Some(conn)
    }

    async fn release_reaper_lock(mut conn: PoolConnection<sqlx::MySql>, table: &str) {
        let released: i64 = sqlx::query_scalar("SELECT CAST(RELEASE_LOCK(?) AS SIGNED)")
            .bind(mysql_lock_name(table))
            .fetch_one(&mut *conn)
            .await
            .expect("release the reaper lock");
        assert_eq!(released, 1, "the test held the reaper lock");
    }
}
