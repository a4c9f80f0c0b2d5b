//! Whole HTTP requests through an axum 0.8 app with tower-sessions' `SessionManagerLayer`
//! (sliding sessions: `Expiry::OnInactivity(1 h)`, `with_always_save(true)`,
//! `with_secure(false)`), on SQLite (WAL file), PostgreSQL and MySQL/MariaDB, for three
//! stores, each on its own table:
//!
//! - `peer`: a stand-in for tower-sessions-sqlx-store written here on raw sqlx, with that
//!   crate's table (`id`, `data` BLOB/BYTEA, `expiry_date`) and statements: `create` one
//!   INSERT, `save` one upsert of the whole row on every save, `load` one
//!   `SELECT data .. WHERE id = ? AND expiry_date > ?`, `delete` one DELETE. The row's data
//!   is the whole `Record` serialized as JSON bytes (that crate uses MessagePack, rmp-serde),
//!   and its SQL text is built once, not on each call;
//! - `ours, defaults`: `SqlStore::builder(pool).table_name(..).build()`, whose default touch
//!   window (180 s for a 1 h session) skips the write of an unchanged session;
//! - `ours, touch_after(0)`: the same with `touch_after(Duration::ZERO)`, which writes the
//!   expiry on every request (the default before this release).
//!
//! 32 simulated users, each with its own cookie and its own keep-alive HTTP/1.1 connection
//! (a small hand-written client on tokio's `TcpStream`), send requests in a closed loop:
//! one in 20 (5 %) is `GET /bump` (the handler inserts a counter), the others `GET /read`
//! (the handler reads it). Each user signs in first with one `/bump`, which creates its
//! session (a counter and a profile of about 150 bytes).
//!
//! Each store is served by its own child process, this binary run again with
//! `HTTP_BENCH_SERVE=<backend>:<side>`: a tokio runtime of one worker thread (so the server
//! uses about one core at most and the load generator, this process, gets the other), a pool
//! of 4 connections; it listens on 127.0.0.1 and prints its port. The parent reads each
//! child's CPU time (utime + stime in `/proc/<pid>/stat`, all its threads: SQLite's
//! connection threads included) before and after each round. The database server's own CPU
//! is not counted. Rounds: one warm-up round per side, then `HTTP_BENCH_ROUNDS` (default 7)
//! rounds of `HTTP_BENCH_SECS` (default 2) seconds per side, the sides' order rotated each
//! round, all sides of a backend in one interleaved run.
//!
//! Reported per backend and side: the median over rounds of requests per second and of
//! server CPU per request, their ratios to the peer's, and the database statements per
//! request (reads: queries returning rows; writes: the rest) over all measured rounds: ours
//! from `SqlStore::stats()` (served by the child on `GET /__stats`, outside the session
//! layer), the peer's from its own counters.
//!
//! Server URLs and `BENCH_BACKENDS` (here among `sqlite-wal,postgres,mysql`) as in the other
//! benches (see `common`). Tables are named after this process and dropped at the end; the
//! children are killed when the run ends or fails, and exit when this process is gone.
//!
//! ```text
//! cargo bench --all-features --bench http
//! ```

mod common;

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use axum::Router;
use chrono::{DateTime, Utc};
use common::{median, micros};
use serde_json::json;
use sqlx::{AssertSqlSafe, Database, MySql, Pool, Postgres, Sqlite};
use sqlx_session_store::{Dialect, SqlStore, StoreStats};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore};

/// Simulated users, each with its own session and connection.
const USERS: usize = 32;
/// One request in this many changes the session (5 %).
const CHANGE_EVERY: u64 = 20;
/// The sliding sessions' inactivity timeout.
const INACTIVITY: time::Duration = time::Duration::hours(1);
/// Connections of each server's pool.
const SERVER_POOL: u32 = 4;
const DEFAULT_SECS: f64 = 2.0;
const DEFAULT_ROUNDS: usize = 7;
/// The key the handlers read and change.
const COUNTER: &str = "n";

