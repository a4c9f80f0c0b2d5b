//! The store's contract, written once and run against every backend.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sqlx_session_store::{Error, SqlStore};

use super::backend::{store, Backend, Ctx};
use super::setup::{expires_while_stored, micros, migrated, pool_or_skip};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! store_api_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; store_api_suite:
            set_get_roundtrip,
            default_expiry_uses_expiration,
            expired_rows_are_never_returned,
            touch_extends_a_live_session_only,
            disable_touch_writes_nothing,
            touch_after_skips_writes_inside_the_window,
            destroy_and_unknown_ids,
            ids_are_case_sensitive,
            stores_on_two_tables_are_isolated,
            migrate_is_idempotent_and_concurrent_safe,
            custom_schema_name,
            hostile_identifiers_are_refused,
            invalid_options_and_ids_are_typed_errors,
            unicode_and_large_sessions_roundtrip,
            oversized_data_is_refused_and_nothing_is_lost,
            corrupt_rows_are_typed_errors_and_kept,
            create_never_overwrites_and_update_never_resurrects,
            clear_expired_sessions_counts_and_keeps_live_rows,
            migration_file_matches_migrate,
            store_is_cheap_to_clone_and_debug_hides_secrets,
            extreme_expiries_are_clamped_not_panics,
        );
    };
}

pub async fn set_get_roundtrip<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "rt").await;
    let expires = micros(Utc::now() + TimeDelta::minutes(30));
    let data = json!({ "user": 42, "cart": [1, 2, 3], "nested": { "ok": true }, "none": null });
    s.set("sid-1", &data, Some(expires)).await.unwrap();
    let got = s.get("sid-1").await.unwrap().expect("live session");
    assert_eq!(got.data, data);
    assert_eq!(got.expires, expires);

    // set again replaces data and expiry (one upsert).
    let data2 = json!({ "user": 43 });
    let expires2 = micros(Utc::now() + TimeDelta::hours(2));
    s.set("sid-1", &data2, Some(expires2)).await.unwrap();
    let got = s.get("sid-1").await.unwrap().unwrap();
    assert_eq!((got.data, got.expires), (data2, expires2));
    assert_eq!(s.length().await.unwrap(), 1);
    assert!(s.get("unknown").await.unwrap().is_none());
    B::cleanup(pool, &ctx).await;
}

pub async fn default_expiry_uses_expiration<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("exp"))
        .expiration(Duration::from_secs(600))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let before = Utc::now();
    s.set("a", &json!({}), None).await.unwrap();
    let after = Utc::now();
    let got = s.get("a").await.unwrap().unwrap();
    assert!(got.expires >= micros(before + TimeDelta::seconds(600)));
    assert!(got.expires <= after + TimeDelta::seconds(600));
    B::cleanup(pool, &ctx).await;
}

pub async fn expired_rows_are_never_returned<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "expired").await;
    s.set(
        "dead",
        &json!({ "x": 1 }),
        Some(Utc::now() - TimeDelta::seconds(1)),
    )
    .await
    .unwrap();
    s.set(
        "live",
        &json!({ "x": 2 }),
        Some(Utc::now() + TimeDelta::minutes(5)),
    )
    .await
    .unwrap();
    // The expired row is still in the table (no cleanup has run) ...
    let table = B::quote(&ctx.table("expired"));
    assert_eq!(
        B::scalar(&pool, &format!("SELECT COUNT(*) FROM {table}")).await,
        2
    );
    // ... but the store never serves it, counts it or lists it.
    assert!(s.get("dead").await.unwrap().is_none());
    assert!(s.get("live").await.unwrap().is_some());
    assert_eq!(s.length().await.unwrap(), 1);
    assert_eq!(s.ids().await.unwrap(), vec!["live".to_owned()]);

    // A session that expires while stored is served until then and disappears without
    // cleanup.
    let s = &s;
    let mut n = 0;
    expires_while_stored(
        |life| {
            n += 1;
            let id = format!("soon-{n}");
            let expiry = Utc::now() + TimeDelta::from_std(life).unwrap();
            async move {
                s.set(&id, &json!({}), Some(expiry)).await.unwrap();
                (id, expiry)
            }
        },
        |id| async move { s.get(&id).await.unwrap().is_some() },
    )
    .await;
    B::cleanup(pool, &ctx).await;
}

