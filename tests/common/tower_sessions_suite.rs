//! The tower-sessions front end (axum 0.8), on every backend.

#![allow(dead_code)]

use std::collections::HashMap;

use axum::{body::Body, routing::get, Router};
use http_body_util::BodyExt;
use serde_json::json;
use sqlx_session_store::SqlStore;
use time::{Duration, OffsetDateTime};
use tower::ServiceExt;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error as StoreError, ExpiredDeletion, SessionStore};
use tower_sessions::{Session, SessionManagerLayer};

use super::backend::{Backend, Ctx};
use super::setup::{migrated, pool_or_skip, raw_count};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! tower_sessions_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; tower_sessions_suite:
            tower_roundtrip_and_expiry,
            tower_create_never_overwrites_on_id_collision,
            tower_save_never_resurrects_a_destroyed_session,
            tower_non_object_data_is_a_decode_error,
            tower_oversized_data_is_an_encode_error,
            tower_axum_request_cycle,
        );
    };
}

fn record(expiry: OffsetDateTime) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), json!({ "id": 7, "name": "Zoë" }));
    Record {
        id: Id::default(),
        data,
        expiry_date: expiry
            .replace_nanosecond(expiry.microsecond() * 1000)
            .unwrap(),
    }
}

/// A record's data without the base a load (or create) puts under the reserved key.
pub fn without_base(
    data: &std::collections::HashMap<String, serde_json::Value>,
) -> std::collections::HashMap<String, serde_json::Value> {
    let mut data = data.clone();
    data.remove(sqlx_session_store::BASE_KEY);
    data
}

/// A record as the application sees its data: without the base (each load's differs).
pub fn plain(record: Option<Record>) -> Option<Record> {
    record.map(|r| Record {
        data: without_base(&r.data),
        ..r
    })
}

/// A new tower-sessions record holding `key: value`, expiring an hour from now.
pub fn new_record(key: &str, value: serde_json::Value) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([(key.to_owned(), value)]),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    }
}

pub async fn tower_roundtrip_and_expiry<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "tsrt").await;
    let mut rec = record(OffsetDateTime::now_utc() + Duration::hours(1));
    SessionStore::create(&s, &mut rec).await.unwrap();
    assert_eq!(
        plain(SessionStore::load(&s, &rec.id).await.unwrap()),
        plain(Some(rec.clone()))
    );
    // The row holds the data map as a plain JSON object, like every front end.
    let stored = s.get(&rec.id.to_string()).await.unwrap().unwrap();
    assert_eq!(stored.data, json!({ "user": { "id": 7, "name": "Zoë" } }));

    let mut old = record(OffsetDateTime::now_utc() - Duration::seconds(1));
    SessionStore::create(&s, &mut old).await.unwrap();
    assert_eq!(SessionStore::load(&s, &old.id).await.unwrap(), None);
    assert_eq!(SessionStore::load(&s, &Id::default()).await.unwrap(), None);

    // Counted with raw SQL: `length` does not count expired rows, so it cannot tell
    // whether `delete_expired` removed one.
    let table = ctx.table("tsrt");
    assert_eq!(
        raw_count::<B>(&pool, &table).await,
        2,
        "the live row and the expired one, before delete_expired"
    );
    ExpiredDeletion::delete_expired(&s).await.unwrap();
    assert_eq!(
        raw_count::<B>(&pool, &table).await,
        1,
        "delete_expired removed the expired row and kept the live one"
    );
    assert_eq!(
        plain(SessionStore::load(&s, &rec.id).await.unwrap()),
        plain(Some(rec.clone())),
        "the live session is still there"
    );
    assert_eq!(
        s.clear_expired_sessions().await.unwrap(),
        0,
        "delete_expired removed it"
    );
    assert_eq!(s.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

pub async fn tower_create_never_overwrites_on_id_collision<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "tscoll").await;
    let mut rec = record(OffsetDateTime::now_utc() + Duration::hours(1));
    let taken = rec.id;
    // Someone else's session already has this id.
    s.set(
        &taken.to_string(),
        &json!({ "owner": "someone else" }),
        None,
    )
    .await
    .unwrap();

    SessionStore::create(&s, &mut rec).await.unwrap();
    assert_ne!(rec.id, taken, "a colliding id is replaced");
    assert_eq!(
        s.get(&taken.to_string()).await.unwrap().unwrap().data,
        json!({ "owner": "someone else" }),
        "the existing session is untouched"
    );
    assert_eq!(
        plain(SessionStore::load(&s, &rec.id).await.unwrap()),
        plain(Some(rec))
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn tower_save_never_resurrects_a_destroyed_session<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "tsres").await;
    let mut rec = record(OffsetDateTime::now_utc() + Duration::hours(1));
    SessionStore::create(&s, &mut rec).await.unwrap();

    // Request A loaded the session; request B logs out; then A saves its copy.
    let in_flight = SessionStore::load(&s, &rec.id).await.unwrap().unwrap();
    SessionStore::delete(&s, &rec.id).await.unwrap();
    let mut changed = in_flight.clone();
    changed.data.insert("cart".to_owned(), json!([1, 2]));
    SessionStore::save(&s, &changed).await.unwrap();
    assert_eq!(
        SessionStore::load(&s, &rec.id).await.unwrap(),
        None,
        "logout stays"
    );
    assert_eq!(s.length().await.unwrap(), 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn tower_non_object_data_is_a_decode_error<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "tsdec").await;
    let id = Id::default();
    s.set(&id.to_string(), &json!([1, 2, 3]), None)
        .await
        .unwrap();
    let err = SessionStore::load(&s, &id).await.unwrap_err();
    assert!(matches!(err, StoreError::Decode(_)), "{err:?}");
    assert!(s.get(&id.to_string()).await.unwrap().is_some(), "row kept");
    B::cleanup(pool, &ctx).await;
}

