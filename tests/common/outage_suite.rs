//! Bounded operations when the network to the database goes silent with a query in flight
//! (PostgreSQL and MySQL, through an in-test proxy): every operation, through both front
//! ends and the reaper, fails with a typed timeout instead of hanging; the connection it
//! ran on is closed, not pooled; the same store serves again once the network is back.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Pool;
use sqlx_session_store::{Error, SqlStore};

use super::backend::{Backend, Ctx};
use super::proxy::Proxy;

/// Generates the outage tests for a networked backend (its `ReaperBackend` gives the proxy).
#[macro_export]
macro_rules! outage_suite {
    ($backend:ty, $options:ty) => {
        mod outage {
            use super::common;

            /// A proxy in front of the backend's server, and connect options that go
            /// through it.
            async fn through_proxy() -> (common::proxy::Proxy, $options) {
                let options: $options = <$backend>::url().parse().expect("a database URL");
                let upstream =
                    common::outage_suite::resolve(options.get_host(), options.get_port()).await;
                let proxy = common::proxy::Proxy::start(upstream).await;
                let through = options.host("127.0.0.1").port(proxy.addr().port());
                (proxy, through)
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_silent_network_times_out_every_operation_and_the_store_recovers() {
                let ctx = common::backend::Ctx::new("silent_network");
                let Some(direct) = <$backend as common::backend::Backend>::pool_in_zone(
                    &ctx,
                    common::backend::DEFAULT_TEST_ZONE,
                )
                .await
                else {
                    return;
                };
                let (proxy, through) = through_proxy().await;
                // No ping before each acquire: the operation then times out in its
                // statement, on a connection the store holds (a ping on a silent idle
                // connection times out the same way, inside sqlx's acquire).
                let pool = sqlx::pool::PoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(std::time::Duration::from_secs(30))
                    .connect_with(through.clone())
                    .await
                    .expect("connect through the proxy");
                let raw = sqlx::pool::PoolOptions::new()
                    .max_connections(1)
                    .connect_with(through)
                    .await
                    .expect("connect through the proxy");
                common::outage_suite::a_silent_network_times_out_every_operation::<$backend>(
                    &ctx, &direct, pool, raw, &proxy,
                )
                .await;
                <$backend as common::backend::Backend>::cleanup(direct, &ctx).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_broken_connection_is_replaced_within_the_operation() {
                let ctx = common::backend::Ctx::new("failover");
                let Some(direct) = <$backend as common::backend::Backend>::pool_in_zone(
                    &ctx,
                    common::backend::DEFAULT_TEST_ZONE,
                )
                .await
                else {
                    return;
                };
                let (proxy, through) = through_proxy().await;
                // No ping before each acquire: the pooled connection is found broken by the
                // statement itself, as when a server leaves between a ping and a query.
                let pool = sqlx::pool::PoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .connect_with(through)
                    .await
                    .expect("connect through the proxy");
                common::outage_suite::a_broken_connection_is_replaced_within_the_operation::<
                    $backend,
                >(&ctx, pool, &proxy)
                .await;
                <$backend as common::backend::Backend>::cleanup(direct, &ctx).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_deadlocked_statement_is_retried() {
                let ctx = common::backend::Ctx::new("deadlock_retry");
                let Some(pool) = <$backend as common::backend::Backend>::pool_in_zone(
                    &ctx,
                    common::backend::DEFAULT_TEST_ZONE,
                )
                .await
                else {
                    return;
                };
                common::outage_suite::a_deadlocked_statement_is_retried::<$backend>(&ctx, &pool)
                    .await;
                <$backend as common::backend::Backend>::cleanup(pool, &ctx).await;
            }
        }
    };
}

pub async fn resolve(host: &str, port: u16) -> std::net::SocketAddr {
    tokio::net::lookup_host((host, port))
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address for the database host")
}

const BOUND: Duration = Duration::from_millis(600);

/// Runs `op` until it finishes in time (bounded: 20 s), failing on any other error.
async fn until_in_time<T, F, Fut>(mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match op().await {
            Ok(done) => return done,
            Err(e) if e.is_timeout() && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
}

/// How long `f` took, and what it gave.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (Duration, T) {
    let started = Instant::now();
    let out = f.await;
    (started.elapsed(), out)
}

fn assert_bounded(what: &str, took: Duration) {
    assert!(
        took >= BOUND,
        "{what}: returned before the bound ({took:?})"
    );
    // Generous for a loaded 2-core CI machine: the point is "seconds, not minutes".
    assert!(
        took < BOUND + Duration::from_secs(5),
        "{what}: took {took:?}, bound {BOUND:?}"
    );
}

fn assert_timeout<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) {
    match result {
        Err(e @ Error::Timeout { .. }) => {
            assert!(e.is_timeout());
            assert!(e.to_string().contains("did not finish within 0.6s"), "{e}");
        }
        other => panic!("{what}: expected Error::Timeout, got {other:?}"),
    }
}

pub async fn a_silent_network_times_out_every_operation<B: Backend>(
    ctx: &Ctx,
    direct: &Pool<B::DB>,
    pool: Pool<B::DB>,
    raw: Pool<B::DB>,
    proxy: &Proxy,
) {
    let table = ctx.table("dark");
    let store = SqlStore::builder(pool.clone())
        .table_name(&table)
        .operation_timeout(BOUND)
        .check_expiration_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    // Set-up on a healthy network, but on a loaded machine through a one-connection pool
    // a 0.6 s bound can pass while a connection is opened or handed back: retried.
    until_in_time(|| store.migrate()).await;
    let first = json!({ "user": 7 });
    until_in_time(|| store.set("dark-session", &first, None)).await;
    let count = format!("SELECT COUNT(*) FROM {}", B::quote(&table));
    assert_eq!(B::scalar(&raw, &count).await, 1);
    assert_eq!(pool.size(), 1, "one pooled connection before the outage");
    // sqlx hands a released connection back from a task of its own, after a ping: wait
    // (bounded) until it is idle, or a busy runtime pings it on the silent network and
    // the `get` below times out waiting for the pool instead of in its statement.
    super::wait_until(
        Duration::from_secs(10),
        "the connection is back in the pool",
        || async { pool.num_idle() == 1 },
    )
    .await;

    proxy.go_dark();

    // Without a bound, a query on a silent connection waits for TCP to give up (minutes):
    // the raw pool's query is still pending after 2 s.
    let unbounded = tokio::time::timeout(Duration::from_secs(2), B::scalar(&raw, &count)).await;
    assert!(unbounded.is_err(), "the proxy really is silent");
    drop(raw);

    let (took, got) = timed(store.get("dark-session")).await;
    eprintln!(
        "{}: a get on a silent network returned after {took:?}",
        B::NAME
    );
    assert_timeout("get", got);
    assert_bounded("get", took);
    assert_eq!(
        pool.size(),
        0,
        "the connection whose statement timed out was closed, not returned to the pool"
    );

    let (took, set) = timed(store.set("dark-session", &json!({ "user": 8 }), None)).await;
    assert_timeout("set", set);
    assert_bounded("set", took);
    let (took, cleared) = timed(store.clear_expired_sessions()).await;
    assert_timeout("clear_expired_sessions", cleared);
    assert_bounded("clear_expired_sessions", took);

    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session::Id;
        use tower_sessions::session_store::SessionStore;
        let (took, loaded) = timed(SessionStore::load(&store, &Id::default())).await;
        let message = loaded.expect_err("a tower-sessions load fails").to_string();
        assert!(message.contains("did not finish"), "{message}");
        assert_bounded("tower-sessions load", took);
    }
    #[cfg(feature = "async-session")]
    {
        use async_session::{Session, SessionStore};
        let cookie = Session::new()
            .into_cookie_value()
            .expect("a fresh session's cookie");
        let (took, loaded) = timed(store.load_session(cookie)).await;
        assert!(loaded.is_err(), "an async-session load fails");
        assert_bounded("async-session load", took);
    }

    // The reaper's runs fail (counted), none hangs.
    let reaper = store.start_expiring_sessions().unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while reaper.failures() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        reaper.failures() >= 2,
        "reaper runs fail and the next ones run"
    );
    let runs_before = reaper.runs();

    proxy.restore();
    // Served again with no restart, the data intact.
    let deadline = Instant::now() + Duration::from_secs(20);
    let record = loop {
        match store.get("dark-session").await {
            Ok(found) => break found,
            Err(e) if Instant::now() < deadline => {
                assert!(e.is_timeout() || e.is_database(), "{e:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the store did not recover: {e:?}"),
        }
    };
    assert_eq!(record.expect("still there").data, json!({ "user": 7 }));
    // The reaper shares the one connection.
    let last = json!({ "user": 9 });
    until_in_time(|| store.set("dark-session", &last, None)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while reaper.runs() == runs_before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reaper.runs() > runs_before, "the reaper runs again");
    reaper.shutdown().await;
    assert_eq!(B::scalar(direct, &count).await, 1);
}

/// A deadlock between one of the store's statements and another transaction: the
/// database rolls the store's statement back (it is the younger, lighter one), and the
/// store runs it again, so the operation succeeds; the retry is counted in its log.
pub async fn a_deadlocked_statement_is_retried<B: Backend>(ctx: &Ctx, pool: &Pool<B::DB>) {
    super::capture::install();
    let table = ctx.table("deadlock");
    // This test is about retries: a generous bound, for a server busy with other tests.
    let store = SqlStore::builder(pool.clone())
        .table_name(&table)
        .operation_timeout(Duration::from_secs(60))
        .column(sqlx_session_store::Column::integer("uid").indexed(true))
        .extend_default_fields(|d: &sqlx_session_store::DefaultFields<'_>| {
            sqlx_session_store::Fields::new().with("uid", d.data["u"].as_i64())
        })
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    for sid in ["lock-a", "lock-b"] {
        store.set(sid, &json!({ "u": 1 }), None).await.unwrap();
    }
    let quoted = B::quote(&table);
    let sid = B::quote("sid");
    // A heavier transaction (more rows changed), so that InnoDB picks the store's
    // statement as the victim; PostgreSQL picks the first waiter, the store's, too.
    let padding = ctx.table("deadlock_pad");
    B::exec(
        pool,
        &format!("CREATE TABLE {} (n INT)", B::quote(&padding)),
    )
    .await;
    let mut other = pool.acquire().await.expect("a connection");
    if B::NAME == "postgres" {
        // PostgreSQL checks for a deadlock `deadlock_timeout` after a session starts to
        // wait, and the checking session is the victim: the store's (1 s) checks first.
        B::conn_exec(&mut other, "SET deadlock_timeout = '20s'")
            .await
            .unwrap();
    }
    let begin = if B::NAME == "mysql" {
        "START TRANSACTION"
    } else {
        "BEGIN"
    };
    B::conn_exec(&mut other, begin).await.unwrap();
    let values: Vec<String> = (0..200).map(|n| format!("({n})")).collect();
    B::conn_exec(
        &mut other,
        &format!(
            "INSERT INTO {} (n) VALUES {}",
            B::quote(&padding),
            values.join(", ")
        ),
    )
    .await
    .unwrap();
    // The other transaction holds lock-b ...
    let touch_b = format!("UPDATE {quoted} SET data = data WHERE {sid} = 'lock-b'");
    B::conn_exec(&mut other, &touch_b).await.unwrap();
    let before = retries_logged(&table);
    // Watched from a pool of its own, so that polling never takes the store's connection.
    let watcher = B::pool_in_zone(ctx, super::backend::DEFAULT_TEST_ZONE)
        .await
        .expect("a second pool");
    B::scalar(&watcher, "SELECT COUNT(*) FROM information_schema.tables").await;
    // ... the store's one statement locks lock-a, then waits for lock-b ...
    let deleting = tokio::spawn({
        let store = store.clone();
        async move { store.destroy_where("uid", 1).await }
    });
    let waiting = wait_for_a_lock_wait::<B>(&watcher, || deleting.is_finished()).await;
    if !waiting {
        panic!(
            "the store's statement finished without waiting for the lock: {:?}",
            deleting.await
        );
    }
    // ... and the other transaction now waits for lock-a: a cycle.
    let touch_a = format!("UPDATE {quoted} SET data = data WHERE {sid} = 'lock-a'");
    let other_done = B::conn_exec(&mut other, &touch_a).await;
    B::conn_exec(&mut other, "COMMIT").await.unwrap();
    assert!(
        other_done.is_ok(),
        "the other transaction survived: {other_done:?}"
    );
    let deleted = deleting.await.expect("the task ran");
    assert_eq!(deleted.expect("retried, not returned as an error"), 2);
    let retries = retries_logged(&table) - before;
    eprintln!("{}: deadlock victim retried {retries} time(s)", B::NAME);
    assert!(
        retries >= 1,
        "the store's statement was the victim and was run again"
    );
    assert_eq!(store.length().await.unwrap(), 0);
}