pub async fn touch_extends_a_live_session_only<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "touch").await;
    let t1 = micros(Utc::now() + TimeDelta::minutes(10));
    let t2 = micros(Utc::now() + TimeDelta::minutes(20));
    s.set("a", &json!({ "keep": "me" }), Some(t1))
        .await
        .unwrap();
    assert!(s.touch("a", Some(t2)).await.unwrap());
    let got = s.get("a").await.unwrap().unwrap();
    assert_eq!(got.expires, t2);
    assert_eq!(
        got.data,
        json!({ "keep": "me" }),
        "touch leaves the data alone"
    );

    // Unknown and expired sessions are not created or revived by a touch.
    assert!(!s.touch("nobody", Some(t2)).await.unwrap());
    s.set("old", &json!({}), Some(Utc::now() - TimeDelta::seconds(5)))
        .await
        .unwrap();
    assert!(!s.touch("old", Some(t2)).await.unwrap());
    assert!(s.get("old").await.unwrap().is_none());
    assert!(s.get("nobody").await.unwrap().is_none());
    B::cleanup(pool, &ctx).await;
}

pub async fn disable_touch_writes_nothing<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("notouch"))
        .disable_touch(true)
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let t1 = micros(Utc::now() + TimeDelta::minutes(10));
    s.set("a", &json!(1), Some(t1)).await.unwrap();
    let table = B::quote(&ctx.table("notouch"));
    let updated_before = B::scalar(
        &pool,
        &format!("SELECT COUNT(*) FROM {table} WHERE updated_at = created_at"),
    )
    .await;
    assert!(!s.touch("a", Some(t1 + TimeDelta::hours(1))).await.unwrap());
    assert!(!s.touch("a", None).await.unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().expires, t1);
    let updated_after = B::scalar(
        &pool,
        &format!("SELECT COUNT(*) FROM {table} WHERE updated_at = created_at"),
    )
    .await;
    assert_eq!(
        (updated_before, updated_after),
        (1, 1),
        "updated_at untouched"
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn touch_after_skips_writes_inside_the_window<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("window"))
        .touch_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let base = micros(Utc::now() + TimeDelta::hours(24));
    s.set("a", &json!(1), Some(base)).await.unwrap();

    // New expiry only 10 minutes later than the stored one: inside the window, no write.
    assert!(!s
        .touch("a", Some(base + TimeDelta::minutes(10)))
        .await
        .unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().expires, base);

    // Two hours later: outside the window, written.
    let later = base + TimeDelta::hours(2);
    assert!(s.touch("a", Some(later)).await.unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().expires, later);

    // Much earlier than stored (a shorter lifetime): outside the window too, written.
    let sooner = micros(Utc::now() + TimeDelta::minutes(5));
    assert!(s.touch("a", Some(sooner)).await.unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().expires, sooner);
    // Slightly earlier than stored: inside the window, no write.
    assert!(!s
        .touch("a", Some(sooner - TimeDelta::minutes(1)))
        .await
        .unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().expires, sooner);
    B::cleanup(pool, &ctx).await;
}

