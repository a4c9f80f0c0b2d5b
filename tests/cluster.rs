//! The store on clusters, unchanged: a 3-node MariaDB Galera cluster (with HAProxy in front),
//! a PostgreSQL primary with a hot standby, and PgBouncer in transaction mode, all started
//! by `scripts/cluster.sh start` (see its `env` command for the URLs read here).
//!
//! Without the cluster's URLs each test prints a notice past libtest's capture and returns;
//! with `SESSION_STORE_REQUIRE_CLUSTER=1` (set by `.ci/run`) a missing cluster is a failure.
//! The tests of this binary run one at a time: the failover test stops a node.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Executor, Pool};
use sqlx_session_store::{Error, MySqlStore, PgStore, SqlStore};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};

/// One test at a time (the failover test takes a node away from the others).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env(name: &str, test: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("SESSION_STORE_REQUIRE_CLUSTER").as_deref() == Ok("1") {
                panic!("{name} is not set (SESSION_STORE_REQUIRE_CLUSTER=1): run `scripts/cluster.sh start` and `eval \"$(scripts/cluster.sh env)\"`");
            }
            let _ = writeln!(
                std::io::stderr().lock(),
                "NOTICE: SKIPPED cluster test {test}: {name} is not set (run scripts/cluster.sh start, \
                 then eval \"$(scripts/cluster.sh env)\")"
            );
            None
        }
    }
}

fn table(tag: &str) -> String {
    format!("c_{}_{tag}", std::process::id())
}

async fn galera_pools(test: &str, sync_wait: bool) -> Option<Vec<MySqlPool>> {
    let urls = env("GALERA_URLS", test)?;
    let mut pools = Vec::new();
    for url in urls.split(',') {
        let options: MySqlConnectOptions = url.parse().expect("a Galera node URL");
        let mut pool = MySqlPoolOptions::new().max_connections(4);
        if sync_wait {
            // wsrep_sync_wait = 1: a read first waits until this node has applied every
            // write the cluster had committed when the read began (causal reads).
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET SESSION wsrep_sync_wait = 1").await?;
                    Ok(())
                })
            });
        }
        pools.push(
            pool.connect_with(options)
                .await
                .expect("connect to a Galera node"),
        );
    }
    Some(pools)
}

