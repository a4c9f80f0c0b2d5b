//! Custom columns (`extend_default_fields`) and per-user session management, on every backend.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use serde_json::json;
use sqlx_session_store::{Column, DefaultFields, Error, Fields, SqlStore};

use super::backend::{Backend, Ctx};
use super::setup::{micros, pool_or_skip};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! fields_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; fields_suite:
            user_column_follows_the_data,
            destroy_where_logs_one_user_out_everywhere,
            session_list_shows_live_sessions_only,
            a_listed_session_is_revoked_by_its_handle_under_every_option,
            bad_columns_and_values_are_typed_errors,
            hook_runs_on_writes_never_on_touch,
            app_managed_table_with_renamed_columns,
            missing_columns_are_named,
            front_ends_feed_the_hook,
            every_indexed_column_gets_its_own_index,
        );
    };
}

/// `builder` with a `user_id` column filled from the session data, and a `device` text
/// column.
pub fn with_user_columns<DB: sqlx_session_store::Dialect>(
    builder: sqlx_session_store::Builder<DB>,
) -> sqlx_session_store::Builder<DB> {
    builder
        .column(Column::integer("user_id").indexed(true))
        .column(Column::text("device"))
        .extend_default_fields(|d: &DefaultFields<'_>| {
            Fields::new()
                .with("user_id", d.data["user_id"].as_i64())
                .with("device", d.data["device"].as_str())
        })
}

/// A migrated store with the columns of [`with_user_columns`].
async fn user_store<B: Backend>(pool: &sqlx::Pool<B::DB>, ctx: &Ctx, tag: &str) -> SqlStore<B::DB> {
    let s = with_user_columns(SqlStore::builder(pool.clone()).table_name(ctx.table(tag)))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s
}

pub async fn user_column_follows_the_data<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = user_store::<B>(&pool, &ctx, "follow").await;
    s.set("s1", &json!({ "user_id": 7, "device": "phone" }), None)
        .await
        .unwrap();
    assert_eq!(s.ids_where("user_id", 7).await.unwrap(), ["s1"]);

    // The column is rewritten on update, not only on insert.
    s.set("s1", &json!({ "user_id": 8 }), None).await.unwrap();
    assert!(s.ids_where("user_id", 7).await.unwrap().is_empty());
    assert_eq!(s.ids_where("user_id", 8).await.unwrap(), ["s1"]);
    assert!(s
        .update("s1", &json!({ "user_id": 9 }), None)
        .await
        .unwrap());
    assert_eq!(s.ids_where("user_id", 9).await.unwrap(), ["s1"]);
    let table = B::quote(&ctx.table("follow"));
    assert_eq!(
        B::scalar(&pool, &format!("SELECT user_id FROM {table}")).await,
        9
    );
    // A key missing from the data writes NULL.
    assert_eq!(
        B::scalar(
            &pool,
            &format!("SELECT COUNT(*) FROM {table} WHERE device IS NULL")
        )
        .await,
        1
    );
    // Logging out (no user) clears it.
    s.set("s1", &json!({}), None).await.unwrap();
    assert_eq!(
        B::scalar(
            &pool,
            &format!("SELECT COUNT(*) FROM {table} WHERE user_id IS NULL")
        )
        .await,
        1
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn destroy_where_logs_one_user_out_everywhere<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = user_store::<B>(&pool, &ctx, "logout").await;
    for (sid, user) in [("a1", 1), ("a2", 1), ("a3", 1), ("b1", 2), ("c1", 3)] {
        s.set(sid, &json!({ "user_id": user }), None).await.unwrap();
    }
    s.set("anon", &json!({ "cart": [] }), None).await.unwrap();
    assert_eq!(s.destroy_where("user_id", 1).await.unwrap(), 3);
    let mut left = s.ids().await.unwrap();
    left.sort();
    assert_eq!(left, ["anon", "b1", "c1"], "other users untouched");
    assert_eq!(s.destroy_where("user_id", 1).await.unwrap(), 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn session_list_shows_live_sessions_only<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = user_store::<B>(&pool, &ctx, "devices").await;
    let soon = micros(Utc::now() + TimeDelta::hours(1));
    let later = micros(Utc::now() + TimeDelta::hours(5));
    s.set(
        "phone",
        &json!({ "user_id": 5, "device": "phone" }),
        Some(soon),
    )
    .await
    .unwrap();
    s.set(
        "laptop",
        &json!({ "user_id": 5, "device": "laptop" }),
        Some(later),
    )
    .await
    .unwrap();
    s.set(
        "old",
        &json!({ "user_id": 5, "device": "old" }),
        Some(Utc::now() - TimeDelta::seconds(1)),
    )
    .await
    .unwrap();
    s.set("other", &json!({ "user_id": 6 }), None)
        .await
        .unwrap();

    let list = s.sessions_where("user_id", 5).await.unwrap();
    let ids: Vec<&str> = list.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        ["laptop", "phone"],
        "latest expiry first, expired left out"
    );
    assert_eq!(list[0].data["device"], "laptop");
    assert_eq!(list[0].expires, later);
    let updated = list[0].updated_at.expect("updated_at");
    assert!((Utc::now() - updated).num_seconds().abs() < 60);
    assert!(
        !format!("{:?}", list[0]).contains("laptop"),
        "Debug hides id and data"
    );
    assert_eq!(s.ids_where("user_id", 5).await.unwrap().len(), 2);

    // Querying by the text column works too.
    assert_eq!(s.ids_where("device", "phone").await.unwrap(), ["phone"]);
    B::cleanup(pool, &ctx).await;
}