pub async fn destroy_and_unknown_ids<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "destroy").await;
    s.set("a", &json!(1), None).await.unwrap();
    s.set("b", &json!(2), None).await.unwrap();
    s.destroy("a").await.unwrap();
    s.destroy("a").await.unwrap();
    s.destroy("never-existed").await.unwrap();
    assert!(s.get("a").await.unwrap().is_none());
    assert!(s.get("b").await.unwrap().is_some());
    assert_eq!(s.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

pub async fn ids_are_case_sensitive<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "case").await;
    s.set("AbC", &json!("upper"), None).await.unwrap();
    s.set("abc", &json!("lower"), None).await.unwrap();
    assert_eq!(s.get("AbC").await.unwrap().unwrap().data, json!("upper"));
    assert_eq!(s.get("abc").await.unwrap().unwrap().data, json!("lower"));
    assert!(s.get("ABC").await.unwrap().is_none());
    // Trailing spaces make a different id too (MySQL's PAD SPACE collations would not).
    assert!(s.get("abc ").await.unwrap().is_none());
    assert!(s.insert("abc ", &json!("spaced"), None).await.unwrap());
    s.destroy("abc  ").await.unwrap();
    assert_eq!(s.get("abc").await.unwrap().unwrap().data, json!("lower"));
    s.destroy("abc ").await.unwrap();
    let mut ids = s.ids().await.unwrap();
    ids.sort();
    assert_eq!(ids, ["AbC", "abc"]);
    B::cleanup(pool, &ctx).await;
}