/// Waits (bounded) until `store`'s table has reached its node: a schema change returns on
/// the node that ran it before a replica (a Galera node, a standby) has applied it.
async fn until_schema_visible<DB: sqlx_session_store::Dialect>(store: &SqlStore<DB>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = store.verify_schema().await {
        assert!(
            Instant::now() < deadline,
            "the table never reached the replica: {e}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn store_on(pool: &MySqlPool, table: &str) -> MySqlStore {
    SqlStore::builder(pool.clone())
        .table_name(table)
        .build()
        .unwrap()
}

async fn drop_table(pool: &MySqlPool, table: &str) {
    pool.execute(sqlx::AssertSqlSafe(format!(
        "DROP TABLE IF EXISTS `{table}`"
    )))
    .await
    .unwrap();
}

/// Reads right after a write through another node: counted misses without and with
/// `wsrep_sync_wait`, and what the setting costs per read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_read_after_write_across_nodes() {
    let _serial = SERIAL.lock().await;
    let Some(plain) = galera_pools("galera_read_after_write_across_nodes", false).await else {
        return;
    };
    let causal = galera_pools("galera_read_after_write_across_nodes", true)
        .await
        .unwrap();
    let t = table("raw");
    let writer = store_on(&plain[0], &t);
    writer.migrate().await.unwrap();
    const N: usize = 300;
    let mut report = Vec::new();
    for (label, pools) in [("without", &plain), ("with wsrep_sync_wait=1", &causal)] {
        let readers = [store_on(&pools[1], &t), store_on(&pools[2], &t)];
        for r in &readers {
            until_schema_visible(r).await;
        }
        let (mut misses, mut read_time) = (0, Duration::ZERO);
        for i in 0..N {
            let sid = format!("{label}-{i}");
            writer.set(&sid, &json!({ "i": i }), None).await.unwrap();
            let reader = &readers[i % 2];
            let started = Instant::now();
            let got = reader.get(&sid).await.unwrap();
            read_time += started.elapsed();
            if got.is_none() {
                misses += 1;
            }
        }
        report.push((label, misses, read_time / N as u32));
    }
    for (label, misses, per_read) in &report {
        eprintln!("galera read-after-write {label}: {misses} misses in {N}, {per_read:?} per read");
    }
    assert_eq!(report[1].1, 0, "causal reads never miss a committed write");
    drop_table(&plain[0], &t).await;
}

/// Counts the store's debug events "statement lost a race" and batch deletes per table.
struct Counter;
static RETRIES: AtomicU64 = AtomicU64::new(0);
static BATCHES: AtomicU64 = AtomicU64::new(0);

struct Message(String);
impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Counter {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target().starts_with("sqlx_session_store")
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &Event<'_>) {
        let mut m = Message(String::new());
        e.record(&mut m);
        if m.0.contains("lost a race") {
            RETRIES.fetch_add(1, Ordering::Relaxed);
        }
        if m.0.contains("expired sessions batch deleted") {
            BATCHES.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn count_events() {
    let _ = tracing::subscriber::set_global_default(Counter);
}

/// Three reapers, one per node, at once on one backlog: `GET_LOCK` is node-local under
/// Galera, so `single_reaper` cannot exclude them; concurrent batches are safe (a row is
/// deleted once, the others' conflicts are retried). Measured: statements and retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_reapers_on_three_nodes() {
    let _serial = SERIAL.lock().await;
    let Some(pools) = galera_pools("galera_reapers_on_three_nodes", false).await else {
        return;
    };
    count_events();
    let t = table("reap");
    let stores: Vec<MySqlStore> = pools
        .iter()
        .map(|p| {
            SqlStore::builder(p.clone())
                .table_name(&t)
                .delete_batch_size(100)
                .build()
                .unwrap()
        })
        .collect();
    stores[0].migrate().await.unwrap();
    const ROWS: usize = 3_000;
    for chunk in 0..ROWS / 500 {
        let values: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    "('r{}', '{{}}', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                    chunk * 500 + i
                )
            })
            .collect();
        pools[0]
            .execute(sqlx::AssertSqlSafe(format!(
                "INSERT INTO `{t}` (sid, data, expires, created_at, updated_at) VALUES {}",
                values.join(", ")
            )))
            .await
            .unwrap();
    }
    stores[0].set("live", &json!({}), None).await.unwrap();
    for s in &stores[1..] {
        until_schema_visible(s).await;
    }
    let (retries, batches) = (
        RETRIES.load(Ordering::Relaxed),
        BATCHES.load(Ordering::Relaxed),
    );
    let started = Instant::now();
    let runs = stores.iter().map(|s| {
        let s = s.clone();
        tokio::spawn(async move { s.clear_expired_sessions().await })
    });
    let (mut removed, mut failed_runs) = (0, 0);
    for run in runs {
        match run.await.unwrap() {
            Ok(n) => removed += n,
            // A run that ran out of retries fails like any reaper run (logged, next tick).
            Err(Error::Database { source, .. }) if source.code() == Some("40001") => {
                failed_runs += 1;
            }
            Err(e) => panic!("a reaper run failed for another reason: {e:?}"),
        }
    }
    let elapsed = started.elapsed();
    let batches = BATCHES.load(Ordering::Relaxed) - batches;
    let retries = RETRIES.load(Ordering::Relaxed) - retries;
    // The next tick: whatever a failed run left.
    let rest = stores[0].clear_expired_sessions().await.unwrap();
    eprintln!(
        "galera: 3 reapers removed {removed} rows in {batches} statements \
         ({} is the minimum for one reaper), {retries} retried conflicts, {failed_runs} runs \
         out of retries, {rest} rows left for the next run, {elapsed:?}",
        ROWS / 100 + 1
    );
    assert_eq!(removed + rest, ROWS as u64, "each expired row counted once");
    assert_eq!(
        stores[0].length().await.unwrap(),
        1,
        "the live session stays"
    );
    drop_table(&pools[0], &t).await;
}

