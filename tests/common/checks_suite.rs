//! Checks that guard promises the rest of the suite could not catch breaking: time zones
//! across connections, quoting of reserved and mixed-case names, one statement per
//! operation, and no session id or data in any log event.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::json;
use sqlx::Pool;
use sqlx_session_store::{Column, DefaultFields, Fields, SqlStore};

use super::backend::{Backend, Ctx};
use super::capture::{self, statements_on};
use super::setup::{micros, past_the_touch_window, pool_or_skip};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! checks_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; checks_suite:
            expiry_written_in_one_zone_reads_the_same_in_another,
            reserved_and_mixed_case_names_are_quoted,
            one_statement_per_operation,
            no_log_event_carries_an_id_or_data,
            app_managed_tables_without_a_key_or_with_zoned_times_are_refused,
            operation_futures_stay_small,
        );
    };
}

fn zone_minutes(zone: &str) -> i64 {
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (h, m) = zone[1..].split_once(':').unwrap();
    sign * (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap())
}

async fn pool_in<B: Backend>(ctx: &Ctx, zone: &str) -> Option<Pool<B::DB>> {
    let pool = B::pool_in_zone(ctx, zone).await?;
    if let Some(sql) = B::ZONE_OFFSET_MINUTES {
        assert_eq!(
            B::scalar(&pool, sql).await,
            zone_minutes(zone),
            "the connection really is in {zone}"
        );
    }
    Some(pool)
}

/// Written through a connection at +13:00, read through one at -11:00, on one table: a
/// store that stored or compared local time would be 24 hours off.
pub async fn expiry_written_in_one_zone_reads_the_same_in_another<B: Backend>(ctx: Ctx) {
    let Some(east) = pool_in::<B>(&ctx, "+13:00").await else {
        return;
    };
    let Some(west) = pool_in::<B>(&ctx, "-11:00").await else {
        return;
    };
    let table = ctx.table("tz");
    let on = |pool: &Pool<B::DB>| {
        SqlStore::builder(pool.clone())
            .table_name(&table)
            .build()
            .unwrap()
    };
    let (writer, reader) = (on(&east), on(&west));
    writer.migrate().await.unwrap();
    let in_30_min = micros(Utc::now() + TimeDelta::minutes(30));
    writer
        .set("future", &json!(1), Some(in_30_min))
        .await
        .unwrap();
    writer
        .set("past", &json!(2), Some(Utc::now() - TimeDelta::minutes(30)))
        .await
        .unwrap();
    // In 30 minutes -11:00 it is still "yesterday" by the clock, 24 hours behind +13:00.
    let read = reader.get("future").await.unwrap().map(|r| r.expires);
    assert_eq!(read, Some(in_30_min), "read back in another zone");
    assert!(reader.get("past").await.unwrap().is_none());
    assert_eq!(reader.length().await.unwrap(), 1);
    // And the other way round, through a touch.
    let in_60_min = micros(Utc::now() + TimeDelta::minutes(60));
    assert!(reader.touch("future", Some(in_60_min)).await.unwrap());
    let read = writer.get("future").await.unwrap().map(|r| r.expires);
    assert_eq!(read, Some(in_60_min));
    // The database's own clock agrees from both connections: the stored value is UTC.
    let quoted = B::quote(&table);
    let live = format!(
        "SELECT COUNT(*) FROM {quoted} WHERE expires > {}",
        B::NOW_AS_STORED
    );
    assert_eq!(B::scalar(&east, &live).await, 1);
    assert_eq!(B::scalar(&west, &live).await, 1);
    if B::ZONE_OFFSET_MINUTES.is_none() {
        // SQLite has no connection zone: the stored value is the UTC instant itself.
        let stored = format!("SELECT expires FROM {quoted} WHERE sid = 'future'");
        assert_eq!(
            B::scalar(&west, &stored).await,
            in_60_min.timestamp_micros()
        );
    }
    assert_eq!(reader.clear_expired_sessions().await.unwrap(), 1);
    west.close().await;
    B::cleanup(east, &ctx).await;
}

