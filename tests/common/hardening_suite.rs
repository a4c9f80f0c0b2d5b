//! Production hardening on every backend: one id rule, undecodable rows as typed errors,
//! cleanup that checks the schema, ids hashed at rest (with the switch-over of an existing
//! table), and data encrypted at rest (rotation, ids bound, plain rows still read, no write
//! without a change).

#![allow(dead_code)]

use std::time::Duration;

use serde_json::json;
use sqlx_session_store::{Error, SqlStore};

use super::backend::{Backend, Ctx};
use super::capture::{self, statements_on};
use super::setup::{past_the_touch_window, pool_or_skip};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! hardening_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; hardening_suite:
            control_characters_in_ids_are_refused_before_any_sql,
            undecodable_rows_are_corrupt_rows,
            cleanup_on_a_missing_table_names_it,
            hashed_ids_never_reach_the_table,
            max_lifetime_ends_sessions_however_often_touched,
            plain_values_that_look_sealed_read_back_as_written,
        );
        #[cfg(feature = "encryption")]
        $crate::suite_tests!($backend; hardening_suite:
            data_is_encrypted_at_rest,
            plain_values_that_look_sealed_round_trip_encrypted,
        );
    };
}

/// Control characters are refused with `InvalidSessionId` by every operation, before
/// any SQL is sent (PostgreSQL alone would refuse NUL; SQLite and MySQL would keep it).
pub async fn control_characters_in_ids_are_refused_before_any_sql<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    let table = ctx.table("ctl_ids");
    let s = SqlStore::builder(pool.clone())
        .table_name(&table)
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    let quoted = B::quote(&table);
    let before = statements_on(&quoted).len();
    assert!(before > 0, "statements are recorded (migrate's are)");
    let invalid = |r: Result<(), Error>, what: &str, id: &str| match r {
        Err(Error::InvalidSessionId { reason }) => assert!(reason.contains("control"), "{what}"),
        other => panic!("{what} {id:?}: {other:?}"),
    };
    for id in [
        "a\0b",
        "\0",
        "line\nbreak",
        "tab\there",
        "del\u{7f}",
        "c1\u{85}x",
    ] {
        invalid(s.get(id).await.map(drop), "get", id);
        invalid(s.set(id, &json!(1), None).await, "set", id);
        invalid(s.insert(id, &json!(1), None).await.map(drop), "insert", id);
        invalid(s.update(id, &json!(1), None).await.map(drop), "update", id);
        invalid(s.touch(id, None).await.map(drop), "touch", id);
        invalid(s.destroy(id).await, "destroy", id);
        invalid(
            s.get_as::<serde_json::Value>(id).await.map(drop),
            "get_as",
            id,
        );
        invalid(s.set_as(id, &[1, 2], None).await, "set_as", id);
    }
    assert_eq!(
        statements_on(&quoted).len(),
        before,
        "no statement was sent for an invalid id"
    );
    // Printable non-ASCII ids stay valid.
    s.set("ünïcødé-✓", &json!(1), None).await.unwrap();
    assert!(s.get("ünïcødé-✓").await.unwrap().is_some());
    B::cleanup(pool, &ctx).await;
}

/// A row whose data is not text, or whose expiry can't be read as one, is
/// `Error::CorruptRow` (not a database error), and the row is left in place.
pub async fn undecodable_rows_are_corrupt_rows<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("undecodable");
    let q = B::quote(&table);
    let (id, _, time, _) = B::TYPES;
    let (data_type, not_text, bad_expiry) = match B::NAME {
        // Dynamic typing: a BLOB in the TEXT column, text in the INTEGER one.
        "sqlite" => ("TEXT", "x'00ff'", Some("'tomorrow'")),
        // A binary data column that holds bytes that are not UTF-8.
        "mysql" => ("LONGBLOB", "x'c328ff'", None),
        // TEXT only takes valid UTF-8: the database refuses such a row (checked below). A
        // timestamptz can hold `infinity`, which is no instant the store can represent.
        _ => (
            "TEXT",
            "convert_from('\\xc328ff'::bytea, 'UTF8')",
            Some("'infinity'"),
        ),
    };
    B::exec(
        &pool,
        &format!("CREATE TABLE {q} (sid {id} PRIMARY KEY, data {data_type} NOT NULL, expires {time} NOT NULL)"),
    )
    .await;
    let s = SqlStore::builder(pool.clone())
        .table_name(&table)
        .without_timestamp_columns()
        .without_version_column()
        .build()
        .unwrap();
    s.set("row", &json!({ "ok": true }), None).await.unwrap();
    let corrupt = B::try_exec(&pool, &format!("UPDATE {q} SET data = {not_text}")).await;
    if B::NAME == "postgres" {
        assert!(corrupt.is_err(), "PostgreSQL refuses invalid UTF-8 in TEXT");
    } else {
        corrupt.unwrap();
        let err = s.get("row").await.unwrap_err();
        assert!(matches!(err, Error::CorruptRow { .. }), "{err:?}");
    }
    if let Some(bad) = bad_expiry {
        B::exec(
            &pool,
            &format!("UPDATE {q} SET data = '{{}}', expires = {bad}"),
        )
        .await;
        let err = s.get("row").await.unwrap_err();
        assert!(matches!(err, Error::CorruptRow { .. }), "{err:?}");
    }
    let count = format!("SELECT COUNT(*) FROM {q}");
    assert_eq!(B::scalar(&pool, &count).await, 1, "the row is kept");
    B::cleanup(pool, &ctx).await;
}