/// Writes to one session through two nodes at once: Galera's certification conflicts
/// reach the store as deadlocks, which it retries; every save succeeds and the final
/// state is one of the writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_concurrent_writes_through_two_nodes() {
    let _serial = SERIAL.lock().await;
    let Some(pools) = galera_pools("galera_concurrent_writes_through_two_nodes", true).await else {
        return;
    };
    count_events();
    let t = table("conflict");
    let a = store_on(&pools[0], &t);
    let b = store_on(&pools[1], &t);
    a.migrate().await.unwrap();
    a.set("shared", &json!({ "start": true }), None)
        .await
        .unwrap();
    until_schema_visible(&b).await;
    let retries = RETRIES.load(Ordering::Relaxed);
    const WRITES: usize = 100;
    // Each writer's saves, in order, and the last one that was committed.
    let writer = |store: MySqlStore, name: &'static str| {
        tokio::spawn(async move {
            let (mut last_ok, mut out_of_retries) = (None, 0);
            for i in 0..WRITES {
                let data = json!({ "writer": name, "n": i });
                match store.update("shared", &data, None).await {
                    Ok(written) => {
                        assert!(written, "the session is live");
                        last_ok = Some(data);
                    }
                    // Still conflicting after every retry: returned as it is, typed.
                    Err(Error::Database { source, .. }) if source.code() == Some("40001") => {
                        out_of_retries += 1;
                    }
                    Err(e) => panic!("a save failed for another reason: {e:?}"),
                }
            }
            (last_ok, out_of_retries)
        })
    };
    let (wa, wb) = (writer(a.clone(), "a"), writer(b.clone(), "b"));
    let (a_last, a_failed) = wa.await.unwrap();
    let (b_last, b_failed) = wb.await.unwrap();
    let retries = RETRIES.load(Ordering::Relaxed) - retries;
    let last = a.get("shared").await.unwrap().unwrap().data;
    eprintln!(
        "galera: {} writes through two nodes, {retries} retried conflicts, {} out of retries, final {last}",
        2 * WRITES,
        a_failed + b_failed
    );
    let finals: Vec<serde_json::Value> = [a_last, b_last].into_iter().flatten().collect();
    assert!(
        finals.contains(&last),
        "the final state is a last committed write: {last}"
    );
    assert!(
        a_failed + b_failed < WRITES / 10,
        "retries absorb almost every conflict ({a_failed} + {b_failed} failed)"
    );
    assert_eq!(
        b.get("shared").await.unwrap().unwrap().data,
        last,
        "both nodes agree"
    );
    drop_table(&pools[0], &t).await;
}

fn cluster_script(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/cluster.sh");
    let status = std::process::Command::new("bash")
        .arg(script)
        .args(args)
        .status()
        .expect("run scripts/cluster.sh");
    assert!(status.success(), "scripts/cluster.sh {args:?}");
}

/// The node HAProxy routes to stops while four tasks write sessions through the store (its
/// connections die, it answers 1047 while it leaves the cluster, its port closes), ten
/// times in a row: through HAProxy's Synced check and the store's failover retry, each
/// stop costs at most one failed write, and no committed session is lost. The node
/// rejoins before the next stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_node_failure_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(url) = env("GALERA_HAPROXY_URL", "galera_node_failure_loses_nothing") else {
        return;
    };
    let options: MySqlConnectOptions = url.parse().unwrap();
    let pool = MySqlPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await
        .unwrap();
    let t = table("failover");
    let store = SqlStore::builder(pool.clone())
        .table_name(&t)
        .operation_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    const SESSIONS: usize = 200;
    const STOPS: usize = 10;
    for i in 0..SESSIONS {
        store
            .set(&format!("s{i}"), &json!({ "i": i }), None)
            .await
            .unwrap();
    }
    // Node 1 comes back however this test ends, for the tests after it.
    struct Restart;
    impl Drop for Restart {
        fn drop(&mut self) {
            cluster_script(&["start-node", "1"]);
        }
    }
    let (mut per_stop, mut failovers) = (Vec::new(), 0);
    for stop in 0..STOPS {
        // A pool of its own for each stop, so that its connections are on node 1 (the
        // first node, where HAProxy sends new connections once it is back); connected by
        // the store's first statements, under its failover retry (a node that just
        // rejoined can still drop a new connection in its handshake).
        let pool = MySqlPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options.clone());
        let store = SqlStore::builder(pool.clone())
            .table_name(&t)
            .operation_timeout(Duration::from_secs(3))
            .build()
            .unwrap();
        // Four tasks write sessions of their own, as requests do, while the node goes away.
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let errors = std::sync::Arc::new(AtomicU64::new(0));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (store, running, errors) = (store.clone(), running.clone(), errors.clone());
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while running.load(Ordering::Relaxed) {
                        let sid = format!("w{w}-{}", n % 50);
                        n += 1;
                        if let Err(e) = store.set(&sid, &json!({ "n": n }), None).await {
                            eprintln!("galera failover, stop {stop}: {e:?}");
                            errors.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
        tokio::task::spawn_blocking(|| cluster_script(&["stop-node", "1"]))
            .await
            .unwrap();
        let restart = Restart;
        tokio::time::sleep(Duration::from_secs(2)).await;
        running.store(false, Ordering::Relaxed);
        for writer in writers {
            writer.await.unwrap();
        }
        per_stop.push(errors.load(Ordering::Relaxed));
        failovers += store.stats().failovers;
        // Node 1 rejoins (synced) before the next stop.
        tokio::task::spawn_blocking(move || drop(restart))
            .await
            .unwrap();
        // The sessions written before are all there, through whichever node serves.
        for i in (0..SESSIONS).step_by(37) {
            assert!(store.get(&format!("s{i}")).await.unwrap().is_some(), "s{i}");
        }
        pool.close().await;
    }
    let mut lost = 0;
    for i in 0..SESSIONS {
        if store.get(&format!("s{i}")).await.unwrap().is_none() {
            lost += 1;
        }
    }
    eprintln!(
        "galera failover over {STOPS} stops: failed writes per stop {per_stop:?}; {} \
         statements failed over; {lost} of {SESSIONS} sessions lost",
        failovers
    );
    assert_eq!(lost, 0, "no committed session lost");
    assert!(
        per_stop.iter().all(|&errors| errors <= 1),
        "at most one failed operation per stop: {per_stop:?}"
    );
    drop_table(&pool, &t).await;
}