pub async fn stores_on_two_tables_are_isolated<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let one = migrated::<B>(&pool, &ctx, "one").await;
    let two = migrated::<B>(&pool, &ctx, "two").await;
    one.set("shared-id", &json!("one"), None).await.unwrap();
    one.set("only-one", &json!("one"), None).await.unwrap();
    two.set("shared-id", &json!("two"), None).await.unwrap();
    assert_eq!(
        one.get("shared-id").await.unwrap().unwrap().data,
        json!("one")
    );
    assert_eq!(
        two.get("shared-id").await.unwrap().unwrap().data,
        json!("two")
    );
    assert!(two.get("only-one").await.unwrap().is_none());
    assert_eq!(
        (one.length().await.unwrap(), two.length().await.unwrap()),
        (2, 1)
    );

    // clear empties its own table and nothing else.
    assert_eq!(one.clear().await.unwrap(), 2);
    assert_eq!(one.length().await.unwrap(), 0);
    assert_eq!(
        two.get("shared-id").await.unwrap().unwrap().data,
        json!("two")
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn migrate_is_idempotent_and_concurrent_safe<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "twice").await;
    s.set("a", &json!(1), None).await.unwrap();
    s.migrate().await.expect("second migrate");
    assert!(
        s.get("a").await.unwrap().is_some(),
        "migrate keeps existing rows"
    );

    // Eight tasks migrating one fresh table at the same moment.
    let fresh = store::<B>(&pool, &ctx, "race");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, b) = (fresh.clone(), barrier.clone());
            tokio::spawn(async move {
                b.wait().await;
                s.migrate().await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("concurrent migrate");
    }
    fresh.set("x", &json!(1), None).await.unwrap();
    assert_eq!(fresh.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

pub async fn custom_schema_name<B: Backend>(ctx: Ctx) {
    let schema_name = format!("s_{}", ctx.unique);
    let Some((pool, schema)) = B::pool_with_schema(&ctx, &schema_name).await else {
        return;
    };
    let s = SqlStore::builder(pool.clone())
        .schema_name(schema.clone())
        .table_name(ctx.table("schema"))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s.verify_schema().await.unwrap();
    s.set("a", &json!({ "in": "schema" }), None).await.unwrap();
    assert_eq!(
        s.get("a").await.unwrap().unwrap().data,
        json!({ "in": "schema" })
    );
    s.set("old", &json!(1), Some(Utc::now() - TimeDelta::seconds(1)))
        .await
        .unwrap();
    assert_eq!(s.clear_expired_sessions().await.unwrap(), 1);
    let qualified = format!("{}.{}", B::quote(&schema), B::quote(&ctx.table("schema")));
    assert_eq!(
        B::scalar(&pool, &format!("SELECT COUNT(*) FROM {qualified}")).await,
        1
    );
    // The table is in that schema only.
    if B::NAME == "sqlite" {
        // SQLite resolves an unqualified name through every attached database, so look
        // at the main database's catalog itself.
        let in_main = format!(
            "SELECT COUNT(*) FROM main.sqlite_master WHERE name = '{}'",
            ctx.table("schema")
        );
        assert_eq!(B::scalar(&pool, &in_main).await, 0, "not in main");
    } else {
        // The same name in the connection's default schema is another, missing table.
        let plain = store::<B>(&pool, &ctx, "schema");
        assert!(
            matches!(plain.get("a").await, Err(Error::MissingColumns { .. })),
            "no such table outside the schema"
        );
        plain.migrate().await.unwrap();
        assert!(plain.get("a").await.unwrap().is_none());
    }
    B::drop_schema(&pool, &schema).await;
    B::cleanup(pool, &ctx).await;
}

pub async fn hostile_identifiers_are_refused<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let too_long = "a".repeat(sqlx_session_store::MAX_IDENTIFIER_LEN + 1);
    for bad in [
        "x; drop table y",
        "a\"b",
        "a`b",
        "it's",
        "",
        "1x",
        "a.b",
        too_long.as_str(),
    ] {
        let table = SqlStore::builder(pool.clone()).table_name(bad).build();
        assert!(
            matches!(&table, Err(Error::InvalidIdentifier { kind: "table name", name, .. }) if name == bad),
            "table {bad:?}: {table:?}"
        );
        let schema = SqlStore::builder(pool.clone()).schema_name(bad).build();
        assert!(
            matches!(
                &schema,
                Err(Error::InvalidIdentifier {
                    kind: "schema name",
                    ..
                })
            ),
            "schema {bad:?}: {schema:?}"
        );
    }
    B::cleanup(pool, &ctx).await;
}

pub async fn invalid_options_and_ids_are_typed_errors<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let zero = SqlStore::builder(pool.clone())
        .expiration(Duration::ZERO)
        .build();
    assert!(matches!(
        zero,
        Err(Error::InvalidConfig {
            option: "expiration",
            ..
        })
    ));
    let huge = SqlStore::builder(pool.clone())
        .expiration(Duration::MAX)
        .build();
    assert!(matches!(
        huge,
        Err(Error::InvalidConfig {
            option: "expiration",
            ..
        })
    ));

    let s = migrated::<B>(&pool, &ctx, "ids").await;
    let long = "x".repeat(sqlx_session_store::MAX_SESSION_ID_LEN + 1);
    for bad in ["", long.as_str()] {
        assert!(matches!(
            s.get(bad).await,
            Err(Error::InvalidSessionId { .. })
        ));
        assert!(matches!(
            s.set(bad, &json!(1), None).await,
            Err(Error::InvalidSessionId { .. })
        ));
        assert!(matches!(
            s.destroy(bad).await,
            Err(Error::InvalidSessionId { .. })
        ));
    }
    // The longest id accepted works on every dialect.
    let max = "m".repeat(sqlx_session_store::MAX_SESSION_ID_LEN);
    s.set(&max, &json!(1), None).await.unwrap();
    assert!(s.get(&max).await.unwrap().is_some());
    B::cleanup(pool, &ctx).await;
}

pub async fn unicode_and_large_sessions_roundtrip<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "big").await;
    let unicode = json!({
        "greeting": "héllo wörld — こんにちは 🌍🚀",
        "rtl": "مرحبا",
        "escapes": "quote \" backslash \\ newline \n tab \t nul \u{0000}",
        "emoji_key_🔑": ["🙂", "𝄞"],
        "big_int": 9007199254740993_u64,
        "float": 1.5e-7,
    });
    s.set("unicode", &unicode, None).await.unwrap();
    assert_eq!(s.get("unicode").await.unwrap().unwrap().data, unicode);

    // 1 MiB of payload (well over MySQL's 64 KiB TEXT limit).
    let blob: String = "0123456789abcdef🙂".chars().cycle().take(1 << 20).collect();
    let large = json!({ "blob": blob, "n": 1 });
    s.set("large", &large, None).await.unwrap();
    assert_eq!(s.get("large").await.unwrap().unwrap().data, large);
    B::cleanup(pool, &ctx).await;
}

