//! What the benches share: reaching each backend, and measuring the store and its raw-sqlx
//! equivalent call by call, alternately, so that both see the same machine, server and
//! caches at the same moment.
//!
//! Each comparison is one criterion benchmark whose `iter_custom` runs a pair of calls per
//! iteration, `ours` and `raw`, in alternating order (ours first on even iterations, raw
//! first on odd ones), timing each call on its own. Criterion is given ours' time (its
//! report is the store's absolute time); every call's time of both sides is also kept, and
//! the ratio reported is `median(ours) / median(raw)` over every pair criterion ran
//! (warm-up included). A ratio below 1 means the store is faster.
//!
//! Server URLs come from `DATABASE_URL_POSTGRES` and `DATABASE_URL_MYSQL` (defaults
//! `postgres://postgres@127.0.0.1:5432/test`, `mysql://root@127.0.0.1:3306/test`); an
//! unreachable server is skipped with a notice. `BENCH_BACKENDS` (comma-separated among
//! `sqlite-mem,sqlite-wal,postgres,mysql`) limits the backends run.

#![allow(dead_code)]

pub mod raw;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use sqlx::{MySqlPool, PgPool, SqlitePool};
use tokio::runtime::Runtime;

/// A current-thread tokio runtime, as one request's task sees it.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Criterion as configured on the command line, without plots (they cost seconds per
/// benchmark on a 2-core machine and are not what the ratio tables need).
pub fn criterion() -> Criterion {
    Criterion::default().without_plots().configure_from_args()
}

/// Whether `name` is among the backends to run (`BENCH_BACKENDS`, default all).
pub fn wanted(name: &str) -> bool {
    match std::env::var("BENCH_BACKENDS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|b| b.trim() == name),
        _ => true,
    }
}

/// A table name of this process: `bench_<what>_<pid>`.
pub fn table(what: &str) -> String {
    format!("bench_{what}_{}", std::process::id())
}

/// SQLite in memory: a named shared-cache memory database, so that the pool's two
/// connections see one database. One connection is kept open for the pool's life (the
/// database lives as long as a connection to it). A one-connection pool would measure
/// sqlx's hand-back of the connection instead (each call waits for it: ~170 µs here).
pub async fn sqlite_memory(what: &str) -> SqlitePool {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let url = format!(
        "sqlite:file:bench_{what}_{}?mode=memory&cache=shared",
        std::process::id()
    );
    let options: SqliteConnectOptions = url.parse().expect("sqlite url");
    SqlitePoolOptions::new()
        .max_connections(2)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .expect("sqlite in memory")
}

/// The SQLite file of this process for `what` (removed by [`remove_sqlite`]).
pub fn sqlite_path(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("bench_{what}_{}.db", std::process::id()))
}

/// SQLite as a file in WAL mode with `synchronous = NORMAL` (the usual production setting).
pub async fn sqlite_wal(what: &str) -> SqlitePool {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    remove_sqlite(what);
    let options = SqliteConnectOptions::new()
        .filename(sqlite_path(what))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .expect("sqlite file")
}

/// Another pool of `max` connections on a SQLite file that [`sqlite_wal`] made, in the same
/// modes (a bench's child process opens its parent's file).
pub async fn sqlite_wal_file(path: &std::path::Path, max: u32) -> SqlitePool {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    SqlitePoolOptions::new()
        .max_connections(max)
        .connect_with(options)
        .await
        .expect("sqlite file")
}

pub fn remove_sqlite(what: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = sqlite_path(what).into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}

pub fn postgres_url() -> String {
    std::env::var("DATABASE_URL_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

pub fn mysql_url() -> String {
    std::env::var("DATABASE_URL_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

pub async fn postgres(max: u32) -> Option<PgPool> {
    let url = postgres_url();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await;
    pool.map_err(|e| eprintln!("NOTICE: skipping PostgreSQL ({url}): {e}"))
        .ok()
}

pub async fn mysql(max: u32) -> Option<MySqlPool> {
    let url = mysql_url();
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await;
    pool.map_err(|e| eprintln!("NOTICE: skipping MySQL/MariaDB ({url}): {e}"))
        .ok()
}

/// Times one call.
pub async fn timed<F: Future>(f: F) -> Duration {
    let started = Instant::now();
    black_box(f.await);
    started.elapsed()
}

/// One line of a ratio table.
pub struct Row {
    pub group: String,
    pub case: String,
    pub pairs: usize,
    pub ours: Duration,
    pub raw: Duration,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        self.ours.as_secs_f64() / self.raw.as_secs_f64()
    }
}

/// The rows measured by one bench, printed as a markdown table at the end.
#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

pub fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[v.len() / 2]
}

pub fn micros(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.0}", us)
    } else if us >= 100.0 {
        format!("{:.1}", us)
    } else {
        format!("{:.2}", us)
    }
}

impl Report {
    /// Measures `ours` against `raw` as the criterion benchmark `<group>/<case>`.
    ///
    /// Each side is called with the pair's index (for fresh ids) and returns the time of
    /// its own call, so that a side can prepare its call untimed (see [`timed`]).
    #[allow(clippy::too_many_arguments)]
    pub fn compare<O, FO, R, FR>(
        &mut self,
        c: &mut Criterion,
        rt: &Runtime,
        group: &str,
        case: &str,
        sample_size: usize,
        ours: O,
        raw: R,
    ) where
        O: Fn(u64) -> FO,
        FO: Future<Output = Duration>,
        R: Fn(u64) -> FR,
        FR: Future<Output = Duration>,
    {
        let times = RefCell::new((Vec::new(), Vec::new()));
        let next = Cell::new(0u64);
        let mut g = c.benchmark_group(group);
        g.sample_size(sample_size);
        g.bench_function(case, |b| {
            b.to_async(rt).iter_custom(|iters| {
                let (times, next, ours, raw) = (&times, &next, &ours, &raw);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let i = next.get();
                        next.set(i + 1);
                        let (o, r) = if i % 2 == 0 {
                            let o = ours(i).await;
                            (o, raw(i).await)
                        } else {
                            let r = raw(i).await;
                            (ours(i).await, r)
                        };
                        total += o;
                        let mut t = times.borrow_mut();
                        t.0.push(o);
                        t.1.push(r);
                    }
                    total
                }
            });
        });
        g.finish();
        let (mut o, mut r) = times.into_inner();
        let row = Row {
            group: group.to_owned(),
            case: case.to_owned(),
            pairs: o.len(),
            ours: median(&mut o),
            raw: median(&mut r),
        };
        println!(
            "RATIO {group}/{case}: ours {} µs, raw {} µs, ours/raw {:.3} ({} pairs)",
            micros(row.ours),
            micros(row.raw),
            row.ratio(),
            row.pairs
        );
        self.rows.push(row);
    }

    /// The table: one line per comparison, `ours/raw` as time ratio.
    pub fn print(&self, title: &str) {
        println!("\n### {title}\n");
        println!("| group | case | ours µs (median) | raw µs (median) | ours/raw | pairs |");
        println!("|---|---|---:|---:|---:|---:|");
        for r in &self.rows {
            println!(
                "| {} | {} | {} | {} | {:.3} | {} |",
                r.group,
                r.case,
                micros(r.ours),
                micros(r.raw),
                r.ratio(),
                r.pairs
            );
        }
    }
}
