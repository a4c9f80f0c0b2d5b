//! Errors are safe to log: real failures provoked with a known secret session id and secret
//! session data, and every error's `Display`, `Debug` and `{:#?}`, and those of each error
//! in its `source()` chain, checked to hold neither (through the core API and both front
//! ends), while still saying what went wrong.

#![allow(dead_code)]

use std::error::Error as StdError;

use serde_json::json;
use sqlx::Pool;
use sqlx_session_store::{Column, DatabaseError, DefaultFields, Error, Fields, SqlStore};

use super::backend::{store, Backend, Ctx};
use super::setup::pool_or_skip;

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! redaction_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; redaction_suite:
            database_errors_carry_no_values,
            corrupt_rows_carry_no_data,
            serialize_errors_carry_no_data,
        );
    };
}

/// Every session id these tests use starts with this.
const SID: &str = "sid-SECRET-7f3a";
/// Every piece of session data (and custom column value) these tests use contains this.
const DATA: &str = "data-SECRET-c41d";

/// Panics if `text` holds a secret.
fn assert_clean(text: &str, what: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} leaks a secret ({secret}): {text}"
        );
    }
}

/// Checks `Display`, `Debug` and `{:#?}` of `e` and of every error in its source chain.
fn assert_safe(e: &(dyn StdError + 'static), context: &str, secrets: &[&str]) {
    let mut next = Some(e);
    let mut depth = 0;
    while let Some(e) = next {
        let what = format!("{context}, chain link {depth}");
        assert_clean(&format!("{e}"), &format!("{what} Display"), secrets);
        assert_clean(&format!("{e:?}"), &format!("{what} Debug"), secrets);
        assert_clean(&format!("{e:#?}"), &format!("{what} {{:#?}}"), secrets);
        next = e.source();
        depth += 1;
    }
}

/// The crate's error, checked safe, and its database source.
fn database_source<'e>(e: &'e Error, context: &str) -> &'e DatabaseError {
    assert_safe(e, context, &[SID, DATA]);
    match e {
        Error::Database { source, .. } => source,
        other => panic!("{context}: expected a database error, got {other:?}"),
    }
}

/// An app-managed table: the store's columns, a `tag` with a UNIQUE index, `n` with a CHECK
/// constraint and a NOT NULL `req`, all three filled from the session data.
async fn constrained_store<B: Backend>(pool: &Pool<B::DB>, ctx: &Ctx) -> SqlStore<B::DB> {
    let (id, json, time, bigint) = B::TYPES;
    let table = ctx.table("constrained");
    let quoted = B::quote(&table);
    B::exec(
        pool,
        &format!(
            "CREATE TABLE {quoted} (sid {id} NOT NULL PRIMARY KEY, data {json} NOT NULL, \
             expires {time} NOT NULL, tag VARCHAR(255) NULL, n {bigint} NULL CHECK (n < 10), \
             req {bigint} NOT NULL)"
        ),
    )
    .await;
    let index = B::quote(&format!("{table}_uq"));
    B::exec(
        pool,
        &format!("CREATE UNIQUE INDEX {index} ON {quoted} (tag)"),
    )
    .await;
    SqlStore::builder(pool.clone())
        .table_name(&table)
        .without_timestamp_columns()
        .without_version_column()
        .column(Column::text("tag"))
        .column(Column::integer("n"))
        // Nullable for the store, NOT NULL in the table: the database refuses a NULL.
        .column(Column::integer("req"))
        .extend_default_fields(|d: &DefaultFields<'_>| {
            Fields::new()
                .with("tag", d.data["tag"].as_str())
                .with("n", d.data["n"].as_i64())
                .with("req", d.data["req"].as_i64())
        })
        .build()
        .unwrap()
}