pub async fn oversized_data_is_refused_and_nothing_is_lost<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("limit"))
        .max_data_size(1024)
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s.set("a", &json!({ "v": "original" }), None).await.unwrap();
    let big = json!({ "v": "x".repeat(2000) });
    let err = s.set("a", &big, None).await.unwrap_err();
    assert!(
        matches!(err, Error::DataTooLarge { limit: 1024, size } if size > 2000),
        "{err:?}"
    );
    assert!(matches!(
        s.insert("b", &big, None).await,
        Err(Error::DataTooLarge { .. })
    ));
    assert_eq!(
        s.get("a").await.unwrap().unwrap().data,
        json!({ "v": "original" })
    );
    assert!(s.get("b").await.unwrap().is_none());
    B::cleanup(pool, &ctx).await;
}

pub async fn corrupt_rows_are_typed_errors_and_kept<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "corrupt").await;
    s.set("bad", &json!({ "ok": true }), None).await.unwrap();
    let table = B::quote(&ctx.table("corrupt"));
    if !B::STORES_INVALID_JSON {
        let corrupt = format!("UPDATE {table} SET data = '{{not json'");
        // PostgreSQL's JSON column refuses invalid JSON: the database guarantees it.
        let refused = B::try_exec(&pool, &corrupt).await;
        assert!(refused.is_err(), "a JSON column takes no invalid JSON");
        assert_eq!(
            s.get("bad").await.unwrap().unwrap().data,
            json!({ "ok": true })
        );
    }
    // An app-managed table whose data column is plain text can hold anything.
    let (id, _, time, _) = B::TYPES;
    let text_table = ctx.table("corrupt_text");
    B::exec(
        &pool,
        &format!(
            "CREATE TABLE {} (sid {id} PRIMARY KEY, data TEXT NOT NULL, expires {time} NOT NULL)",
            B::quote(&text_table)
        ),
    )
    .await;
    let t = SqlStore::builder(pool.clone())
        .table_name(&text_table)
        .without_timestamp_columns()
        .without_version_column()
        .build()
        .unwrap();
    t.set("bad", &json!({ "ok": true }), None).await.unwrap();
    let mut cases = vec![(t, B::quote(&text_table))];
    if B::STORES_INVALID_JSON {
        // MySQL's LONGTEXT and SQLite's TEXT take it in the default table too.
        cases.push((s, table));
    }
    for (store, table) in cases {
        B::exec(&pool, &format!("UPDATE {table} SET data = '{{not json'")).await;
        let err = store.get("bad").await.unwrap_err();
        assert!(matches!(err, Error::CorruptRow { .. }), "{err:?}");
        assert!(
            std::error::Error::source(&err).is_some(),
            "the JSON error is kept as source"
        );
        // The row is still there for inspection; only an explicit destroy removes it.
        let count = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(B::scalar(&pool, &count).await, 1);
        store.destroy("bad").await.unwrap();
        assert_eq!(B::scalar(&pool, &count).await, 0);
    }
    B::cleanup(pool, &ctx).await;
}