/// `clear_expired_sessions` (and tower-sessions' `delete_expired`) on a table that is
/// missing says so, like every other operation.
pub async fn cleanup_on_a_missing_table_names_it<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let s = SqlStore::builder(pool.clone())
        .table_name(ctx.table("never_migrated"))
        .build()
        .unwrap();
    let err = s.clear_expired_sessions().await.unwrap_err();
    assert!(matches!(err, Error::MissingColumns { .. }), "{err:?}");
    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session_store::ExpiredDeletion;
        let message = s.delete_expired().await.unwrap_err().to_string();
        assert!(message.contains("lacks the columns"), "{message}");
    }
    B::cleanup(pool, &ctx).await;
}

/// The stored ids of `table`, read behind the store's back.
async fn stored_ids<B: Backend>(pool: &sqlx::Pool<B::DB>, table: &str) -> Vec<String> {
    let s = SqlStore::builder(pool.clone())
        .table_name(table)
        .build()
        .unwrap();
    let mut ids = s.ids().await.unwrap();
    ids.sort();
    ids
}

/// Under `hash_ids`, the table holds digests only, through the core API and both front
/// ends; an existing table switches over with `hash_existing_ids` and keeps its sessions.
pub async fn hashed_ids_never_reach_the_table<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("hashed");
    let plain = SqlStore::builder(pool.clone())
        .table_name(&table)
        .build()
        .unwrap();
    plain.migrate().await.unwrap();
    for id in ["old-1", "old-2", "old-3"] {
        plain.set(id, &json!({ "was": id }), None).await.unwrap();
    }
    let hashed = SqlStore::builder(pool.clone())
        .table_name(&table)
        .hash_ids(true)
        .build()
        .unwrap();
    assert!(
        hashed.get("old-1").await.unwrap().is_none(),
        "not converted yet"
    );
    assert_eq!(hashed.hash_existing_ids().await.unwrap(), 3);
    assert_eq!(hashed.hash_existing_ids().await.unwrap(), 0, "idempotent");
    assert_eq!(
        hashed.get("old-1").await.unwrap().unwrap().data,
        json!({ "was": "old-1" }),
        "a session written before the switch is found under its cookie's id"
    );
    assert!(plain.get("old-1").await.unwrap().is_none());
    let err = plain.hash_existing_ids().await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidConfig {
            option: "hash_ids",
            ..
        }
    ));

    hashed.set("new-1", &json!({ "n": 1 }), None).await.unwrap();
    assert!(hashed
        .touch("new-1", Some(past_the_touch_window()))
        .await
        .unwrap());
    assert!(hashed.insert("new-2", &json!({}), None).await.unwrap());
    assert!(!hashed.insert("new-2", &json!({}), None).await.unwrap());
    assert!(hashed
        .update("new-2", &json!({ "n": 2 }), None)
        .await
        .unwrap());
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(unused_mut)
    )]
    let mut secrets = vec!["new-1".to_owned(), "new-2".to_owned()];
    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session_store::SessionStore;
        let mut record = super::tower_sessions_suite::new_record("k", json!("v"));
        SessionStore::create(&hashed, &mut record).await.unwrap();
        let loaded = SessionStore::load(&hashed, &record.id)
            .await
            .unwrap()
            .unwrap();
        use super::tower_sessions_suite::without_base;
        assert_eq!(without_base(&loaded.data), without_base(&record.data));
        SessionStore::save(&hashed, &loaded).await.unwrap();
        secrets.push(record.id.to_string());
    }
    #[cfg(feature = "async-session")]
    {
        use async_session::{Session, SessionStore};
        let mut session = Session::new();
        session.insert("k", "v").unwrap();
        let id = session.id().to_owned();
        let cookie = hashed.store_session(session).await.unwrap().unwrap();
        let loaded = hashed.load_session(cookie).await.unwrap().unwrap();
        assert_eq!(loaded.get::<String>("k").as_deref(), Some("v"));
        secrets.push(id);
    }
    let ids = stored_ids::<B>(&pool, &table).await;
    assert_eq!(ids.len(), 3 + secrets.len());
    for id in &ids {
        assert!(id.starts_with("b3:") && id.len() == 67, "{id}");
    }
    for secret in &secrets {
        assert!(!ids.contains(secret), "an id reached the table");
    }
    hashed.destroy("new-1").await.unwrap();
    assert!(hashed.get("new-1").await.unwrap().is_none());
    assert_eq!(
        stored_ids::<B>(&pool, &table).await.len(),
        2 + secrets.len()
    );
    B::cleanup(pool, &ctx).await;
}