/// Set in a child's environment: `<backend>:<side>` it serves.
const SERVE_VAR: &str = "HTTP_BENCH_SERVE";
/// Set in a child's environment: the table of its side.
const TABLE_VAR: &str = "HTTP_BENCH_TABLE";
/// Set in a child's environment: the SQLite file (SQLite only).
const SQLITE_VAR: &str = "HTTP_BENCH_SQLITE";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    SqliteWal,
    Postgres,
    MySql,
}

impl Backend {
    const ALL: [Backend; 3] = [Backend::SqliteWal, Backend::Postgres, Backend::MySql];

    /// The name `BENCH_BACKENDS` and the report use.
    fn name(self) -> &'static str {
        match self {
            Backend::SqliteWal => "sqlite-wal",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Peer,
    Ours,
    OursTouchZero,
}

impl Side {
    const ALL: [Side; 3] = [Side::Peer, Side::Ours, Side::OursTouchZero];

    /// The name in `HTTP_BENCH_SERVE` and in the table's name.
    fn key(self) -> &'static str {
        match self {
            Side::Peer => "peer",
            Side::Ours => "ours",
            Side::OursTouchZero => "ours_touch0",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Side::Peer => "peer",
            Side::Ours => "ours, defaults",
            Side::OursTouchZero => "ours, touch_after(0)",
        }
    }

    fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

// ------------------------------------------------------------------ statement counts

/// Statements a store ran, as the child serves them on `GET /__stats`.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    reads: u64,
    writes: u64,
    saves_skipped: u64,
}

impl Counts {
    fn since(self, before: Counts) -> Counts {
        Counts {
            reads: self.reads - before.reads,
            writes: self.writes - before.writes,
            saves_skipped: self.saves_skipped - before.saves_skipped,
        }
    }

    fn add(&mut self, other: Counts) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.saves_skipped += other.saves_skipped;
    }

    fn text(self) -> String {
        format!("{} {} {}", self.reads, self.writes, self.saves_skipped)
    }

    fn parse(text: &str) -> Counts {
        let n: Vec<u64> = text
            .split_whitespace()
            .map(|n| n.parse().expect("a count"))
            .collect();
        let [reads, writes, saves_skipped] = n[..] else {
            panic!("stats: {text:?}");
        };
        Counts {
            reads,
            writes,
            saves_skipped,
        }
    }
}

impl From<StoreStats> for Counts {
    fn from(s: StoreStats) -> Self {
        Counts {
            reads: s.reads,
            writes: s.writes,
            saves_skipped: s.saves_skipped,
        }
    }
}

// ------------------------------------------------------------------ the peer store

/// The peer's statements on one table, as tower-sessions-sqlx-store writes them.
#[derive(Debug)]
struct PeerSql {
    create_table: String,
    insert: &'static str,
    upsert: &'static str,
    load: &'static str,
    delete: &'static str,
}

fn leak(s: String) -> &'static str {
    s.leak()
}

fn sqlite_peer_sql(t: &str) -> PeerSql {
    PeerSql {
        create_table: format!(
            "CREATE TABLE {t} (id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL, \
             expiry_date INTEGER NOT NULL)"
        ),
        insert: leak(format!(
            "INSERT INTO {t} (id, data, expiry_date) VALUES (?, ?, ?)"
        )),
        upsert: leak(format!(
            "INSERT INTO {t} (id, data, expiry_date) VALUES (?, ?, ?) ON CONFLICT (id) \
             DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date"
        )),
        load: leak(format!(
            "SELECT data FROM {t} WHERE id = ? AND expiry_date > ?"
        )),
        delete: leak(format!("DELETE FROM {t} WHERE id = ?")),
    }
}

fn pg_peer_sql(t: &str) -> PeerSql {
    PeerSql {
        create_table: format!(
            "CREATE TABLE {t} (id TEXT PRIMARY KEY NOT NULL, data BYTEA NOT NULL, \
             expiry_date TIMESTAMPTZ NOT NULL)"
        ),
        insert: leak(format!(
            "INSERT INTO {t} (id, data, expiry_date) VALUES ($1, $2, $3)"
        )),
        upsert: leak(format!(
            "INSERT INTO {t} (id, data, expiry_date) VALUES ($1, $2, $3) ON CONFLICT (id) \
             DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date"
        )),
        load: leak(format!(
            "SELECT data FROM {t} WHERE id = $1 AND expiry_date > $2"
        )),
        delete: leak(format!("DELETE FROM {t} WHERE id = $1")),
    }
}