/// A unique violation quoting the value (PostgreSQL's detail "Key (tag)=(...) already
/// exists", MySQL's "Duplicate entry '...'"), a CHECK and a NOT NULL violation (PostgreSQL's
/// "Failing row contains (id, data, ...)"): none of it in the error, its code still there.
pub async fn database_errors_carry_no_values<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = constrained_store::<B>(&pool, &ctx).await;
    let tag = format!("{DATA}-tag");
    let data = |extra: serde_json::Value| {
        let mut d = json!({ "secret": DATA, "tag": tag, "req": 1 });
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        d
    };
    s.set(&format!("{SID}-a"), &data(json!({})), None)
        .await
        .unwrap();

    // Unique violation: another session given the same (secret) tag. By `update`: MySQL's
    // upsert (`ON DUPLICATE KEY UPDATE`) would update the row holding the tag instead.
    let b = format!("{SID}-b");
    s.set(&b, &data(json!({ "tag": "other" })), None)
        .await
        .unwrap();
    let err = s.update(&b, &data(json!({})), None).await.unwrap_err();
    let db = database_source(&err, "unique violation");
    assert!(db.is_unique_violation(), "{db:?}");
    assert_eq!(db.kind(), sqlx_session_store::DatabaseErrorKind::Database);
    match B::NAME {
        "postgres" => {
            assert_eq!(db.code(), Some("23505"));
            assert!(
                db.constraint().is_some_and(|c| c.ends_with("_uq")),
                "{db:?}"
            );
            // The constraint's name is schema, kept; the value is not.
            assert!(
                db.to_string()
                    .contains("duplicate key value violates unique constraint \"t_"),
                "{db}"
            );
        }
        "mysql" => {
            assert_eq!(db.code(), Some("23000"));
            assert_eq!(db.number(), Some(1062));
            assert!(
                db.to_string().contains("Duplicate entry '…' for key '…'"),
                "{db}"
            );
        }
        _ => {
            assert_eq!(db.code(), Some("2067"), "SQLITE_CONSTRAINT_UNIQUE");
            assert!(db.to_string().contains("UNIQUE constraint failed"), "{db}");
        }
    }
    if B::NAME != "sqlite" {
        // The provoked error really did quote the value: the raw error is kept, unprinted.
        assert!(format!("{:?}", db.raw()).contains(DATA), "{:?}", db.raw());
    }

    // CHECK violation (PostgreSQL's detail quotes the whole row: id and data).
    let err = s
        .set(
            &format!("{SID}-c"),
            &data(json!({ "tag": null, "n": 50 })),
            None,
        )
        .await
        .unwrap_err();
    let db = database_source(&err, "check violation");
    assert!(db.is_check_violation(), "{db:?}");
    assert!(db.code().is_some(), "{db:?}");
    if B::NAME == "postgres" {
        assert_eq!(db.code(), Some("23514"));
        assert!(format!("{:?}", db.raw()).contains(SID), "{:?}", db.raw());
    }

    // NOT NULL violation.
    let err = s
        .set(
            &format!("{SID}-d"),
            &data(json!({ "tag": null, "req": null })),
            None,
        )
        .await
        .unwrap_err();
    let db = database_source(&err, "not null violation");
    assert!(db.is_not_null_violation(), "{db:?}");
    assert!(db.code().is_some(), "{db:?}");
    if B::NAME == "postgres" {
        assert_eq!(db.code(), Some("23502"));
        assert!(format!("{:?}", db.raw()).contains(SID), "{:?}", db.raw());
    }
    assert_eq!(s.length().await.unwrap(), 2, "nothing else was written");

    #[cfg(feature = "tower-sessions")]
    tower_save_refused_by_the_database::<B>(&s, &tag).await;
    B::cleanup(pool, &ctx).await;
}

/// The tower-sessions front end reports the unique violation as a string: safe too.
#[cfg(feature = "tower-sessions")]
async fn tower_save_refused_by_the_database<B: Backend>(s: &SqlStore<B::DB>, tag: &str) {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::{Error as StoreError, SessionStore};
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut record = Record {
        id: Id::default(),
        data: [
            ("req".to_owned(), json!(1)),
            ("tag".to_owned(), json!(format!("{DATA}-other"))),
        ]
        .into(),
        expiry_date: expiry,
    };
    SessionStore::create(s, &mut record).await.unwrap();
    let id = record.id.to_string();
    record.data.insert("tag".to_owned(), json!(tag));
    record.data.insert("secret".to_owned(), json!(DATA));
    let err = SessionStore::save(s, &record).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert_safe(&err, "tower-sessions save", &[SID, DATA, &id]);
    assert!(err.to_string().contains("database error"), "{err}");
}

/// A struct whose decoding of the corrupt rows below fails quoting the data.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Typed {
    n: u32,
}