/// "Log out this device": the handle of a listed session ends exactly that session, with
/// and without `hash_ids` (where the listed `id` is a digest that `destroy` would hash
/// again), and never a session of another user.
pub async fn a_listed_session_is_revoked_by_its_handle_under_every_option<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    for hash_ids in [false, true] {
        let tag = if hash_ids {
            "revoke_hashed"
        } else {
            "revoke_plain"
        };
        let s = with_user_columns(SqlStore::builder(pool.clone()).table_name(ctx.table(tag)))
            .hash_ids(hash_ids)
            .build()
            .unwrap();
        s.migrate().await.unwrap();
        for (sid, user, device) in [
            ("phone", 5, "phone"),
            ("laptop", 5, "laptop"),
            ("theirs", 6, "x"),
        ] {
            s.set(sid, &json!({ "user_id": user, "device": device }), None)
                .await
                .unwrap();
        }
        let mine = s.sessions_where("user_id", 5).await.unwrap();
        let theirs = s.sessions_where("user_id", 6).await.unwrap();
        let phone = mine.iter().find(|i| i.data["device"] == "phone").unwrap();
        let laptop = mine.iter().find(|i| i.data["device"] == "laptop").unwrap();
        assert_ne!(phone.handle, laptop.handle);
        // A handle goes through a form as text and comes back.
        let text = phone.handle.to_string();
        assert!(!text.contains("phone") && !text.contains(phone.id.as_str()));
        let handle: sqlx_session_store::SessionHandle = text.parse().unwrap();

        // Another user's session, or a forged handle, ends nothing.
        assert!(!s.revoke("user_id", 5, &theirs[0].handle).await.unwrap());
        let forged: sqlx_session_store::SessionHandle =
            "00000000000000000000000000000000".parse().unwrap();
        assert!(!s.revoke("user_id", 5, &forged).await.unwrap());
        assert!(s.get("theirs").await.unwrap().is_some());

        assert!(
            s.revoke("user_id", 5, &handle).await.unwrap(),
            "hash_ids {hash_ids}"
        );
        assert!(
            s.get("phone").await.unwrap().is_none(),
            "hash_ids {hash_ids}"
        );
        assert!(s.get("laptop").await.unwrap().is_some());
        assert!(s.get("theirs").await.unwrap().is_some());
        assert!(
            !s.revoke("user_id", 5, &handle).await.unwrap(),
            "already ended"
        );
        let left: Vec<_> = s.sessions_where("user_id", 5).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(
            left[0].handle, laptop.handle,
            "handles are stable across lists"
        );
    }
    B::cleanup(pool, &ctx).await;
}