fn mysql_peer_sql(t: &str) -> PeerSql {
    PeerSql {
        create_table: format!(
            "CREATE TABLE {t} (id CHAR(22) PRIMARY KEY NOT NULL, data BLOB NOT NULL, \
             expiry_date TIMESTAMP(6) NOT NULL)"
        ),
        insert: leak(format!(
            "INSERT INTO {t} (id, data, expiry_date) VALUES (?, ?, ?)"
        )),
        upsert: leak(format!(
            "INSERT INTO {t} (id, data, expiry_date) VALUES (?, ?, ?) ON DUPLICATE KEY \
             UPDATE data = VALUES(data), expiry_date = VALUES(expiry_date)"
        )),
        load: leak(format!(
            "SELECT data FROM {t} WHERE id = ? AND expiry_date > ?"
        )),
        delete: leak(format!("DELETE FROM {t} WHERE id = ?")),
    }
}

/// A database the bench runs on: the peer's statements there, and running a DDL statement.
trait BenchDb: Dialect {
    fn peer_sql(table: &str) -> PeerSql;
    async fn ddl(pool: &Pool<Self>, sql: String);
}

/// The stand-in for tower-sessions-sqlx-store on one database.
struct Peer<DB: Database> {
    pool: Pool<DB>,
    sql: Arc<PeerSql>,
    reads: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
}

impl<DB: BenchDb> Peer<DB> {
    fn new(pool: Pool<DB>, table: &str) -> Self {
        Peer {
            pool,
            sql: Arc::new(DB::peer_sql(table)),
            reads: Arc::default(),
            writes: Arc::default(),
        }
    }

    fn counts(&self) -> impl Fn() -> Counts + Send + Sync + 'static {
        let (reads, writes) = (self.reads.clone(), self.writes.clone());
        move || Counts {
            reads: reads.load(Ordering::Relaxed),
            writes: writes.load(Ordering::Relaxed),
            saves_skipped: 0,
        }
    }
}

impl<DB: Database> Clone for Peer<DB> {
    fn clone(&self) -> Self {
        Peer {
            pool: self.pool.clone(),
            sql: self.sql.clone(),
            reads: self.reads.clone(),
            writes: self.writes.clone(),
        }
    }
}

impl<DB: Database> std::fmt::Debug for Peer<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").field("sql", &self.sql).finish()
    }
}

fn backend_error(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn to_chrono(t: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(i64::try_from(t.unix_timestamp_nanos()).expect("in range"))
}

macro_rules! peer {
    ($db:ty, sql = $sql:path) => {
        impl BenchDb for $db {
            fn peer_sql(table: &str) -> PeerSql {
                $sql(table)
            }

            async fn ddl(pool: &Pool<$db>, sql: String) {
                sqlx::query(AssertSqlSafe(sql))
                    .execute(pool)
                    .await
                    .expect("bench DDL");
            }
        }

        impl Peer<$db> {
            /// One write of the whole row (an insert or an upsert).
            async fn write(&self, sql: &'static str, record: &Record) -> session_store::Result<()> {
                let data = serde_json::to_vec(record)
                    .map_err(|e| session_store::Error::Encode(e.to_string()))?;
                self.writes.fetch_add(1, Ordering::Relaxed);
                sqlx::query(sql)
                    .bind(record.id.to_string())
                    .bind(data)
                    .bind(to_chrono(record.expiry_date))
                    .execute(&self.pool)
                    .await
                    .map_err(backend_error)?;
                Ok(())
            }
        }

        #[async_trait]
        impl SessionStore for Peer<$db> {
            async fn create(&self, record: &mut Record) -> session_store::Result<()> {
                self.write(self.sql.insert, record).await
            }

            async fn save(&self, record: &Record) -> session_store::Result<()> {
                self.write(self.sql.upsert, record).await
            }

            async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
                self.reads.fetch_add(1, Ordering::Relaxed);
                let row: Option<(Vec<u8>,)> = sqlx::query_as(self.sql.load)
                    .bind(id.to_string())
                    .bind(Utc::now())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend_error)?;
                row.map(|(data,)| {
                    serde_json::from_slice(&data)
                        .map_err(|e| session_store::Error::Decode(e.to_string()))
                })
                .transpose()
            }

            async fn delete(&self, id: &Id) -> session_store::Result<()> {
                self.writes.fetch_add(1, Ordering::Relaxed);
                sqlx::query(self.sql.delete)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(backend_error)?;
                Ok(())
            }
        }
    };
}