/// Plain values that begin like sealed data (`"$gcm1$..."`, a JSON string), or like the
/// form the store writes them in (one more `$`), and values holding such strings deeper.
fn sealed_lookalikes() -> Vec<serde_json::Value> {
    vec![
        json!("$gcm1$x"),
        json!("$gcm1$k$AAAA"),
        json!("$gcm1$"),
        // A well-formed envelope: a key id of 8 hex digits, 40 bytes of base64url.
        json!("$gcm1$deadbeef$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        json!("$$gcm1$x"),
        json!("$$$gcm1$k$AAAA"),
        json!("$"),
        json!("$$"),
        json!("$gcm2$x"),
        json!("gcm1$x"),
        json!(["$gcm1$x"]),
        json!({ "v": "$gcm1$x" }),
    ]
}

/// Without encryption keys (the default), any value `set` stores reads back as written,
/// one that begins like sealed data (a JSON string `"$gcm1$..."`) too, through `get` and
/// `get_as`: in the store's own table and, where the database normalises the JSON it
/// returns (PostgreSQL `JSONB`, MySQL `JSON`), in an app-managed table.
pub async fn plain_values_that_look_sealed_read_back_as_written<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("lookalike");
    let own = SqlStore::builder(pool.clone())
        .table_name(&table)
        .build()
        .unwrap();
    own.migrate().await.unwrap();
    let normalised = ctx.table("lookalike_norm");
    let (id, _, time, _) = B::TYPES;
    let data_type = match B::NAME {
        "postgres" => "JSONB",
        "mysql" => "JSON",
        _ => "TEXT",
    };
    B::exec(
        &pool,
        &format!(
            "CREATE TABLE {} (sid {id} PRIMARY KEY, data {data_type} NOT NULL, expires {time} NOT NULL)",
            B::quote(&normalised)
        ),
    )
    .await;
    let app = SqlStore::builder(pool.clone())
        .table_name(&normalised)
        .without_timestamp_columns()
        .without_version_column()
        .build()
        .unwrap();
    for store in [&own, &app] {
        for (i, value) in sealed_lookalikes().into_iter().enumerate() {
            let sid = format!("v{i}");
            store.set(&sid, &value, None).await.unwrap();
            let got = store.get(&sid).await;
            assert!(
                matches!(&got, Ok(Some(s)) if s.data == value),
                "{data_type}: {value} read back as {got:?}"
            );
            let got = store.get_as::<serde_json::Value>(&sid).await;
            assert!(
                matches!(&got, Ok(Some(s)) if s.data == value),
                "{data_type}: {value} read back by get_as as {got:?}"
            );
        }
    }
    // Rows written before: a plain row is read as it is.
    let q = B::quote(&table);
    let sid = B::quote("sid");
    for (i, text) in [r#"{"a":1}"#, r#""$$x""#, r#""plain""#, "[1]"]
        .into_iter()
        .enumerate()
    {
        B::exec(
            &pool,
            &format!("UPDATE {q} SET data = '{text}' WHERE {sid} = 'v{i}'"),
        )
        .await;
        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            own.get(&format!("v{i}")).await.unwrap().unwrap().data,
            expected
        );
    }
    B::cleanup(pool, &ctx).await;
}

#[cfg(feature = "encryption")]
fn key(byte: u8) -> sqlx_session_store::EncryptionKey {
    sqlx_session_store::EncryptionKey::from_bytes([byte; 32])
}