async fn pg_pool(url: &str, cache: bool) -> PgPool {
    let mut options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    if !cache {
        options = options.statement_cache_capacity(0);
    }
    PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .expect("connect")
}

/// Through PgBouncer in transaction mode, with sqlx's statement cache off, every
/// operation works under contention (8 clients on 4 server connections), both front ends'
/// paths included; `single_reaper` cannot work there and is refused at build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbouncer_transaction_mode() {
    let _serial = SERIAL.lock().await;
    let Some(url) = env("PGBOUNCER_URL", "pgbouncer_transaction_mode") else {
        return;
    };
    let pool = pg_pool(&url, false).await;
    let t = table("bouncer");
    let store: PgStore = SqlStore::builder(pool.clone())
        .table_name(&t)
        .transaction_pooling(true)
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    let tasks = (0..8).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..50 {
                let sid = format!("w{w}-{i}");
                store.set(&sid, &json!({ "w": w, "i": i }), None).await?;
                assert_eq!(store.get(&sid).await?.unwrap().data["i"], i);
                // Past the default touch window (a day past the default expiry): written.
                let later = chrono::Utc::now() + chrono::TimeDelta::days(2);
                assert!(store.touch(&sid, Some(later)).await?);
                assert!(store.update(&sid, &json!({ "again": i }), None).await?);
                if i % 2 == 0 {
                    store.destroy(&sid).await?;
                }
            }
            Ok::<_, Error>(())
        })
    });
    for task in tasks {
        task.await
            .unwrap()
            .expect("every operation through PgBouncer succeeds");
    }
    assert_eq!(store.length().await.unwrap(), 8 * 25);
    assert_eq!(store.clear_expired_sessions().await.unwrap(), 0);
    #[cfg(feature = "tower-sessions")]
    {
        use std::collections::HashMap;
        use tower_sessions::session::{Id, Record};
        use tower_sessions::session_store::SessionStore;
        let mut record = Record {
            id: Id::default(),
            data: HashMap::from([("k".to_owned(), json!("v"))]),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        SessionStore::create(&store, &mut record).await.unwrap();
        let loaded = SessionStore::load(&store, &record.id)
            .await
            .unwrap()
            .unwrap();
        SessionStore::save(&store, &loaded).await.unwrap();
        SessionStore::delete(&store, &record.id).await.unwrap();
    }
    let refused = SqlStore::builder(pool.clone())
        .transaction_pooling(true)
        .single_reaper(true)
        .build();
    assert!(
        matches!(
            refused,
            Err(Error::InvalidConfig {
                option: "single_reaper",
                ..
            })
        ),
        "{refused:?}"
    );
    store.clear().await.unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS \"{t}\"")))
        .await
        .unwrap();
}

/// The store never reads from a standby (see the README: a logout done on the primary
/// must not be served by a lagging replica). Pointed at one by mistake, it fails loudly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_is_refused_loudly() {
    let _serial = SERIAL.lock().await;
    let Some(url) = env("PG_STANDBY_URL", "a_standby_is_refused_loudly") else {
        return;
    };
    let primary_url = env("PG_PRIMARY_URL", "a_standby_is_refused_loudly").unwrap();
    let primary = pg_pool(&primary_url, true).await;
    let standby: Pool<sqlx::Postgres> = pg_pool(&url, true).await;
    let t = table("standby");
    let on_primary: PgStore = SqlStore::builder(primary.clone())
        .table_name(&t)
        .build()
        .unwrap();
    on_primary.migrate().await.unwrap();
    let on_standby: PgStore = SqlStore::builder(standby).table_name(&t).build().unwrap();
    until_schema_visible(&on_standby).await;
    let err = on_standby.set("x", &json!({}), None).await.unwrap_err();
    match &err {
        Error::Database { source, .. } => assert_eq!(source.code(), Some("25006"), "{err}"),
        other => panic!("a read-only standby gives a database error, got {other:?}"),
    }
    primary
        .execute(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS \"{t}\"")))
        .await
        .unwrap();
}