peer!(Sqlite, sql = sqlite_peer_sql);
peer!(Postgres, sql = pg_peer_sql);
peer!(MySql, sql = mysql_peer_sql);

// ------------------------------------------------------------------ the server (child)

type Result<T> = std::result::Result<T, (axum::http::StatusCode, String)>;

fn server_error(e: impl std::fmt::Display) -> (axum::http::StatusCode, String) {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// A read-only request: reads the counter.
async fn read(session: Session) -> Result<String> {
    let n: Option<u64> = session.get(COUNTER).await.map_err(server_error)?;
    Ok(n.unwrap_or(0).to_string())
}

/// A changing request: increments the counter (the first one also stores a profile).
async fn bump(session: Session) -> Result<String> {
    let n: Option<u64> = session.get(COUNTER).await.map_err(server_error)?;
    if n.is_none() {
        let profile = json!({
            "user_id": 7_123_456,
            "name": "ada.lovelace",
            "locale": "en-GB",
            "csrf": "c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d9e",
        });
        session
            .insert("profile", profile)
            .await
            .map_err(server_error)?;
    }
    let n = n.unwrap_or(0) + 1;
    session.insert(COUNTER, n).await.map_err(server_error)?;
    Ok(n.to_string())
}

/// The app around `store`, and `GET /__stats` (outside the session layer) serving `counts`.
fn app<S: SessionStore + Clone>(
    store: S,
    counts: impl Fn() -> Counts + Send + Sync + 'static,
) -> Router {
    let layer = SessionManagerLayer::new(store)
        .with_expiry(Expiry::OnInactivity(INACTIVITY))
        .with_always_save(true)
        .with_secure(false);
    let counts = Arc::new(counts);
    Router::new()
        .route("/read", get(read))
        .route("/bump", get(bump))
        .layer(layer)
        .route(
            "/__stats",
            get(move || {
                let text = counts().text();
                async move { text }
            }),
        )
}

fn side_app<DB: BenchDb>(pool: Pool<DB>, side: Side, table: &str) -> Router
where
    Peer<DB>: SessionStore,
{
    let ours = |touch_after: Option<Duration>| {
        let mut builder = SqlStore::builder(pool.clone()).table_name(table);
        if let Some(window) = touch_after {
            builder = builder.touch_after(window);
        }
        let store = builder.build().expect("store");
        let stats = store.clone();
        app(store, move || stats.stats().into())
    };
    match side {
        Side::Peer => {
            let peer = Peer::new(pool.clone(), table);
            let counts = peer.counts();
            app(peer, counts)
        }
        Side::Ours => ours(None),
        Side::OursTouchZero => ours(Some(Duration::ZERO)),
    }
}

/// The child: serves one side until its standard input closes.
fn serve(spec: &str) {
    let (backend, side) = spec
        .split_once(':')
        .and_then(|(b, s)| Some((Backend::parse(b)?, Side::parse(s)?)))
        .unwrap_or_else(|| panic!("{SERVE_VAR}={spec:?}: want <backend>:<side>"));
    let table = std::env::var(TABLE_VAR).expect("table name");
    // The parent holds our standard input: when it is gone (killed or not), so are we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Spawned, so that everything runs on the one worker (not on this thread).
    let server = rt.spawn(async move {
        let app = match backend {
            Backend::SqliteWal => {
                let path = PathBuf::from(std::env::var_os(SQLITE_VAR).expect("sqlite file"));
                side_app(
                    common::sqlite_wal_file(&path, SERVER_POOL).await,
                    side,
                    &table,
                )
            }
            Backend::Postgres => {
                let pool = common::postgres(SERVER_POOL).await.expect("postgres");
                side_app(pool, side, &table)
            }
            Backend::MySql => {
                let pool = common::mysql(SERVER_POOL).await.expect("mysql");
                side_app(pool, side, &table)
            }
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("{}", listener.local_addr().expect("address").port());
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.expect("serve");
    });
    rt.block_on(server).expect("server task");
}

// ------------------------------------------------------------------ the parent

/// One child server; killed when dropped (at the end, or while a panic unwinds).
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn spawn(backend: Backend, side: Side, table: &str, sqlite: Option<&Path>) -> Server {
        let mut command = Command::new(std::env::current_exe().expect("this binary"));
        command
            .env(SERVE_VAR, format!("{}:{}", backend.name(), side.key()))
            .env(TABLE_VAR, table)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if let Some(path) = sqlite {
            command.env(SQLITE_VAR, path);
        }
        let mut server = Server {
            child: command.spawn().expect("spawn the server"),
            port: 0,
        };
        let stdout = server.child.stdout.take().expect("piped");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's port");
        server.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{} {}: no port ({line:?})", backend.name(), side.key()));
        server
    }

    /// The child's CPU time so far, in clock ticks.
    fn cpu(&self) -> u64 {
        cpu_ticks(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// utime + stime of a process, from its `/proc/<pid>/stat`.
fn cpu_ticks(stat: &str) -> u64 {
    let text = std::fs::read_to_string(stat).expect(stat);
    // The fields after the command name (in parentheses, which may hold spaces): the state
    // is field 3, utime and stime fields 14 and 15.
    let after = &text[text.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let tick = |i: usize| fields[i - 3].parse::<u64>().expect("ticks");
    tick(14) + tick(15)
}

/// Clock ticks per second (`getconf CLK_TCK`, else 100).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// One keep-alive HTTP/1.1 connection that keeps the session cookie it is given.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    cookie: Option<String>,
}

struct Reply {
    status: u16,
    body: String,
}

impl Conn {
    async fn open(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::with_capacity(4096),
            cookie: None,
        }
    }

    async fn get(&mut self, path: &str) -> Reply {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if let Some(cookie) = &self.cookie {
            request.push_str("Cookie: ");
            request.push_str(cookie);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        self.stream
            .write_all(request.as_bytes())
            .await
            .expect("send");
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill().await;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).expect("ASCII head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1)?.parse().ok())
            .expect("status line");
        let (mut length, mut cookie) = (0, None);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().expect("content length");
            } else if name.eq_ignore_ascii_case("set-cookie") {
                cookie = value.split(';').next().map(str::to_owned);
            }
        }
        if cookie.is_some() {
            self.cookie = cookie;
        }
        let end = head_end + 4 + length;
        while self.buf.len() < end {
            self.fill().await;
        }
        let body = String::from_utf8_lossy(&self.buf[head_end + 4..end]).into_owned();
        self.buf.drain(..end);
        Reply { status, body }
    }

    async fn fill(&mut self) {
        let n = self.stream.read_buf(&mut self.buf).await.expect("receive");
        assert!(n > 0, "the server closed the connection");
    }

    async fn counts(&mut self) -> Counts {
        let reply = self.get("/__stats").await;
        assert_eq!(reply.status, 200, "stats: {}", reply.body);
        Counts::parse(&reply.body)
    }
}

/// One simulated user: its connection (holding its cookie) and how many requests it sent.
struct User {
    index: u64,
    conn: Conn,
    sent: u64,
}

/// Requests until `deadline`, closed loop; returns the user and how many it completed.
async fn drive(mut user: User, deadline: Instant) -> (User, u64) {
    let mut done = 0;
    while Instant::now() < deadline {
        let path = if (user.sent + user.index).is_multiple_of(CHANGE_EVERY) {
            "/bump"
        } else {
            "/read"
        };
        let reply = user.conn.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        user.sent += 1;
        done += 1;
    }
    (user, done)
}

/// A side under test: its server, its users, and a connection for its counts.
struct Target {
    side: Side,
    server: Server,
    users: Vec<User>,
    control: Conn,
    rounds: Vec<Round>,
}

/// What one round of one side measured.
struct Round {
    requests: u64,
    wall: Duration,
    server_cpu: Duration,
    counts: Counts,
}

impl Target {
    async fn start(backend: Backend, side: Side, table: &str, sqlite: Option<&Path>) -> Target {
        let server = Server::spawn(backend, side, table, sqlite);
        let mut users = Vec::with_capacity(USERS);
        for index in 0..USERS as u64 {
            let mut conn = Conn::open(server.port).await;
            let reply = conn.get("/bump").await;
            assert_eq!(reply.status, 200, "sign-in: {}", reply.body);
            assert!(conn.cookie.is_some(), "sign-in: no session cookie");
            users.push(User {
                index,
                conn,
                sent: 1,
            });
        }
        let control = Conn::open(server.port).await;
        Target {
            side,
            server,
            users,
            control,
            rounds: Vec::new(),
        }
    }

    /// One round of `length` of load on this side's server.
    async fn round(&mut self, length: Duration, tick: f64) -> Round {
        let before = self.control.counts().await;
        let server_before = self.server.cpu();
        let started = Instant::now();
        let deadline = started + length;
        let tasks: Vec<_> = self
            .users
            .drain(..)
            .map(|user| tokio::spawn(drive(user, deadline)))
            .collect();
        let mut requests = 0;
        for task in tasks {
            let (user, done) = task.await.expect("user task");
            self.users.push(user);
            requests += done;
        }
        let wall = started.elapsed();
        let server_ticks = self.server.cpu() - server_before;
        let counts = self.control.counts().await.since(before);
        Round {
            requests,
            wall,
            server_cpu: Duration::from_secs_f64(server_ticks as f64 / tick),
            counts,
        }
    }
}

/// The run's settings.
struct Plan {
    length: Duration,
    rounds: usize,
    tick: f64,
}

impl Plan {
    fn from_env() -> Plan {
        let secs: f64 = env_number("HTTP_BENCH_SECS").unwrap_or(DEFAULT_SECS);
        Plan {
            length: Duration::from_secs_f64(secs),
            rounds: env_number("HTTP_BENCH_ROUNDS").unwrap_or(DEFAULT_ROUNDS),
            tick: clock_ticks(),
        }
    }
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?}: not a number")),
    )
}