/// With encryption keys, no session data reaches the table in plain text, a row's
/// ciphertext does not decrypt under another id, keys rotate, plain rows written before
/// still read, and an unchanged tower-sessions save writes nothing.
#[cfg(feature = "encryption")]
pub async fn data_is_encrypted_at_rest<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("sealed");
    let q = B::quote(&table);
    let plain = SqlStore::builder(pool.clone())
        .table_name(&table)
        .build()
        .unwrap();
    plain.migrate().await.unwrap();
    plain
        .set("before", &json!({ "s": "plain-before" }), None)
        .await
        .unwrap();
    let old = SqlStore::builder(pool.clone())
        .table_name(&table)
        .encryption_keys(vec![key(1)])
        .build()
        .unwrap();
    assert_eq!(
        old.get("before").await.unwrap().unwrap().data["s"],
        "plain-before",
        "rows written before encryption was on still read"
    );
    old.set("a", &json!({ "s": "SECRET-A" }), None)
        .await
        .unwrap();
    old.set("b", &json!({ "s": "SECRET-B" }), None)
        .await
        .unwrap();
    let text = if B::NAME == "mysql" { "CHAR" } else { "TEXT" };
    let raw = B::scalar(
        &pool,
        &format!("SELECT COUNT(*) FROM {q} WHERE CAST(data AS {text}) LIKE '%SECRET%'"),
    )
    .await;
    assert_eq!(raw, 0, "no plaintext in the table");
    // Rotation: the new key first, the old one kept to read.
    let rotated = SqlStore::builder(pool.clone())
        .table_name(&table)
        .encryption_keys(vec![key(2), key(1)])
        .build()
        .unwrap();
    assert_eq!(
        rotated.get("a").await.unwrap().unwrap().data["s"],
        "SECRET-A"
    );
    rotated
        .set("c", &json!({ "s": "SECRET-C" }), None)
        .await
        .unwrap();
    assert!(
        matches!(old.get("c").await, Err(Error::CorruptRow { .. })),
        "old ring, new key"
    );
    let new_only = SqlStore::builder(pool.clone())
        .table_name(&table)
        .encryption_keys(vec![key(2)])
        .build()
        .unwrap();
    assert!(
        matches!(new_only.get("a").await, Err(Error::CorruptRow { .. })),
        "key dropped"
    );
    assert_eq!(
        new_only.get("c").await.unwrap().unwrap().data["s"],
        "SECRET-C"
    );
    // b's ciphertext copied into a's row does not open under a's id.
    let sid = B::quote("sid");
    B::exec(
        &pool,
        &format!(
            "UPDATE {q} SET data = (SELECT data FROM (SELECT data FROM {q} WHERE {sid} = 'b') x) WHERE {sid} = 'a'"
        ),
    )
    .await;
    let moved = rotated.get("a").await.unwrap_err();
    assert!(matches!(moved, Error::CorruptRow { .. }), "{moved:?}");
    assert!(!format!("{moved:?}").contains("SECRET"));
    let refused = SqlStore::builder(pool.clone())
        .encryption_keys(vec![])
        .build();
    assert!(matches!(refused, Err(Error::InvalidConfig { .. })));

    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session_store::SessionStore;
        let sliding = SqlStore::builder(pool.clone())
            .table_name(&table)
            .encryption_keys(vec![key(2)])
            .touch_after(Duration::from_secs(600))
            .build()
            .unwrap();
        let mut record = super::tower_sessions_suite::new_record("s", json!("SECRET-T"));
        SessionStore::create(&sliding, &mut record).await.unwrap();
        super::backend::count_row_updates::<B>(&pool, &table).await;
        for _ in 0..20 {
            let mut loaded = SessionStore::load(&sliding, &record.id)
                .await
                .unwrap()
                .unwrap();
            loaded.expiry_date = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
            SessionStore::save(&sliding, &loaded).await.unwrap();
        }
        assert_eq!(
            super::backend::row_updates::<B>(&pool, &table).await,
            0,
            "unchanged: no write"
        );
        let mut loaded = SessionStore::load(&sliding, &record.id)
            .await
            .unwrap()
            .unwrap();
        loaded.data.insert("n".to_owned(), json!(1));
        SessionStore::save(&sliding, &loaded).await.unwrap();
        assert_eq!(
            super::backend::row_updates::<B>(&pool, &table).await,
            1,
            "changed: one write"
        );
        let again = SessionStore::load(&sliding, &record.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.data["n"], 1);
    }
    B::cleanup(pool, &ctx).await;
}