/// Every operation on tables named by reserved words (`user`, `order`), a mixed-case name
/// and a custom column named `select`: every name is quoted in every statement.
pub async fn reserved_and_mixed_case_names_are_quoted<B: Backend>(ctx: Ctx) {
    // A schema of this test's own, so that the fixed table names can't meet another test's.
    let schema_name = format!("q_{}", ctx.unique);
    let Some((pool, schema)) = B::pool_with_schema(&ctx, &schema_name).await else {
        return;
    };
    for name in ["user", "order", "MixedCase"] {
        let s = SqlStore::builder(pool.clone())
            .schema_name(&schema)
            .table_name(name)
            .column(Column::integer("select").indexed(true))
            .extend_default_fields(|d: &DefaultFields<'_>| {
                Fields::new().with("select", d.data["user"].as_i64())
            })
            .build()
            .unwrap();
        s.migrate().await.unwrap();
        s.migrate().await.unwrap();
        s.set("a", &json!({ "user": 7 }), None).await.unwrap();
        assert!(s.insert("b", &json!({ "user": 7 }), None).await.unwrap());
        assert!(s.update("b", &json!({ "user": 8 }), None).await.unwrap());
        assert!(s.touch("a", Some(past_the_touch_window())).await.unwrap());
        assert_eq!(
            s.get("a").await.unwrap().unwrap().data,
            json!({ "user": 7 })
        );
        assert_eq!(s.length().await.unwrap(), 2);
        assert_eq!(
            s.ids_where("select", 7).await.unwrap(),
            vec!["a".to_owned()]
        );
        assert_eq!(s.sessions_where("select", 8).await.unwrap().len(), 1);
        assert_eq!(s.destroy_where("select", 8).await.unwrap(), 1);
        s.set("gone", &json!({}), Some(Utc::now() - TimeDelta::seconds(1)))
            .await
            .unwrap();
        assert_eq!(s.clear_expired_sessions().await.unwrap(), 1);
        s.destroy("a").await.unwrap();
        assert_eq!(s.clear().await.unwrap(), 0);
        let mut ids = s.ids().await.unwrap();
        ids.sort();
        assert!(ids.is_empty(), "{name}");
    }
    if B::NAME == "postgres" {
        // Quoted names keep their case on PostgreSQL: "MixedCase" is not "mixedcase".
        let lower = SqlStore::builder(pool.clone())
            .schema_name(&schema)
            .table_name("mixedcase")
            .build()
            .unwrap();
        assert!(lower.verify_schema().await.is_err(), "a different table");
    }
    B::drop_schema(&pool, &schema).await;
    B::cleanup(pool, &ctx).await;
}