fn retries_logged(table: &str) -> usize {
    super::capture::all_events()
        .iter()
        .filter(|e| {
            e.message.contains("lost a race") && e.field("table").is_some_and(|t| t == table)
        })
        .count()
}

/// Waits (bounded) until some statement on the server is waiting for a row lock (`true`),
/// or until `gave_up()` says the statement is no longer running (`false`).
async fn wait_for_a_lock_wait<B: Backend>(pool: &Pool<B::DB>, gave_up: impl Fn() -> bool) -> bool {
    let query = if B::NAME == "mysql" {
        "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'"
    } else {
        "SELECT COUNT(*) FROM pg_locks WHERE NOT granted"
    };
    // MariaDB refills `innodb_trx` only when it was last read more than 100 ms ago
    // (InnoDB's `CACHE_MIN_IDLE_TIME_US`): a faster poll reads one stale snapshot forever.
    let every = if B::NAME == "mysql" {
        Duration::from_millis(150)
    } else {
        Duration::from_millis(10)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while B::scalar(pool, query).await == 0 {
        if gave_up() {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "the store's statement never waited for a lock"
        );
        tokio::time::sleep(every).await;
    }
    true
}

/// A session id the proxy can spot in a statement's bytes.
const SID: &str = "failover-marker-3f9c1d";

/// The server connection under a pooled connection goes away with a statement in flight
/// (the proxy closes it instead of forwarding the statement, as a Galera node leaving or a
/// restarted server does; an idle broken connection sqlx itself replaces at acquire): a
/// read, and `set`, runs its statement again on a fresh connection and succeeds, through
/// the store's own API and through tower-sessions' `SessionStore` as the layer calls it,
/// each counted once in `stats().failovers`; a write whose answer would differ if it ran
/// twice (`touch`, `destroy`) returns its error instead, and the next call serves.
pub async fn a_broken_connection_is_replaced_within_the_operation<B: Backend>(
    ctx: &Ctx,
    pool: Pool<B::DB>,
    proxy: &Proxy,
) {
    let store = SqlStore::builder(pool)
        .table_name(ctx.table("failover"))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    store.set(SID, &json!({ "n": 1 }), None).await.unwrap();
    #[cfg(feature = "tower-sessions")]
    let id = tower_sessions::session::Id::default();
    #[cfg(feature = "tower-sessions")]
    store
        .set(&id.to_string(), &json!({ "k": "v" }), None)
        .await
        .unwrap();

    // (what, the operation) each run once right after the live connection was dropped.
    let mut failovers = 0;
    let mut accepted = proxy.accepted();
    let mut steps = vec!["get", "set", "touch"];
    if cfg!(feature = "tower-sessions") {
        steps.push("load");
    }
    steps.push("destroy");
    for what in steps {
        #[cfg(feature = "tower-sessions")]
        let marker = if what == "load" {
            id.to_string()
        } else {
            SID.to_owned()
        };
        #[cfg(not(feature = "tower-sessions"))]
        let marker = SID.to_owned();
        proxy.break_request_with(marker.as_bytes());
        // Reads and `set`'s upsert give the same answer however often they run: run again
        // on a fresh connection. `touch` and `destroy` report what they changed, and their
        // statement may have been applied before the connection broke: their error is
        // returned (a database error of kind Io), and the next call serves.
        let repeated = match what {
            "get" => {
                let got = store.get(SID).await.unwrap().unwrap();
                assert_eq!(got.data, json!({ "n": 1 }));
                true
            }
            "set" => {
                store.set(SID, &json!({ "n": 2 }), None).await.unwrap();
                true
            }
            #[cfg(feature = "tower-sessions")]
            "load" => {
                use tower_sessions::session_store::SessionStore;
                let record = SessionStore::load(&store, &id).await.unwrap().unwrap();
                assert_eq!(record.data["k"], json!("v"));
                true
            }
            _ => {
                let later = chrono::Utc::now() + chrono::TimeDelta::days(3);
                let in_doubt = if what == "touch" {
                    store.touch(SID, Some(later)).await.map(drop)
                } else {
                    store.destroy(SID).await
                };
                match in_doubt {
                    Err(Error::Database { source, .. }) => {
                        assert_eq!(source.kind().as_str(), "io", "{what}");
                    }
                    other => panic!("{what}: expected an io error, got {other:?}"),
                }
                if what == "touch" {
                    assert!(store.touch(SID, Some(later)).await.unwrap());
                } else {
                    store.destroy(SID).await.unwrap();
                }
                false
            }
        };
        if repeated {
            failovers += 1;
        }
        assert_eq!(store.stats().failovers, failovers, "{what}");
        assert_eq!(proxy.accepted(), accepted + 1, "{what}: one new connection");
        accepted = proxy.accepted();
    }
    assert!(store.get(SID).await.unwrap().is_none(), "destroyed");
    assert_eq!(
        store.stats().failovers,
        failovers,
        "nothing more once it serves"
    );
}
