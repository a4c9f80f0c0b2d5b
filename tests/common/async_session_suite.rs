//! The async-session front end's contract, written once and run against every backend
//! (`async_session_suite!`, called from `tests/async_session_{sqlite,postgres,mysql}.rs`).
//!
//! Every test runs on tokio, and again on async-std when `runtime-async-std` is on
//! (tide runs on async-std), so both of sqlx's runtimes are exercised.

#![allow(dead_code)]

use std::time::Duration;

use async_session::{Session, SessionStore};
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx_session_store::{Error, SqlStore};

use super::backend::{Backend, Ctx};
use super::setup::{expires_while_stored, micros, migrated, pool_or_skip};

/// Generates each suite function as a test on tokio and, with `runtime-async-std`, on async-std.
#[macro_export]
macro_rules! async_session_suite {
    ($backend:ty) => {
        $crate::async_session_suite!(@runtimes $backend;
            as_roundtrip_keeps_data_and_expiry,
            as_session_without_expiry_gets_expiration,
            as_expired_sessions_are_not_loaded,
            as_regenerate_then_destroy_old_leaves_old_cookie_unusable,
            as_malformed_cookie_values_load_as_none,
            as_stored_data_is_the_plain_json_object,
            as_rows_written_by_the_core_store_load,
            as_store_after_destroy_does_not_resurrect,
            as_new_session_never_overwrites_on_id_collision,
            as_non_json_raw_value_is_refused_and_nothing_is_written,
            as_corrupt_row_is_an_error_not_a_panic,
            as_destroy_unknown_and_clear_store,
        );
    };
    (@runtimes $backend:ty; $($test:ident),* $(,)?) => {
        mod on_tokio {
            use super::common;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let ctx = common::backend::Ctx::new(stringify!($test));
                    common::async_session_suite::$test::<$backend>(ctx).await;
                }
            )*
        }
        #[cfg(feature = "runtime-async-std")]
        mod on_async_std {
            use super::common;
            $(
                #[async_std::test]
                async fn $test() {
                    let ctx = common::backend::Ctx::new(stringify!($test));
                    common::async_session_suite::$test::<$backend>(ctx).await;
                }
            )*
        }
    };
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    // Not in alphabetical order, on purpose: the layout must not depend on field order.
    name: String,
    id: u64,
    roles: Vec<String>,
}

fn user() -> User {
    User {
        name: "chashu ✓".to_owned(),
        id: 7,
        roles: vec!["admin".to_owned(), "cat".to_owned()],
    }
}

fn id_of(cookie_value: &str) -> String {
    Session::id_from_cookie_value(cookie_value).expect("a cookie value made by async-session")
}

pub async fn as_roundtrip_keeps_data_and_expiry<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asrt").await;

    let mut session = Session::new();
    session.insert("count", 3).unwrap();
    session.insert("user", user()).unwrap();
    session.insert("flag", true).unwrap();
    session.insert("ratio", 0.25).unwrap();
    session.insert("nothing", Option::<u8>::None).unwrap();
    session.insert_raw("ten", "10".to_owned());
    // Nanoseconds on purpose: the store keeps microseconds.
    let expiry = Utc::now() + TimeDelta::minutes(30) + TimeDelta::nanoseconds(123);
    session.set_expiry(expiry);
    let id = session.id().to_owned();
    // What a framework's request keeps (a clone shares the data and the changed flag).
    let handle = session.clone();
    assert!(handle.data_changed());

    let cookie = s
        .store_session(session)
        .await
        .unwrap()
        .expect("a new session returns its cookie value");
    assert_eq!(
        id_of(&cookie),
        id,
        "the row key is Session::id of the cookie"
    );
    assert!(!handle.data_changed(), "a stored session is unchanged");

    let loaded = s.load_session(cookie.clone()).await.unwrap().expect("live");
    assert_eq!(loaded.id(), id);
    assert_eq!(loaded.expiry(), Some(&micros(expiry)));
    assert_eq!(loaded.get::<u32>("count"), Some(3));
    assert_eq!(loaded.get::<User>("user"), Some(user()));
    assert_eq!(loaded.get::<bool>("flag"), Some(true));
    assert_eq!(loaded.get::<f64>("ratio"), Some(0.25));
    assert_eq!(loaded.get::<Option<u8>>("nothing"), Some(None));
    assert_eq!(loaded.get::<usize>("ten"), Some(10));
    assert_eq!(loaded.get_raw("ten").as_deref(), Some("10"));
    // The six values, and the base the store reads back at save time (never stored).
    assert_eq!(loaded.len(), 7);
    assert!(loaded.get_raw(sqlx_session_store::BASE_KEY).is_some());
    assert!(!loaded.data_changed());
    assert!(!loaded.is_destroyed());

    // A loaded session saved again: updated in place, no new cookie (as async-session's
    // own stores do), new data and expiry visible on the next load.
    let mut loaded = loaded;
    loaded.insert("count", 4).unwrap();
    loaded.remove("flag");
    let later = micros(Utc::now() + TimeDelta::hours(2));
    loaded.set_expiry(later);
    assert_eq!(s.store_session(loaded).await.unwrap(), None);
    let again = s.load_session(cookie).await.unwrap().expect("live");
    assert_eq!(again.get::<u32>("count"), Some(4));
    assert_eq!(again.get::<bool>("flag"), None);
    assert_eq!(again.expiry(), Some(&later));
    assert_eq!(s.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_session_without_expiry_gets_expiration<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("asexp"))
        .expiration(Duration::from_secs(600))
        .build()
        .unwrap();
    s.migrate().await.unwrap();

    let session = Session::new();
    assert!(session.expiry().is_none());
    let before = Utc::now();
    let cookie = s.store_session(session).await.unwrap().unwrap();
    let after = Utc::now();
    let loaded = s.load_session(cookie).await.unwrap().expect("live");
    let expiry = *loaded.expiry().expect("the row's expiry");
    assert!(expiry >= micros(before + TimeDelta::seconds(600)));
    assert!(expiry <= after + TimeDelta::seconds(600));
    B::cleanup(pool, &ctx).await;
}