/// Every operation is one statement, and no write is preceded by a read: counted in
/// sqlx's own log of what it ran.
pub async fn one_statement_per_operation<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    let table = ctx.table("stmts");
    let s = SqlStore::builder(pool.clone())
        .table_name(&table)
        .column(Column::integer("uid").indexed(true))
        .extend_default_fields(|d: &DefaultFields<'_>| {
            Fields::new().with("uid", d.data["u"].as_i64())
        })
        .touch_after(Duration::from_secs(60))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let quoted = B::quote(&table);
    let mut seen = statements_on(&quoted).len();
    let far = Utc::now() + TimeDelta::hours(2);
    s.set("a", &json!({ "u": 1 }), None).await.unwrap();
    let first = ran(&quoted, &mut seen, "set").await;
    assert!(first.starts_with("INSERT"), "set is one upsert: {first}");
    s.get("a").await.unwrap();
    assert!(ran(&quoted, &mut seen, "get").await.starts_with("SELECT"));
    s.get("missing").await.unwrap();
    ran(&quoted, &mut seen, "get (miss)").await;
    assert!(s.insert("b", &json!({ "u": 2 }), None).await.unwrap());
    assert!(ran(&quoted, &mut seen, "insert")
        .await
        .starts_with("INSERT"));
    assert!(!s.insert("b", &json!({ "u": 2 }), None).await.unwrap());
    assert!(ran(&quoted, &mut seen, "insert (taken)")
        .await
        .starts_with("INSERT"));
    s.update("b", &json!({ "u": 3 }), None).await.unwrap();
    assert!(ran(&quoted, &mut seen, "update")
        .await
        .starts_with("UPDATE"));
    assert!(s.touch("a", Some(far)).await.unwrap());
    assert!(ran(&quoted, &mut seen, "touch").await.starts_with("UPDATE"));
    assert!(
        !s.touch("a", Some(far)).await.unwrap(),
        "inside touch_after"
    );
    assert!(
        ran(&quoted, &mut seen, "touch (skipped)")
            .await
            .starts_with("UPDATE"),
        "no read first"
    );
    s.length().await.unwrap();
    ran(&quoted, &mut seen, "length").await;
    s.ids().await.unwrap();
    ran(&quoted, &mut seen, "ids").await;
    s.ids_where("uid", 1).await.unwrap();
    ran(&quoted, &mut seen, "ids_where").await;
    s.sessions_where("uid", 1).await.unwrap();
    ran(&quoted, &mut seen, "sessions_where").await;
    s.destroy_where("uid", 3).await.unwrap();
    assert!(ran(&quoted, &mut seen, "destroy_where")
        .await
        .starts_with("DELETE"));
    s.destroy("a").await.unwrap();
    assert!(ran(&quoted, &mut seen, "destroy")
        .await
        .starts_with("DELETE"));
    s.clear().await.unwrap();
    assert!(ran(&quoted, &mut seen, "clear").await.starts_with("DELETE"));

    // Through tower-sessions: a load is one SELECT, an unchanged save inside touch_after
    // nothing at all, a changed save one UPDATE (no read first), and the same copy saved
    // again unchanged (a handler's save, then the layer's) nothing at all.
    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session_store::SessionStore;
        let mut record = super::tower_sessions_suite::new_record("u", json!(5));
        SessionStore::create(&s, &mut record).await.unwrap();
        assert!(ran(&quoted, &mut seen, "create")
            .await
            .starts_with("INSERT"));
        let mut loaded = SessionStore::load(&s, &record.id).await.unwrap().unwrap();
        assert!(ran(&quoted, &mut seen, "load").await.starts_with("SELECT"));
        SessionStore::save(&s, &loaded).await.unwrap();
        ran_nothing(&s, &quoted, &mut seen, "save (unchanged)").await;
        loaded.data.insert("u".to_owned(), json!(6));
        SessionStore::save(&s, &loaded).await.unwrap();
        assert!(ran(&quoted, &mut seen, "save (changed)")
            .await
            .starts_with("UPDATE"));
        SessionStore::save(&s, &loaded).await.unwrap();
        ran_nothing(
            &s,
            &quoted,
            &mut seen,
            "save (the same copy again, unchanged)",
        )
        .await;
    }
    B::cleanup(pool, &ctx).await;
}

/// Every operation and both front ends, with a known id and known data, while every event
/// at every level (the crate's, and sqlx's statements) is recorded: none carries either.
pub async fn no_log_event_carries_an_id_or_data<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    const ID: &str = "id-7f3a9c-do-not-log";
    const SECRET: &str = "data-b41e2d-do-not-log";
    let table = ctx.table("leak");
    let s = SqlStore::builder(pool.clone())
        .table_name(&table)
        .column(Column::text("who").indexed(true))
        .extend_default_fields(|d: &DefaultFields<'_>| {
            Fields::new().with("who", d.data["secret"].as_str().map(str::to_owned))
        })
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let data = json!({ "secret": SECRET });
    s.set(ID, &data, None).await.unwrap();
    s.get(ID).await.unwrap();
    s.get_as::<serde_json::Value>(ID).await.unwrap();
    s.insert(ID, &data, None).await.unwrap();
    s.update(ID, &data, None).await.unwrap();
    s.touch(ID, None).await.unwrap();
    s.ids().await.unwrap();
    s.ids_where("who", SECRET).await.unwrap();
    s.sessions_where("who", SECRET).await.unwrap();
    s.length().await.unwrap();
    // A failing write: the error path logs too.
    let _ = s.set(&"x".repeat(300), &data, None).await;
    s.destroy_where("who", SECRET).await.unwrap();
    s.destroy(ID).await.unwrap();
    s.set(ID, &data, Some(Utc::now() - TimeDelta::seconds(1)))
        .await
        .unwrap();
    s.clear_expired_sessions().await.unwrap();
    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session_store::SessionStore;
        let mut record = super::tower_sessions_suite::new_record("secret", json!(SECRET));
        SessionStore::create(&s, &mut record).await.unwrap();
        let loaded = SessionStore::load(&s, &record.id).await.unwrap().unwrap();
        SessionStore::save(&s, &loaded).await.unwrap();
        SessionStore::delete(&s, &record.id).await.unwrap();
        let tower_id = record.id.to_string();
        assert_no_leak(&[&tower_id, SECRET]);
    }
    #[cfg(feature = "async-session")]
    {
        use async_session::{Session, SessionStore};
        let mut session = Session::new();
        session.insert("secret", SECRET).unwrap();
        let id = session.id().to_owned();
        let cookie = s.store_session(session).await.unwrap().unwrap();
        let mut loaded = s.load_session(cookie.clone()).await.unwrap().unwrap();
        loaded.insert("more", SECRET).unwrap();
        s.store_session(loaded).await.unwrap();
        let loaded = s.load_session(cookie.clone()).await.unwrap().unwrap();
        s.destroy_session(loaded).await.unwrap();
        assert_no_leak(&[&id, &cookie, SECRET]);
    }
    assert_no_leak(&[ID, SECRET]);
    assert!(
        !capture::events_for(&table).is_empty(),
        "the store's own events were recorded"
    );
    B::cleanup(pool, &ctx).await;
}