pub async fn bad_columns_and_values_are_typed_errors<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    for bad in ["x; drop table y", "a\"b", "a`b", "", "1x", "user id"] {
        let r = SqlStore::builder(pool.clone())
            .column(Column::integer(bad))
            .build();
        assert!(
            matches!(
                &r,
                Err(Error::InvalidIdentifier {
                    kind: "column name",
                    ..
                })
            ),
            "{bad:?}: {r:?}"
        );
        let r = SqlStore::builder(pool.clone()).sid_column(bad).build();
        assert!(
            matches!(&r, Err(Error::InvalidIdentifier { .. })),
            "{bad:?}"
        );
    }
    let dup = SqlStore::builder(pool.clone())
        .column(Column::text("expires"))
        .build();
    assert!(matches!(
        dup,
        Err(Error::InvalidConfig {
            option: "column",
            ..
        })
    ));
    let json_index = SqlStore::builder(pool.clone())
        .column(Column::json("j").indexed(true))
        .build();
    assert!(matches!(json_index, Err(Error::InvalidConfig { .. })));

    // A hook value of the wrong type: the write fails and the row is unchanged.
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("types"))
        .column(Column::integer("user_id").nullable(false))
        .extend_default_fields(|d: &DefaultFields<'_>| match &d.data["user_id"] {
            serde_json::Value::String(s) => Fields::new().with("user_id", s.as_str()),
            v => Fields::new().with("user_id", v.as_i64()),
        })
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s.set("a", &json!({ "user_id": 1, "v": "kept" }), None)
        .await
        .unwrap();
    let err = s
        .set("a", &json!({ "user_id": "one" }), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::FieldType { column, expected: "integer", found: "text" } if column == "user_id"),
        "{err:?}"
    );
    let err = s
        .set("a", &json!({ "no_user": true }), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::FieldType { found: "NULL", .. }),
        "{err:?}"
    );
    assert_eq!(
        s.get("a").await.unwrap().unwrap().data,
        json!({ "user_id": 1, "v": "kept" })
    );
    assert_eq!(s.ids_where("user_id", 1).await.unwrap(), ["a"]);

    // Queries: undeclared column, wrong value type, NULL.
    assert!(matches!(
        s.ids_where("nope", 1).await,
        Err(Error::UnknownColumn { .. })
    ));
    assert!(matches!(
        s.destroy_where("user_id", "1").await,
        Err(Error::FieldType { .. })
    ));
    assert!(matches!(
        s.sessions_where("user_id", None::<i64>).await,
        Err(Error::FieldType { .. })
    ));

    // A hook naming an undeclared column.
    let s2 = SqlStore::builder(pool.clone())
        .table_name(ctx.table("undeclared"))
        .extend_default_fields(|_: &DefaultFields<'_>| Fields::new().with("tenant", 1))
        .build()
        .unwrap();
    s2.migrate().await.unwrap();
    let err = s2.set("a", &json!({}), None).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownColumn { column } if column == "tenant"),
        "{err:?}"
    );
    assert!(s2.get("a").await.unwrap().is_none());
    B::cleanup(pool, &ctx).await;
}

pub async fn hook_runs_on_writes_never_on_touch<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("hook"))
        .column(Column::integer("user_id"))
        .column(Column::boolean("admin"))
        .column(Column::timestamp("seen_at"))
        .column(Column::json("profile"))
        .extend_default_fields(move |d: &DefaultFields<'_>| {
            counter.fetch_add(1, Ordering::SeqCst);
            Fields::new()
                .with("user_id", d.data["user_id"].as_i64())
                .with("admin", d.data["admin"].as_bool())
                .with("seen_at", d.expires - TimeDelta::hours(24))
                .with("profile", d.data.get("profile").cloned())
        })
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let data = json!({ "user_id": 3, "admin": true, "profile": { "name": "Zoë" } });
    s.set("a", &data, None).await.unwrap();
    assert!(s.insert("b", &data, None).await.unwrap());
    assert!(s.update("b", &data, None).await.unwrap());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "set, create and update run the hook"
    );
    assert!(s
        .touch("a", Some(Utc::now() + TimeDelta::days(3)))
        .await
        .unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 3, "touch does not");
    let table = B::quote(&ctx.table("hook"));
    let n = B::scalar(&pool, &format!("SELECT COUNT(*) FROM {table} WHERE user_id = 3 AND admin = TRUE AND seen_at IS NOT NULL AND profile IS NOT NULL")).await;
    assert_eq!(n, 2);
    assert_eq!(s.ids_where("admin", true).await.unwrap().len(), 2);
    B::cleanup(pool, &ctx).await;
}

/// Creates an app-managed table with its own column names, as an app's migration would.
async fn app_table<B: Backend>(pool: &sqlx::Pool<B::DB>, table: &str, with_user: bool) {
    let (key, json, time, bigint) = B::TYPES;
    let user = if with_user {
        format!(", user_ref {bigint}")
    } else {
        String::new()
    };
    B::exec(
        pool,
        &format!(
            "CREATE TABLE {} (token {key} NOT NULL PRIMARY KEY, payload {json} NOT NULL, \
             valid_until {time} NOT NULL{user})",
            B::quote(table)
        ),
    )
    .await;
}