pub async fn create_never_overwrites_and_update_never_resurrects<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = migrated::<B>(&pool, &ctx, "create").await;
    assert!(s.insert("a", &json!("first"), None).await.unwrap());
    assert!(!s.insert("a", &json!("intruder"), None).await.unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().data, json!("first"));

    assert!(s.update("a", &json!("second"), None).await.unwrap());
    assert_eq!(s.get("a").await.unwrap().unwrap().data, json!("second"));
    s.destroy("a").await.unwrap();
    assert!(!s.update("a", &json!("late save"), None).await.unwrap());
    assert!(
        s.get("a").await.unwrap().is_none(),
        "a destroyed session stays destroyed"
    );
    // An expired row that cleanup has not removed yet is not revived by a save either.
    s.set(
        "old",
        &json!("expired"),
        Some(Utc::now() - TimeDelta::seconds(1)),
    )
    .await
    .unwrap();
    assert!(!s.update("old", &json!("late save"), None).await.unwrap());
    assert!(
        s.get("old").await.unwrap().is_none(),
        "an expired session stays expired"
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn clear_expired_sessions_counts_and_keeps_live_rows<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("reap"))
        .delete_batch_size(7)
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let past = Utc::now() - TimeDelta::seconds(10);
    for i in 0..25 {
        s.set(&format!("dead-{i}"), &json!(i), Some(past))
            .await
            .unwrap();
    }
    for i in 0..5 {
        s.set(&format!("live-{i}"), &json!(i), None).await.unwrap();
    }
    // 25 rows in batches of 7: four statements (7, 7, 7, 4), counted in sqlx's own log.
    super::capture::install_with_statements();
    let quoted = B::quote(&ctx.table("reap"));
    let deletes = || {
        super::capture::statements_on(&quoted)
            .into_iter()
            .filter(|st| st.sql.starts_with("DELETE"))
            .map(|st| st.rows_affected)
            .collect::<Vec<_>>()
    };
    assert_eq!(s.clear_expired_sessions().await.unwrap(), 25);
    assert_eq!(deletes(), vec![7, 7, 7, 4], "bounded batches");
    assert_eq!(s.clear_expired_sessions().await.unwrap(), 0);
    assert_eq!(s.length().await.unwrap(), 5);
    let table = B::quote(&ctx.table("reap"));
    assert_eq!(
        B::scalar(&pool, &format!("SELECT COUNT(*) FROM {table}")).await,
        5
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn migration_file_matches_migrate<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    // The shipped file is exactly what `migrate()` runs for the default table ...
    let dir = match B::NAME {
        "sqlite" => "sqlite",
        "postgres" => "postgres",
        _ => "mysql",
    };
    let path = format!(
        "{}/migrations/{dir}/0001_create_sessions.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = std::fs::read_to_string(&path).expect("migration file");
    let default_store = SqlStore::new(pool.clone());
    let expected = default_store.migration_sql().join(";\n\n") + ";\n";
    let body: String = file
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        body.trim(),
        expected.trim(),
        "{path} differs from migrate()'s SQL"
    );

    // ... and a table created from the file, under another name, works with the store.
    let table = ctx.table("file");
    for stmt in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let renamed = stmt
            .replace(
                &B::quote("sessions_expires_idx"),
                &B::quote(&format!("{table}_expires_idx")),
            )
            .replace(&B::quote("sessions"), &B::quote(&table));
        B::exec(&pool, &renamed).await;
    }
    let s = SqlStore::builder(pool.clone())
        .table_name(table)
        .build()
        .unwrap();
    s.migrate()
        .await
        .expect("migrate over a file-created table is a no-op");
    s.set("a", &json!({ "from": "file" }), None).await.unwrap();
    assert_eq!(
        s.get("a").await.unwrap().unwrap().data,
        json!({ "from": "file" })
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn store_is_cheap_to_clone_and_debug_hides_secrets<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    // A non-default expiration, to see that a clone writes with the original's options.
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("debug"))
        .expiration(Duration::from_secs(777))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let clone = s.clone();
    s.set("secret-session-id", &json!({ "password": "hunter2" }), None)
        .await
        .unwrap();
    let record = clone.get("secret-session-id").await.unwrap().unwrap();
    // A clone is the same store: one table, one set of options, one pool, one reaper slot.
    // Written through the clone, read through the original (and gone for both).
    let before = Utc::now();
    clone
        .set("from-the-clone", &json!({ "n": 1 }), None)
        .await
        .unwrap();
    let after = Utc::now();
    let seen = s
        .get("from-the-clone")
        .await
        .unwrap()
        .expect("the clone's write");
    assert_eq!(seen.data, json!({ "n": 1 }));
    assert!(
        seen.expires >= micros(before + TimeDelta::seconds(777))
            && seen.expires <= after + TimeDelta::seconds(777),
        "the clone writes with the original's expiration: {}",
        seen.expires
    );
    assert_eq!(s.length().await.unwrap(), 2, "both rows in one table");
    s.destroy("from-the-clone").await.unwrap();
    assert!(clone.get("from-the-clone").await.unwrap().is_none());
    // sqlx hands released connections back from tasks of its own: wait until all are idle.
    super::wait_until(Duration::from_secs(10), "every connection idle", || async {
        s.pool().num_idle() == s.pool().size() as usize
    })
    .await;
    let conn = clone.pool().acquire().await.unwrap();
    assert_eq!(s.pool().size(), clone.pool().size());
    assert_eq!(
        s.pool().num_idle() + 1,
        s.pool().size() as usize,
        "the clone's connection is the original's pool's"
    );
    drop(conn);
    let reaper = s
        .start_expiring_sessions()
        .unwrap()
        .expect("default interval");
    assert!(
        clone.expiry_reaper().is_some(),
        "the reaper started from the original"
    );
    clone.stop_expiring_sessions().await;
    assert!(!reaper.is_running(), "stopped through the clone");
    let shown = format!("{s:?} {record:?}");
    assert!(shown.contains(&ctx.table("debug")), "{shown}");
    for secret in ["secret-session-id", "hunter2"] {
        assert!(!shown.contains(secret), "Debug shows {secret:?}: {shown}");
    }

    // Debug never shows where the pool connects: a store on a pool whose URL carries a
    // user, a password, a host and a database (lazy: it never connects).
    const MARK: &str = "dbg5e1f";
    let url = match B::NAME {
        "sqlite" => format!("sqlite://{MARK}-db.sqlite"),
        scheme => format!("{scheme}://{MARK}-user:{MARK}-pw@{MARK}-host.invalid/{MARK}-db"),
    };
    let lazy = sqlx::Pool::<B::DB>::connect_lazy(&url).expect("a valid URL");
    let on_lazy = SqlStore::builder(lazy)
        .table_name(ctx.table("lazy"))
        .build()
        .unwrap();
    let shown = format!("{on_lazy:?}");
    assert!(shown.contains(&ctx.table("lazy")), "{shown}");
    for secret in [
        MARK,
        "password",
        "://",
        "postgres:",
        "mysql:",
        "sqlite:",
        "invalid",
    ] {
        assert!(
            !shown.contains(secret),
            "Debug shows {secret:?} of {url}: {shown}"
        );
    }
    B::cleanup(pool, &ctx).await;
}