/// One line of the report.
struct Row {
    backend: Backend,
    side: Side,
    requests: u64,
    /// Median wall time per request (the inverse of the median throughput).
    per_request: Duration,
    /// Median server CPU per request.
    cpu: Duration,
    counts: Counts,
}

impl Row {
    fn of(backend: Backend, t: &Target) -> Row {
        let mut per_request: Vec<Duration> = t
            .rounds
            .iter()
            .map(|r| r.wall / r.requests as u32)
            .collect();
        let mut cpu: Vec<Duration> = t
            .rounds
            .iter()
            .map(|r| r.server_cpu / r.requests as u32)
            .collect();
        let mut counts = Counts::default();
        for r in &t.rounds {
            counts.add(r.counts);
        }
        Row {
            backend,
            side: t.side,
            requests: t.rounds.iter().map(|r| r.requests).sum(),
            per_request: median(&mut per_request),
            cpu: median(&mut cpu),
            counts,
        }
    }

    fn rate(&self) -> f64 {
        1.0 / self.per_request.as_secs_f64()
    }

    fn per_request(&self, n: u64) -> f64 {
        n as f64 / self.requests as f64
    }
}

/// All sides of one backend, interleaved round by round; the tables dropped at the end.
async fn run<DB: BenchDb>(
    backend: Backend,
    pool: Pool<DB>,
    sqlite: Option<&Path>,
    plan: &Plan,
) -> Vec<Row> {
    let tables: Vec<String> = Side::ALL
        .iter()
        .map(|side| common::table(&format!("http_{}", side.key())))
        .collect();
    for (side, table) in Side::ALL.iter().zip(&tables) {
        DB::ddl(&pool, format!("DROP TABLE IF EXISTS {table}")).await;
        match side {
            Side::Peer => DB::ddl(&pool, DB::peer_sql(table).create_table).await,
            Side::Ours | Side::OursTouchZero => {
                let store = SqlStore::builder(pool.clone())
                    .table_name(table)
                    .build()
                    .expect("store");
                store.migrate().await.expect("migrate");
            }
        }
    }
    let mut targets = Vec::new();
    for (side, table) in Side::ALL.iter().zip(&tables) {
        targets.push(Target::start(backend, *side, table, sqlite).await);
    }
    for t in &mut targets {
        t.round(plan.length, plan.tick).await;
    }
    for r in 0..plan.rounds {
        for k in 0..targets.len() {
            let i = (k + r) % targets.len();
            let round = targets[i].round(plan.length, plan.tick).await;
            let secs = round.wall.as_secs_f64();
            println!(
                "ROUND {} {} [{}]: {} requests in {secs:.2} s = {:.0}/s, server CPU {} µs/request \
                 ({:.0} % of a core), reads {:.3}/request, writes {:.3}/request",
                r + 1,
                backend.name(),
                targets[i].side.label(),
                round.requests,
                round.requests as f64 / secs,
                micros(round.server_cpu / round.requests as u32),
                100.0 * round.server_cpu.as_secs_f64() / secs,
                round.counts.reads as f64 / round.requests as f64,
                round.counts.writes as f64 / round.requests as f64,
            );
            targets[i].rounds.push(round);
        }
    }
    let rows = targets.iter().map(|t| Row::of(backend, t)).collect();
    drop(targets);
    for table in &tables {
        DB::ddl(&pool, format!("DROP TABLE IF EXISTS {table}")).await;
    }
    pool.close().await;
    rows
}