pub async fn as_expired_sessions_are_not_loaded<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asdead").await;

    let mut dead = Session::new();
    dead.insert("x", 1).unwrap();
    dead.set_expiry(Utc::now() - TimeDelta::seconds(1));
    let cookie = s.store_session(dead).await.unwrap().unwrap();
    assert!(s.load_session(cookie).await.unwrap().is_none());

    // One that expires while stored: live first, gone after its expiry.
    let s = &s;
    expires_while_stored(
        |life| async move {
            let mut short = Session::new();
            short.expire_in(life);
            let expiry = *short.expiry().expect("an expiry");
            (s.store_session(short).await.unwrap().unwrap(), expiry)
        },
        |cookie| async move { s.load_session(cookie).await.unwrap().is_some() },
    )
    .await;
    assert_eq!(s.length().await.unwrap(), 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_regenerate_then_destroy_old_leaves_old_cookie_unusable<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asregen").await;

    let mut session = Session::new();
    session.insert("user_id", 7).unwrap();
    let old_cookie = s.store_session(session).await.unwrap().unwrap();

    // Log in: the app regenerates the session id and destroys the old one.
    let mut session = s.load_session(old_cookie.clone()).await.unwrap().unwrap();
    let old = s.load_session(old_cookie.clone()).await.unwrap().unwrap();
    session.regenerate();
    session.insert("logged_in", true).unwrap();
    assert_ne!(session.id(), old.id());
    let new_cookie = s
        .store_session(session)
        .await
        .unwrap()
        .expect("a regenerated session has a new cookie value");
    assert_ne!(new_cookie, old_cookie);
    s.destroy_session(old).await.unwrap();

    assert!(s.load_session(old_cookie).await.unwrap().is_none());
    let now = s.load_session(new_cookie).await.unwrap().expect("live");
    assert_eq!(now.get::<u32>("user_id"), Some(7));
    assert_eq!(now.get::<bool>("logged_in"), Some(true));
    assert_eq!(s.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_malformed_cookie_values_load_as_none<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asbad").await;
    let mut session = Session::new();
    session.insert("x", 1).unwrap();
    let good = s.store_session(session).await.unwrap().unwrap();

    let long_garbage = "é".repeat(10_000);
    let long_base64 = "QUFB".repeat(10_000);
    let truncated = good[..good.len() - 3].to_owned();
    for bad in [
        "",
        "not base64 at all!",
        "%%%%",
        "====",
        "\0\u{1}",
        long_garbage.as_str(),
        long_base64.as_str(),
        truncated.as_str(),
    ] {
        let got = s.load_session(bad.to_owned()).await;
        assert!(
            matches!(got, Ok(None)),
            "cookie value of {} bytes",
            bad.len()
        );
    }
    // The id itself (what is stored) is not a cookie value either.
    assert!(s.load_session(id_of(&good)).await.unwrap().is_none());
    assert!(s.load_session(good).await.unwrap().is_some());
    B::cleanup(pool, &ctx).await;
}

pub async fn as_stored_data_is_the_plain_json_object<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "aslayout").await;

    let mut session = Session::new();
    session.insert("count", 3).unwrap();
    session.insert("name", "bob").unwrap();
    session.insert("user", user()).unwrap();
    session.insert("none", ()).unwrap();
    let expiry = micros(Utc::now() + TimeDelta::minutes(5));
    session.set_expiry(expiry);
    let cookie = s.store_session(session).await.unwrap().unwrap();

    let record = s
        .get(&id_of(&cookie))
        .await
        .unwrap()
        .expect("row by Session::id");
    assert_eq!(
        record.data,
        json!({
            "count": 3,
            "name": "bob",
            "user": { "name": "chashu ✓", "id": 7, "roles": ["admin", "cat"] },
            "none": null,
        }),
        "values are stored as the JSON they hold, not as strings of JSON"
    );
    assert_eq!(record.expires, expiry);
    // The cookie value never reaches the table: only its hash does.
    assert_eq!(s.get(&cookie).await.unwrap(), None);
    assert_eq!(s.ids().await.unwrap(), vec![id_of(&cookie)]);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_rows_written_by_the_core_store_load<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "ascore").await;

    // The layout the core API and the tower-sessions front end write.
    let cookie = Session::new()
        .into_cookie_value()
        .expect("a new session's cookie");
    let expires = micros(Utc::now() + TimeDelta::minutes(10));
    let data =
        json!({ "user": { "name": "chashu ✓", "id": 7, "roles": ["admin", "cat"] }, "n": 5 });
    s.set(&id_of(&cookie), &data, Some(expires)).await.unwrap();

    let loaded = s.load_session(cookie).await.unwrap().expect("live");
    assert_eq!(loaded.get::<User>("user"), Some(user()));
    assert_eq!(loaded.get::<i64>("n"), Some(5));
    assert_eq!(loaded.expiry(), Some(&expires));
    B::cleanup(pool, &ctx).await;
}