pub async fn extreme_expiries_are_clamped_not_panics<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("extreme"))
        // About 290 million years: valid for chrono, far past what any database stores.
        .expiration(Duration::from_millis(i64::MAX as u64))
        // touch_after must stay shorter than expiration: one millisecond less.
        .touch_after(Duration::from_millis(i64::MAX as u64 - 1))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s.set("forever", &json!(1), None).await.unwrap();
    let year = |t: DateTime<Utc>| t.format("%Y").to_string();
    assert_eq!(
        year(s.get("forever").await.unwrap().unwrap().expires),
        "9999"
    );
    s.set("max", &json!(2), Some(DateTime::<Utc>::MAX_UTC))
        .await
        .unwrap();
    assert_eq!(year(s.get("max").await.unwrap().unwrap().expires), "9999");
    s.set("min", &json!(3), Some(DateTime::<Utc>::MIN_UTC))
        .await
        .unwrap();
    assert!(s.get("min").await.unwrap().is_none(), "long expired");
    assert!(
        !s.touch("forever", None).await.unwrap(),
        "inside the (huge) window"
    );
    assert!(!s
        .touch("forever", Some(DateTime::<Utc>::MIN_UTC))
        .await
        .unwrap());
    assert_eq!(s.clear_expired_sessions().await.unwrap(), 1);
    assert_eq!(s.length().await.unwrap(), 2);
    B::cleanup(pool, &ctx).await;
}
