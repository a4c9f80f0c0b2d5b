//! How a suite test starts, and what every suite compares with: `pool_or_skip!` (the test
//! pool, or a skipped test), `migrated` (a store on a fresh, migrated table of the test),
//! `raw_count` (rows counted behind the store's back), `micros` and `expires_while_stored`.
//!
//! Runtime-neutral (no Tokio call): the async-session suite also runs on async-std.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Pool;
use sqlx_session_store::SqlStore;

use super::backend::{store, Backend, Ctx};

/// Opens the test pool, or returns from the test (after a notice) when the backend is skipped.
macro_rules! pool_or_skip {
    ($b:ty, $ctx:expr) => {
        match <$b>::pool_in_zone(&$ctx, $crate::common::backend::DEFAULT_TEST_ZONE).await {
            Some(pool) => pool,
            None => return,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use pool_or_skip;

/// Microsecond precision: what every dialect stores.
pub fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap()
}

/// Short lives to try for a session that must be seen live, then gone: a longer one when
/// the machine was too slow to read the last one before it expired.
const SHORT_LIVES: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(6),
    Duration::from_secs(20),
];

/// A session that expires while stored is found until its expiry and gone after it.
/// `store(life)` stores a fresh one with that life and gives what `found` asks for it by
/// and its expiry; `found` is polled until it says gone, each answer checked against the
/// clock: found only when asked before the expiry, gone only when answered after it. When
/// the machine was too slow to see it live, again with a longer life.
pub async fn expires_while_stored<K, S, SF, F, FF>(mut store: S, mut found: F)
where
    K: Clone,
    S: FnMut(Duration) -> SF,
    SF: std::future::Future<Output = (K, DateTime<Utc>)>,
    F: FnMut(K) -> FF,
    FF: std::future::Future<Output = bool>,
{
    for life in SHORT_LIVES {
        let (key, expiry) = store(life).await;
        let expiry = micros(expiry);
        let deadline = std::time::Instant::now() + life + Duration::from_secs(30);
        let mut seen_live = false;
        loop {
            let asked = Utc::now();
            let live = found(key.clone()).await;
            let answered = Utc::now();
            if !live {
                assert!(
                    answered >= expiry,
                    "gone when answered at {answered}, before its expiry at {expiry}"
                );
                break;
            }
            assert!(
                asked < expiry,
                "found when asked at {asked}, expired at {expiry}"
            );
            seen_live = true;
            assert!(
                std::time::Instant::now() < deadline,
                "still found 30 s after its expiry at {expiry}"
            );
            // A runtime-neutral sleep: the async-session suite also runs on async-std.
            async_std::task::sleep(Duration::from_millis(50)).await;
        }
        if seen_live {
            return;
        }
    }
    panic!(
        "never read before it expired, with lives up to {:?}",
        SHORT_LIVES[2]
    );
}

/// An expiry a day past a default one (24 h): outside any default touch window, so that a
/// `touch` to it writes (one to `None`, right after a save, is inside the window and
/// writes nothing).
pub fn past_the_touch_window() -> DateTime<Utc> {
    Utc::now() + chrono::TimeDelta::days(2)
}

/// A store on a fresh table of this test (`ctx.table(tag)`), migrated.
pub async fn migrated<B: Backend>(pool: &Pool<B::DB>, ctx: &Ctx, tag: &str) -> SqlStore<B::DB> {
    let s = store::<B>(pool, ctx, tag);
    s.migrate().await.expect("migrate");
    s
}

/// Rows in `table`, live or expired, counted with raw SQL behind the store's back.
pub async fn raw_count<B: Backend>(pool: &Pool<B::DB>, table: &str) -> i64 {
    B::scalar(pool, &format!("SELECT COUNT(*) FROM {}", B::quote(table))).await
}