/// Data over `max_data_size` is tower-sessions' `Encode` error, from `create` and `save`
/// alike, and the stored session is kept as it was.
pub async fn tower_oversized_data_is_an_encode_error<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("tsbig"))
        .max_data_size(1024)
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let mut rec = new_record("v", json!("small"));
    SessionStore::create(&s, &mut rec).await.unwrap();
    let mut big = rec.clone();
    big.data.insert("v".to_owned(), json!("x".repeat(2000)));
    let err = SessionStore::save(&s, &big).await.unwrap_err();
    assert!(matches!(err, StoreError::Encode(_)), "save: {err:?}");
    let mut fresh = new_record("v", json!("x".repeat(2000)));
    let err = SessionStore::create(&s, &mut fresh).await.unwrap_err();
    assert!(matches!(err, StoreError::Encode(_)), "create: {err:?}");
    let kept = SessionStore::load(&s, &rec.id)
        .await
        .unwrap()
        .map(|r| without_base(&r.data));
    assert_eq!(
        kept,
        Some(without_base(&rec.data)),
        "the stored session is kept"
    );
    assert_eq!(s.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

/// A tiny axum app: `/` counts visits, `/logout` ends the session.
fn app<DB: sqlx_session_store::Dialect>(store: SqlStore<DB>) -> Router {
    Router::new()
        .route(
            "/",
            get(|session: Session| async move {
                let n: u64 = session.get("n").await.unwrap().unwrap_or(0) + 1;
                session.insert("n", n).await.unwrap();
                n.to_string()
            }),
        )
        .route(
            "/logout",
            get(|session: Session| async move {
                session.flush().await.unwrap();
                "bye"
            }),
        )
        .layer(SessionManagerLayer::new(store).with_secure(false))
}

/// Sends GET `path` with `cookie`; returns the body and the `Set-Cookie` name=value, if any.
pub async fn call(app: &Router, path: &str, cookie: Option<&str>) -> (String, Option<String>) {
    let mut req = axum::http::Request::get(path);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (String::from_utf8(body.to_vec()).unwrap(), set_cookie)
}

pub async fn tower_axum_request_cycle<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "tsaxum").await;
    let app = app(s.clone());
    let (body, cookie) = call(&app, "/", None).await;
    assert_eq!(body, "1");
    let cookie = cookie.expect("a session cookie");
    assert_eq!(call(&app, "/", Some(&cookie)).await.0, "2");
    assert_eq!(call(&app, "/", Some(&cookie)).await.0, "3");
    assert_eq!(s.length().await.unwrap(), 1);

    call(&app, "/logout", Some(&cookie)).await;
    assert_eq!(s.length().await.unwrap(), 0);
    // The old cookie now starts a fresh session.
    assert_eq!(call(&app, "/", Some(&cookie)).await.0, "1");
    B::cleanup(pool, &ctx).await;
}