fn assert_no_leak(secrets: &[&str]) {
    for event in capture::all_events() {
        let text = event.text();
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "an event carries {secret:?}: {text}"
            );
        }
    }
}

/// An app-managed table whose id column is not a key, or whose expiry has a zone-dependent
/// type, is refused by name before anything is written.
pub async fn app_managed_tables_without_a_key_or_with_zoned_times_are_refused<B: Backend>(
    ctx: Ctx,
) {
    use sqlx_session_store::Error;
    let pool = pool_or_skip!(B, ctx);
    let (id, json, time, _) = B::TYPES;
    let cases = [
        (
            "nokey",
            format!("sid {id} NOT NULL, data {json} NOT NULL, expires {time} NOT NULL"),
            "sid",
        ),
        (
            "zoned",
            format!(
                "sid {id} NOT NULL PRIMARY KEY, data {json} NOT NULL, expires {} NOT NULL",
                B::WRONG_TIME_TYPE
            ),
            "expires",
        ),
        // A key of two columns does not make the id unique either.
        (
            "pair",
            format!(
                "sid {id} NOT NULL, data {json} NOT NULL, expires {time} NOT NULL, \
                 PRIMARY KEY (sid, expires)"
            ),
            "sid",
        ),
    ];
    let mut extra: Vec<(&str, String, &str, Option<String>)> = Vec::new();
    match B::NAME {
        // A unique index that covers only part of the id, or only some rows, is no key.
        "mysql" => {
            extra.push((
                "prefix",
                format!("sid {id} NOT NULL, data {json} NOT NULL, expires {time} NOT NULL, UNIQUE KEY (sid(4))"),
                "sid",
                None,
            ));
            extra.push((
                "ci",
                format!("sid VARCHAR(255) NOT NULL PRIMARY KEY, data {json} NOT NULL, expires {time} NOT NULL"),
                "sid",
                None,
            ));
        }
        _ => extra.push((
            "partial",
            format!("sid {id} NOT NULL, data {json} NOT NULL, expires {time} NOT NULL"),
            "sid",
            Some("CREATE UNIQUE INDEX {idx} ON {t} (sid) WHERE expires IS NOT NULL".to_owned()),
        )),
    }
    if B::NAME == "postgres" {
        extra.push((
            "timeofday",
            format!("sid {id} NOT NULL PRIMARY KEY, data {json} NOT NULL, expires TIME WITH TIME ZONE NOT NULL"),
            "expires",
            None,
        ));
    }
    let cases = cases
        .into_iter()
        .map(|(tag, cols, bad)| (tag, cols, bad, None))
        .chain(extra);
    for (tag, columns, bad, index) in cases {
        let table = ctx.table(tag);
        B::exec(
            &pool,
            &format!("CREATE TABLE {} ({columns})", B::quote(&table)),
        )
        .await;
        if let Some(index) = index {
            let sql = index
                .replace("{idx}", &B::quote(&format!("{table}_u")))
                .replace("{t}", &B::quote(&table));
            B::exec(&pool, &sql).await;
        }
        let s = SqlStore::builder(pool.clone())
            .table_name(&table)
            .without_timestamp_columns()
            .without_version_column()
            .build()
            .unwrap();
        let err = s.verify_schema().await.unwrap_err();
        assert!(
            matches!(&err, Error::IncompatibleSchema { column, .. } if column == bad),
            "{tag}: {err}"
        );
        let err = s.set("a", &json!({}), None).await.unwrap_err();
        assert!(
            matches!(err, Error::IncompatibleSchema { .. }),
            "{tag}: {err}"
        );
        let count = format!("SELECT COUNT(*) FROM {}", B::quote(&table));
        assert_eq!(B::scalar(&pool, &count).await, 0, "{tag}: nothing written");
    }
    // Valid variants pass: an id that is UNIQUE rather than the primary key.
    let table = ctx.table("unique");
    B::exec(
        &pool,
        &format!(
            "CREATE TABLE {} (sid {id} NOT NULL UNIQUE, data {json} NOT NULL, expires {time} NOT NULL)",
            B::quote(&table)
        ),
    )
    .await;
    let s = SqlStore::builder(pool.clone())
        .table_name(&table)
        .without_timestamp_columns()
        .without_version_column()
        .build()
        .unwrap();
    s.verify_schema().await.unwrap();
    s.set("a", &json!(1), None).await.unwrap();
    s.set("a", &json!(2), None).await.unwrap();
    assert_eq!(s.get("a").await.unwrap().unwrap().data, json!(2));
    B::cleanup(pool, &ctx).await;
}

