//! End to end on async-std: the tide example's app (`examples/tide/app.rs`) serves on a
//! loopback port, a real HTTP client with a cookie jar visits it, and the visit counter
//! persists across requests and across a restart of the app on the same SQLite file.

#[path = "../examples/tide/app.rs"]
mod app;
#[path = "common/http.rs"]
mod http;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_std::task::JoinHandle;
use serde_json::json;
use sqlx_session_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx_session_store::SqliteStore;

use http::CookieJar;

const SECRET: &[u8] = b"an end-to-end test secret that is long enough";
const COOKIE: &str = "tide.sid";

/// One run of the app: its address, its server task and its pool.
struct Running {
    addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
    pool: SqlitePool,
}

async fn open_store(file: &Path) -> (SqlitePool, SqliteStore) {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options)
        .await
        .expect("open SQLite");
    let store = SqliteStore::new(pool.clone());
    store.migrate().await.expect("migrate");
    (pool, store)
}

/// Starts the app on `addr` (port 0: any free port), as `main` does, on the file `file`.
async fn start(file: &Path, addr: SocketAddr) -> Running {
    let (pool, store) = open_store(file).await;
    let app = app::app(store, SECRET).expect("valid secret");
    // Rebinding the port of the previous run: allow the old socket a moment to go away.
    let mut attempts = 0;
    let listener = loop {
        match std::net::TcpListener::bind(addr) {
            Ok(listener) => break listener,
            Err(e) if attempts < 50 => {
                attempts += 1;
                eprintln!("bind {addr}: {e}; retrying");
                async_std::task::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("bind {addr}: {e}"),
        }
    };
    let addr = listener.local_addr().expect("local address");
    let server = async_std::task::spawn(app.listen(listener));
    Running { addr, server, pool }
}

/// Stops the app as a process exit would: the server and its pool are gone.
async fn stop(running: Running) {
    running.server.cancel().await;
    running.pool.close().await;
}

fn temp_db(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "sqlx_session_store_{test}_{}_{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ))
}

fn remove_db(file: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = file.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

fn visits(body: &str) -> u64 {
    body.trim()
        .strip_prefix("You have visited this page ")
        .and_then(|rest| rest.strip_suffix(" times."))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected body {body:?}"))
}

#[async_std::test]
async fn counter_persists_across_requests_and_a_restart() {
    let file = temp_db("tide_e2e");
    let first = start(&file, "127.0.0.1:0".parse().unwrap()).await;
    let addr = first.addr;

    // A browser: the first visit sets a signed, HttpOnly session cookie.
    let mut alice = CookieJar::default();
    let response = http::get(addr, "/", &mut alice).await;
    assert_eq!(response.status, 200);
    assert_eq!(visits(&response.body), 1);
    let set_cookie = response.header_values("set-cookie");
    assert_eq!(set_cookie.len(), 1, "{set_cookie:?}");
    assert!(set_cookie[0].starts_with(&format!("{COOKIE}=")));
    assert!(set_cookie[0].contains("HttpOnly"));
    let cookie = alice.get(COOKIE).expect("session cookie").to_owned();

    for expected in 2..=3 {
        let response = http::get(addr, "/", &mut alice).await;
        assert_eq!((response.status, visits(&response.body)), (200, expected));
    }
    assert_eq!(
        alice.get(COOKIE),
        Some(cookie.as_str()),
        "same session throughout"
    );

    // Another browser has its own session.
    let mut bob = CookieJar::default();
    assert_eq!(visits(&http::get(addr, "/", &mut bob).await.body), 1);

    // Restart the app on the same file (and port).
    stop(first).await;
    let second = start(&file, addr).await;
    assert_eq!(second.addr, addr);
    let response = http::get(addr, "/", &mut alice).await;
    assert_eq!(
        (response.status, visits(&response.body)),
        (200, 4),
        "the session survived the restart"
    );
    assert_eq!(visits(&http::get(addr, "/", &mut bob).await.body), 2);

    // A tampered cookie (bad signature) or a forgotten one starts over.
    let mut mallory = CookieJar::default();
    // (Change the first character to one it is not, or 1 run in 64 tampers nothing.)
    let other = if cookie.starts_with('x') { 'y' } else { 'x' };
    mallory.insert(COOKIE, &format!("{other}{}", &cookie[1..]));
    assert_eq!(visits(&http::get(addr, "/", &mut mallory).await.body), 1);
    assert_ne!(mallory.get(COOKIE), Some(cookie.as_str()));
    stop(second).await;

    // What the table holds: the plain data maps; neither cookie value is stored.
    let (pool, store) = open_store(&file).await;
    let ids = store.ids().await.unwrap();
    assert_eq!(ids.len(), 3, "alice, bob and mallory");
    let mut counters = Vec::new();
    for id in &ids {
        assert!(!cookie.contains(id.as_str()));
        counters.push(store.get(id).await.unwrap().expect("live").data);
    }
    counters.sort_by_key(|d| d["counter"].as_u64());
    assert_eq!(
        counters,
        vec![
            json!({ "counter": 1 }),
            json!({ "counter": 2 }),
            json!({ "counter": 4 })
        ]
    );
    pool.close().await;
    remove_db(&file);
}

#[async_std::test]
async fn app_refuses_a_short_secret() {
    let file = temp_db("tide_secret");
    let (pool, store) = open_store(&file).await;
    assert!(app::app(store, b"too short").is_err());
    pool.close().await;
    remove_db(&file);
}