/// Rows whose data is JSON of the wrong shape (serde_json quotes the offending string:
/// `invalid type: string "...", expected ...`, ``unknown field `...` ``) or not JSON at all,
/// read through `get_as`, `get` and both front ends.
pub async fn corrupt_rows_carry_no_data<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = store::<B>(&pool, &ctx, "corrupt");
    s.migrate().await.unwrap();
    let table = B::quote(&ctx.table("corrupt"));
    let overwrite = |sid: &str, text: &str| {
        let text = text.replace('\'', "''");
        format!("UPDATE {table} SET data = '{text}' WHERE sid = '{sid}'")
    };
    let sid = format!("{SID}-typed");
    s.set(&sid, &json!({}), None).await.unwrap();
    let mut rows = vec![
        format!(r#"{{"n": "{DATA}"}}"#),
        format!(r#"{{"{DATA}": 1}}"#),
        format!(r#""{DATA}""#),
        format!(r#"[1, "{DATA}"]"#),
    ];
    if B::STORES_INVALID_JSON {
        rows.push(format!(r#"{{"n": {DATA}}}"#));
        rows.push(format!(r#"{{"n": "{DATA}"#));
    }
    for text in &rows {
        B::exec(&pool, &overwrite(&sid, text)).await;
        let err = s.get_as::<Typed>(&sid).await.unwrap_err();
        assert!(matches!(err, Error::CorruptRow { .. }), "{err:?}");
        assert_safe(&err, &format!("get_as of {text}"), &[SID, DATA]);
        assert!(
            err.source()
                .is_some_and(|e| e.to_string().contains("at line 1 column")),
            "the position is kept: {err:?}"
        );
        if let Err(err) = s.get(&sid).await {
            assert_safe(&err, &format!("get of {text}"), &[SID, DATA]);
        }
    }

    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session::Id;
        use tower_sessions::session_store::{Error as StoreError, SessionStore};
        let id = Id::default();
        let id_text = id.to_string();
        s.set(&id_text, &json!({}), None).await.unwrap();
        for text in rows.iter().skip(2) {
            B::exec(&pool, &overwrite(&id_text, text)).await;
            let err = SessionStore::load(&s, &id).await.unwrap_err();
            assert!(matches!(err, StoreError::Decode(_)), "{err:?}");
            assert_safe(&err, &format!("tower load of {text}"), &[DATA, &id_text]);
            assert!(err.to_string().contains("corrupt"), "{err}");
        }
    }

    #[cfg(feature = "async-session")]
    {
        use async_session::{Session, SessionStore};
        let cookie = Session::new().into_cookie_value().unwrap();
        let id = Session::id_from_cookie_value(&cookie).unwrap();
        s.set(&id, &json!({}), None).await.unwrap();
        for text in rows.iter().skip(2) {
            B::exec(&pool, &overwrite(&id, text)).await;
            let err = s.load_session(cookie.clone()).await.unwrap_err();
            let secrets = [DATA, &id, &cookie];
            for (what, shown) in [
                ("Display", format!("{err}")),
                ("{:#}", format!("{err:#}")),
                ("Debug", format!("{err:?}")),
                ("{:#?}", format!("{err:#?}")),
            ] {
                assert_clean(
                    &shown,
                    &format!("async-session load of {text}, {what}"),
                    &secrets,
                );
            }
            for cause in err.chain() {
                assert_safe(cause, &format!("async-session load of {text}"), &secrets);
            }
            let ours = err.downcast_ref::<Error>().expect("the crate's error type");
            assert!(matches!(ours, Error::CorruptRow { .. }), "{ours:?}");
        }
    }
    B::cleanup(pool, &ctx).await;
}

/// Data whose `Serialize` impl fails with a message holding the data.
struct Unserializable;

impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(format!("cannot write {DATA}")))
    }
}

/// `set_as` of data that fails to serialize, and an async-session value that is not JSON:
/// the error says so, without the data.
pub async fn serialize_errors_carry_no_data<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = store::<B>(&pool, &ctx, "ser");
    s.migrate().await.unwrap();
    let err = s.set_as(SID, &Unserializable, None).await.unwrap_err();
    assert!(matches!(err, Error::Serialize(_)), "{err:?}");
    assert_safe(&err, "set_as", &[SID, DATA]);
    assert!(
        err.source()
            .is_some_and(|e| e.to_string() == "JSON data error"),
        "{err:?}"
    );

    #[cfg(feature = "async-session")]
    {
        use async_session::{Session, SessionStore};
        for raw in [format!("\"{DATA}"), format!("{{\"{DATA}\": 1E400}}")] {
            let mut session = Session::new();
            session.insert_raw("k", raw.clone());
            let id = session.id().to_owned();
            let err = s.store_session(session).await.unwrap_err();
            assert_clean(
                &format!("{err:?}"),
                "async-session store Debug",
                &[DATA, &id],
            );
            for cause in err.chain() {
                assert_safe(
                    cause,
                    &format!("async-session store of {raw}"),
                    &[DATA, &id],
                );
            }
            let ours = err.downcast_ref::<Error>().expect("the crate's error type");
            assert!(matches!(ours, Error::Serialize(_)), "{ours:?}");
        }
    }
    assert_eq!(s.length().await.unwrap(), 0, "nothing was written");
    B::cleanup(pool, &ctx).await;
}