pub async fn app_managed_table_with_renamed_columns<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("app");
    app_table::<B>(&pool, &table, true).await;
    let s = SqlStore::builder(pool.clone())
        .table_name(table.clone())
        .sid_column("token")
        .data_column("payload")
        .expires_column("valid_until")
        .without_timestamp_columns()
        .without_version_column()
        .column(Column::integer("user_ref"))
        .extend_default_fields(|d: &DefaultFields<'_>| {
            Fields::new().with("user_ref", d.data["uid"].as_i64())
        })
        .build()
        .unwrap();
    s.verify_schema()
        .await
        .expect("the app's table has every column");
    let expires = micros(Utc::now() + TimeDelta::hours(1));
    s.set("tok", &json!({ "uid": 11 }), Some(expires))
        .await
        .unwrap();
    let got = s.get("tok").await.unwrap().unwrap();
    assert_eq!((got.data, got.expires), (json!({ "uid": 11 }), expires));
    assert!(s
        .touch("tok", Some(expires + TimeDelta::hours(1)))
        .await
        .unwrap());
    assert!(s.insert("tok2", &json!({ "uid": 11 }), None).await.unwrap());
    assert!(s.update("tok2", &json!({ "uid": 12 }), None).await.unwrap());
    let list = s.sessions_where("user_ref", 11).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].updated_at, None, "no updated_at column");
    assert_eq!(s.length().await.unwrap(), 2);
    assert_eq!(s.destroy_where("user_ref", 12).await.unwrap(), 1);
    s.destroy("tok").await.unwrap();
    assert_eq!(s.length().await.unwrap(), 0);
    let quoted = B::quote(&table);
    assert_eq!(
        B::scalar(&pool, &format!("SELECT COUNT(*) FROM {quoted}")).await,
        0
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn missing_columns_are_named<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("missing");
    app_table::<B>(&pool, &table, false).await;
    let s = SqlStore::builder(pool.clone())
        .table_name(table.clone())
        .sid_column("token")
        .data_column("payload")
        .expires_column("valid_until")
        .column(Column::integer("user_ref"))
        .build()
        .unwrap();
    let err = s.get("x").await.unwrap_err();
    match &err {
        Error::MissingColumns { table: t, missing } => {
            assert_eq!(t, &table);
            assert_eq!(
                missing,
                &["created_at", "updated_at", "version", "user_ref"]
            );
        }
        other => panic!("expected MissingColumns, got {other:?}"),
    }
    assert!(err.to_string().contains("user_ref"), "{err}");
    assert!(matches!(
        s.set("x", &json!(1), None).await,
        Err(Error::MissingColumns { .. })
    ));

    // A table that does not exist at all: every column is missing, and migrate() fixes it.
    let fresh = super::backend::store::<B>(&pool, &ctx, "absent");
    let err = fresh.length().await.unwrap_err();
    assert!(
        matches!(&err, Error::MissingColumns { missing, .. } if missing.len() == 6),
        "{err:?}"
    );
    fresh.migrate().await.unwrap();
    assert_eq!(fresh.length().await.unwrap(), 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn front_ends_feed_the_hook<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = user_store::<B>(&pool, &ctx, "front").await;
    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session::{Id, Record};
        use tower_sessions::session_store::SessionStore;
        let mut rec = Record {
            id: Id::default(),
            data: [("user_id".to_owned(), json!(21))].into_iter().collect(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        SessionStore::create(&s, &mut rec).await.unwrap();
        assert_eq!(
            s.ids_where("user_id", 21).await.unwrap(),
            [rec.id.to_string()]
        );
        rec.data.insert("user_id".to_owned(), json!(22));
        SessionStore::save(&s, &rec).await.unwrap();
        assert_eq!(
            s.ids_where("user_id", 22).await.unwrap(),
            [rec.id.to_string()]
        );
    }
    #[cfg(feature = "async-session")]
    {
        use async_session::{Session, SessionStore};
        let mut session = Session::new();
        session.insert("user_id", 31).unwrap();
        let cookie = s.store_session(session).await.unwrap().expect("cookie");
        assert_eq!(s.ids_where("user_id", 31).await.unwrap().len(), 1);
        let loaded = s.load_session(cookie).await.unwrap().expect("session");
        assert_eq!(loaded.get::<i64>("user_id"), Some(31));
    }
    drop(s); // used by the front ends compiled in
    B::cleanup(pool, &ctx).await;
}

pub async fn every_indexed_column_gets_its_own_index<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    // `<t>_a_b` + `expires` and `<t>_a` + `b_expires` would both be `<t>_a_b_expires_idx`
    // under a plain `<table>_<column>_idx` scheme, and the second would silently be missing.
    let first = super::backend::store::<B>(&pool, &ctx, "a_b");
    first.migrate().await.unwrap();
    let second = SqlStore::builder(pool.clone())
        .table_name(ctx.table("a"))
        .column(Column::integer("b_expires").indexed(true))
        .column(Column::text("device").indexed(true))
        .column(Column::integer("not_indexed"))
        .build()
        .unwrap();
    second.migrate().await.unwrap();
    let count = |table: String| B::INDEX_COUNT.replace("{table}", &table);
    // Primary key + expires (+ the two indexed custom columns).
    assert_eq!(B::scalar(&pool, &count(ctx.table("a_b"))).await, 2);
    assert_eq!(B::scalar(&pool, &count(ctx.table("a"))).await, 4);
    B::cleanup(pool, &ctx).await;
}