pub async fn as_store_after_destroy_does_not_resurrect<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asrace").await;

    let mut session = Session::new();
    session.insert("user_id", 7).unwrap();
    let cookie = s.store_session(session).await.unwrap().unwrap();

    // Two requests hold the session; one logs out, the other saves afterwards.
    let logout = s.load_session(cookie.clone()).await.unwrap().unwrap();
    let mut slow = s.load_session(cookie.clone()).await.unwrap().unwrap();
    s.destroy_session(logout).await.unwrap();
    slow.insert("cart", vec![1, 2]).unwrap();
    assert_eq!(s.store_session(slow).await.unwrap(), None);

    assert!(s.load_session(cookie).await.unwrap().is_none());
    assert_eq!(s.length().await.unwrap(), 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_new_session_never_overwrites_on_id_collision<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "ascoll").await;

    let mut first = Session::new();
    first.insert("owner", "first").unwrap();
    let first_cookie = s.store_session(first).await.unwrap().unwrap();

    // A new session that (against all odds) got the same id.
    let mut second: Session = serde_json::from_value(json!({
        "id": id_of(&first_cookie),
        "expiry": null,
        "data": { "owner": "\"second\"" },
    }))
    .unwrap();
    second.set_cookie_value("colliding-cookie".to_owned());
    let second_cookie = s
        .store_session(second)
        .await
        .unwrap()
        .expect("a new session's cookie");
    assert_ne!(
        second_cookie, "colliding-cookie",
        "regenerated on collision"
    );

    let first = s.load_session(first_cookie).await.unwrap().unwrap();
    assert_eq!(first.get::<String>("owner").as_deref(), Some("first"));
    let second = s.load_session(second_cookie).await.unwrap().unwrap();
    assert_eq!(second.get::<String>("owner").as_deref(), Some("second"));
    assert_eq!(s.length().await.unwrap(), 2);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_non_json_raw_value_is_refused_and_nothing_is_written<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asraw").await;

    let mut session = Session::new();
    session.insert_raw("greeting", "hello, not JSON".to_owned());
    let handle = session.clone();
    let err = s.store_session(session).await.expect_err("refused");
    assert!(handle.data_changed(), "still unsaved");
    let ours = err.downcast_ref::<Error>().expect("the crate's error type");
    assert!(matches!(ours, Error::Serialize(_)), "{ours:?}");
    assert!(
        !err.to_string().contains("hello"),
        "errors never carry session data"
    );
    assert_eq!(s.length().await.unwrap(), 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn as_corrupt_row_is_an_error_not_a_panic<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "ascorrupt").await;

    let cookie = Session::new().into_cookie_value().unwrap();
    s.set(&id_of(&cookie), &json!([1, 2, 3]), None)
        .await
        .unwrap();
    let err = s.load_session(cookie).await.expect_err("not a JSON object");
    let ours = err.downcast_ref::<Error>().expect("the crate's error type");
    assert!(matches!(ours, Error::CorruptRow { .. }), "{ours:?}");
    assert_eq!(s.length().await.unwrap(), 1, "the row is left as it is");
    B::cleanup(pool, &ctx).await;
}

pub async fn as_destroy_unknown_and_clear_store<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "asclear").await;
    let other = migrated::<B>(&pool, &ctx, "asother").await;

    s.destroy_session(Session::new()).await.unwrap();
    for _ in 0..3 {
        s.store_session(Session::new()).await.unwrap().unwrap();
    }
    other.store_session(Session::new()).await.unwrap().unwrap();
    assert_eq!(s.length().await.unwrap(), 3);
    s.clear_store().await.unwrap();
    assert_eq!(s.length().await.unwrap(), 0);
    assert_eq!(
        other.length().await.unwrap(),
        1,
        "clear_store empties one table only"
    );
    B::cleanup(pool, &ctx).await;
}