/// With encryption keys, a plain value that begins like sealed data is sealed like any
/// other and reads back as written; a store without keys reports the sealed row as a
/// `CorruptRow`, never as its data; rows a store without keys wrote read under keys.
#[cfg(feature = "encryption")]
pub async fn plain_values_that_look_sealed_round_trip_encrypted<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("lookalike_sealed");
    let q = B::quote(&table);
    let sealed = SqlStore::builder(pool.clone())
        .table_name(&table)
        .encryption_keys(vec![key(1)])
        .build()
        .unwrap();
    sealed.migrate().await.unwrap();
    let plain = SqlStore::builder(pool.clone())
        .table_name(&table)
        .build()
        .unwrap();
    let values = sealed_lookalikes();
    for (i, value) in values.iter().enumerate() {
        let sid = format!("s{i}");
        sealed.set(&sid, value, None).await.unwrap();
        assert_eq!(&sealed.get(&sid).await.unwrap().unwrap().data, value);
        assert_eq!(
            &sealed
                .get_as::<serde_json::Value>(&sid)
                .await
                .unwrap()
                .unwrap()
                .data,
            value
        );
        match plain.get(&sid).await {
            Err(Error::CorruptRow { what, .. }) => {
                assert!(what.contains("no encryption keys"), "{what}");
            }
            other => panic!("{value} sealed, read without keys: {other:?}"),
        }
        plain.set(&format!("p{i}"), value, None).await.unwrap();
        assert_eq!(
            &sealed.get(&format!("p{i}")).await.unwrap().unwrap().data,
            value,
            "written without keys, read with them"
        );
    }
    let text = if B::NAME == "mysql" { "CHAR" } else { "TEXT" };
    let id = key(1);
    let sealed_rows = B::scalar(
        &pool,
        &format!(
            "SELECT COUNT(*) FROM {q} WHERE CAST(data AS {text}) LIKE '\"$gcm1${}$%'",
            id.id()
        ),
    )
    .await;
    assert_eq!(
        sealed_rows,
        values.len() as i64,
        "only the s* rows are sealed"
    );
    B::cleanup(pool, &ctx).await;
}

/// `max_lifetime`: a session created longer ago than that is over, however recently it
/// was touched: not served through any front end, not extended, and swept by cleanup.
pub async fn max_lifetime_ends_sessions_however_often_touched<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("lifetime");
    let q = B::quote(&table);
    let s = SqlStore::builder(pool.clone())
        .table_name(&table)
        .max_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s.set("old", &json!({ "n": 1 }), None).await.unwrap();
    s.set("young", &json!({ "n": 2 }), None).await.unwrap();
    assert!(
        s.touch("old", Some(past_the_touch_window())).await.unwrap(),
        "inside its lifetime"
    );
    let two_hours_ago = B::TWO_HOURS_AGO;
    let sid = B::quote("sid");
    B::exec(
        &pool,
        &format!("UPDATE {q} SET created_at = {two_hours_ago} WHERE {sid} = 'old'"),
    )
    .await;
    // Its expiry is a day away, but it was created two hours ago.
    assert!(s.get("old").await.unwrap().is_none(), "not served");
    assert!(
        !s.touch("old", Some(past_the_touch_window())).await.unwrap(),
        "not extended"
    );
    assert!(
        !s.update("old", &json!({ "n": 3 }), None).await.unwrap(),
        "not saved"
    );
    s.set("old", &json!({ "n": 4 }), None).await.unwrap();
    assert!(
        s.get("old").await.unwrap().is_none(),
        "set keeps the creation time"
    );
    assert_eq!(
        s.get("young").await.unwrap().unwrap().data,
        json!({ "n": 2 })
    );
    assert_eq!(
        s.clear_expired_sessions().await.unwrap(),
        1,
        "the outlived row is swept"
    );
    let count = format!("SELECT COUNT(*) FROM {q}");
    assert_eq!(B::scalar(&pool, &count).await, 1);
    #[cfg(feature = "tower-sessions")]
    {
        use tower_sessions::session_store::SessionStore;
        let mut record = super::tower_sessions_suite::new_record("k", json!("v"));
        SessionStore::create(&s, &mut record).await.unwrap();
        assert!(SessionStore::load(&s, &record.id).await.unwrap().is_some());
        let stored = record.id.to_string();
        B::exec(
            &pool,
            &format!("UPDATE {q} SET created_at = {two_hours_ago} WHERE {sid} = '{stored}'"),
        )
        .await;
        assert!(SessionStore::load(&s, &record.id).await.unwrap().is_none());
    }
    let refused = SqlStore::builder(pool.clone())
        .without_timestamp_columns()
        .max_lifetime(Duration::from_secs(60))
        .build();
    assert!(matches!(
        refused,
        Err(Error::InvalidConfig {
            option: "max_lifetime",
            ..
        })
    ));
    B::cleanup(pool, &ctx).await;
}
