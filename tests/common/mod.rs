//! The shared test suites, written once as generic functions over [`backend::Backend`] and
//! run against every backend. Each `*_suite.rs` file owns a macro of the same name that
//! lists its tests (checked by `tests/suite_registration.rs`); `store_suite!` below calls the
//! store suites' macros, one module each (one call each in `tests/sqlite.rs`,
//! `tests/postgres.rs`, `tests/mysql.rs`).
//!
//! Support:
//! - `backend`: how to reach each database (SQLite, PostgreSQL, MySQL), per-test names, raw SQL helpers.
//! - `setup`: how a suite test starts (`pool_or_skip!`, `migrated`) and shared checks (`raw_count`, `micros`, `expires_while_stored`).
//! - `capture`: a process-wide tracing recorder: the crate's events and sqlx's statements.
//! - `proxy`: a TCP proxy between a pool and its server, to cut or silence the network.
//! - `reaper_faults`: the reaper suites' fault-injection backend (`ReaperBackend`, `Fault`, the reaper lock as another instance holds it).
//! - `reaper_support`: what both reaper suites set up and read (bulk rows, started reapers, `TaskLog`, `reaper_tests!`).
//!
//! Suites run by `store_suite!` (`tests/{sqlite,postgres,mysql}.rs`):
//! - `store_api_suite`: the store's own API on rows: get/set/insert/update/touch/destroy, expiry, migrate, schemas, typed errors, clones, Debug.
//! - `checks_suite`: time zones, quoted names, one statement per operation, no id or data in logs, refused tables, future sizes.
//! - `redaction_suite`: errors carry no values or session data.
//! - `hardening_suite`: ids refused before any SQL, undecodable rows, hashed ids, max lifetime, encryption at rest.
//! - `prop_suite`: property tests (proptest): arbitrary ids and data through the core API and both front ends.
//! - `fields_suite`: custom columns filled by the `extend_default_fields` hook, and the queries on them.
//! - `tower_sessions_suite`: the tower-sessions front end (`SessionStore`, `ExpiredDeletion`, an axum request cycle).
//! - `merge_suite`: concurrent requests on one session: saves merged per key, ended sessions stay ended.
//! - `sliding_suite`: sliding expiry: what read-only requests write, and what an unchanged copy never overwrites.
//!
//! Called beside `store_suite!` in those three files, under feature `cli`:
//! - `cli_suite`: the `sqlx-session-store` command line, run as a process against the test's table.
//!
//! Suites with binaries of their own:
//! - `async_session_suite`: the async-session front end (`tests/async_session_{sqlite,postgres,mysql}.rs`).
//! - `reaper_suite`: what the expiry reaper deletes, in which statements, through outages (`tests/reaper_*.rs`).
//! - `reaper_lifecycle_suite`: starting and stopping the expiry reaper (`tests/reaper_*.rs`).
//! - `outage_suite`: a silent network and a deadlock on PostgreSQL and MySQL (`tests/outage_{postgres,mysql}.rs`).
//!
//! Not a module here: `http.rs`, a minimal HTTP/1.1 client that `tests/tide_e2e.rs` includes
//! by path.

#[cfg(feature = "async-session")]
pub mod async_session_suite;
pub mod backend;
pub mod capture;
pub mod checks_suite;
#[cfg(feature = "cli")]
pub mod cli_suite;
pub mod fields_suite;
pub mod hardening_suite;
#[cfg(all(feature = "tower-sessions", feature = "async-session"))]
pub mod merge_suite;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod outage_suite;
pub mod prop_suite;
pub mod proxy;
pub mod reaper_faults;
pub mod reaper_lifecycle_suite;
pub mod reaper_suite;
pub mod reaper_support;
pub mod redaction_suite;
pub mod setup;
#[cfg(all(feature = "tower-sessions", feature = "async-session"))]
pub mod sliding_suite;
pub mod store_api_suite;
#[cfg(feature = "tower-sessions")]
pub mod tower_sessions_suite;

/// Polls `cond` every 20 ms until it holds; panics with `what` after `limit` (Tokio tests).
#[allow(dead_code)]
pub async fn wait_until<F, Fut>(limit: std::time::Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !cond().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Runs every store suite for `$backend`: each suite's own macro (which lists its tests),
/// in a module of its own but for the store API's tests, at the top.
#[macro_export]
macro_rules! store_suite {
    ($backend:ty) => {
        $crate::store_api_suite!($backend);
        mod checks {
            use super::common;
            $crate::checks_suite!($backend);
        }
        mod redaction {
            use super::common;
            $crate::redaction_suite!($backend);
        }
        mod hardening {
            use super::common;
            $crate::hardening_suite!($backend);
        }
        mod properties {
            use super::common;
            $crate::prop_suite!($backend);
        }
        mod custom_columns {
            use super::common;
            $crate::fields_suite!($backend);
        }
        #[cfg(feature = "tower-sessions")]
        mod tower_sessions_adapter {
            use super::common;
            $crate::tower_sessions_suite!($backend);
        }
        #[cfg(all(feature = "tower-sessions", feature = "async-session"))]
        mod concurrent_requests {
            use super::common;
            $crate::merge_suite!($backend);
        }
        #[cfg(all(feature = "tower-sessions", feature = "async-session"))]
        mod sliding_sessions {
            use super::common;
            $crate::sliding_suite!($backend);
        }
    };
}

/// One `#[tokio::test]` per listed function of suite `$module`, for `$backend`.
#[macro_export]
macro_rules! suite_tests {
    ($backend:ty; $module:ident: $($test:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let ctx = common::backend::Ctx::new(stringify!($test));
            common::$module::$test::<$backend>(ctx).await;
        }
    )*};
}