/// The futures of the store's operations stay small: sqlx's own (a pool's `acquire` is
/// ~18 KB) are boxed where the store makes them. Unboxed, a `get` future was 56 KB, copied
/// whole at every move, which cost more CPU per `get` than the rest of the store.
pub async fn operation_futures_stay_small<B: Backend>(ctx: Ctx) {
    const LIMIT: usize = 4 * 1024;
    let pool = pool_or_skip!(B, ctx);
    let s = super::backend::store::<B>(&pool, &ctx, "small");
    let data = json!(1);
    let sizes = [
        ("get", std::mem::size_of_val(&s.get("a"))),
        ("set", std::mem::size_of_val(&s.set("a", &data, None))),
        ("touch", std::mem::size_of_val(&s.touch("a", None))),
        ("destroy", std::mem::size_of_val(&s.destroy("a"))),
        ("length", std::mem::size_of_val(&s.length())),
        (
            "clear_expired_sessions",
            std::mem::size_of_val(&s.clear_expired_sessions()),
        ),
    ];
    for (op, size) in sizes {
        assert!(size <= LIMIT, "{op}: a {size}-byte future");
    }
    B::cleanup(pool, &ctx).await;
}

/// The one statement an operation ran on `quoted` since the `seen`th. SQLite's driver logs
/// a failed statement on its worker thread just after it hands the error back, so a
/// statement may show up a moment after its operation returned: wait for it (bounded).
async fn ran(quoted: &str, seen: &mut usize, op: &str) -> String {
    let from = *seen;
    super::wait_until(
        Duration::from_secs(5),
        &format!("{op}: its statement in sqlx's log"),
        || async { statements_on(quoted).len() > from },
    )
    .await;
    let all = statements_on(quoted);
    let new: Vec<String> = all[from..].iter().map(|st| st.sql.clone()).collect();
    *seen = all.len();
    assert_eq!(new.len(), 1, "{op}: one statement, ran {new:#?}");
    new.into_iter().next().unwrap()
}

/// Checks that an operation ran nothing on `quoted` since the `seen`th statement. Nothing
/// cannot be waited for, so a marker is: a `destroy` of an unknown id (a DELETE, which no
/// save runs), waited for like any statement. A statement the operation ran but SQLite
/// logged late shows up before the marker's, and fails the check instead of being missed.
async fn ran_nothing<DB: sqlx_session_store::Dialect>(
    s: &SqlStore<DB>,
    quoted: &str,
    seen: &mut usize,
    op: &str,
) {
    s.destroy("marker-after-nothing").await.unwrap();
    let from = *seen;
    super::wait_until(
        Duration::from_secs(5),
        &format!("{op}: the marker DELETE in sqlx's log"),
        || async {
            statements_on(quoted)[from..]
                .iter()
                .any(|st| st.sql.starts_with("DELETE"))
        },
    )
    .await;
    let all = statements_on(quoted);
    let new: Vec<String> = all[from..].iter().map(|st| st.sql.clone()).collect();
    *seen = all.len();
    assert!(
        new.len() == 1 && new[0].starts_with("DELETE"),
        "{op}: nothing but the marker DELETE, ran {new:#?}"
    );
}