fn print(rows: &[Row], plan: &Plan) {
    println!(
        "\n### HTTP requests through tower-sessions ({USERS} users, {} % changing), \
         {} rounds of {:.1} s per side\n",
        100 / CHANGE_EVERY,
        plan.rounds,
        plan.length.as_secs_f64()
    );
    println!(
        "| backend | side | req/s (median) | req/s vs peer | server CPU µs/req (median) \
         | CPU vs peer | reads/req | writes/req | saves skipped/req | requests |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let peer = rows
            .iter()
            .find(|r| r.backend == row.backend && r.side == Side::Peer)
            .expect("the peer's row");
        let skipped = match row.side {
            Side::Peer => "–".to_owned(),
            Side::Ours | Side::OursTouchZero => {
                format!("{:.3}", row.per_request(row.counts.saves_skipped))
            }
        };
        println!(
            "| {} | {} | {:.0} | {:.3} | {} | {:.3} | {:.3} | {:.3} | {skipped} | {} |",
            row.backend.name(),
            row.side.label(),
            row.rate(),
            row.rate() / peer.rate(),
            micros(row.cpu),
            row.cpu.as_secs_f64() / peer.cpu.as_secs_f64(),
            row.per_request(row.counts.reads),
            row.per_request(row.counts.writes),
            row.requests,
        );
    }
}

fn main() {
    if let Ok(spec) = std::env::var(SERVE_VAR) {
        serve(&spec);
        return;
    }
    let plan = Plan::from_env();
    let rt = common::runtime();
    let mut rows = Vec::new();
    if common::wanted(Backend::SqliteWal.name()) {
        let pool = rt.block_on(common::sqlite_wal("http"));
        let path = common::sqlite_path("http");
        rows.extend(rt.block_on(run(Backend::SqliteWal, pool, Some(&path), &plan)));
        common::remove_sqlite("http");
    }
    if common::wanted(Backend::Postgres.name()) {
        if let Some(pool) = rt.block_on(common::postgres(2)) {
            rows.extend(rt.block_on(run(Backend::Postgres, pool, None, &plan)));
        }
    }
    if common::wanted(Backend::MySql.name()) {
        if let Some(pool) = rt.block_on(common::mysql(2)) {
            rows.extend(rt.block_on(run(Backend::MySql, pool, None, &plan)));
        }
    }
    print(&rows, &plan);
}
