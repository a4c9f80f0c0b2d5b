//! Overlapping requests of one session keep each other's changes: two overlapping HTTP
//! requests with one cookie through tower-sessions' `SessionManagerLayer`, tide's
//! `SessionMiddleware` and axum-sessions' `SessionLayer`; tower-sessions' `SessionStore`
//! calls and its `Session` type; async-session's `SessionStore` trait; on one store instance
//! and on two (two app servers), on every backend. What is checked is the stored row, and
//! what is counted is the statements the database ran.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::Pool;
use sqlx_session_store::{Builder, Dialect, SqlStore, BASE_KEY};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error as TowerError, SessionStore as TowerStore};

use super::backend::{Backend, Ctx};
use super::capture::{self, statements_on};
use super::fields_suite::with_user_columns;
use super::setup::pool_or_skip;
use super::sliding_suite::{app, Client, Pause, FRONTS};
use super::tower_sessions_suite::without_base;

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! merge_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; merge_suite:
            overlapping_requests_keep_both_changes,
            tower_saves_merge_per_key,
            async_session_saves_merge_and_regenerate_drops_the_old_id,
            ended_sessions_stay_ended,
            tower_session_cycle_id_and_clear,
            merged_writes_keep_the_hook_hashed_ids_encryption_and_size_limit,
            modify_never_loses_a_concurrent_change,
            strict_merge_refuses_a_key_both_changed,
            repeated_saves_and_replacements,
            a_narrow_version_column_is_refused,
        );
    };
}

/// Two stores on one table, each on its own pool (two app servers), or one store twice.
async fn instances<B: Backend>(
    pools: (&Pool<B::DB>, &Pool<B::DB>),
    table: &str,
    two: bool,
    configure: impl Fn(Builder<B::DB>) -> Builder<B::DB>,
) -> (SqlStore<B::DB>, SqlStore<B::DB>) {
    let open = |pool: &Pool<B::DB>| {
        configure(SqlStore::builder(pool.clone()).table_name(table))
            .build()
            .unwrap()
    };
    let a = open(pools.0);
    a.migrate().await.unwrap();
    let b = if two { open(pools.1) } else { a.clone() };
    (a, b)
}

/// The one session's stored data.
async fn only_session<DB: Dialect>(store: &SqlStore<DB>) -> Value {
    let ids = store.ids().await.unwrap();
    assert_eq!(ids.len(), 1, "one session");
    store.get(&ids[0]).await.unwrap().unwrap().data
}

/// Runs `slow` (which pauses between its load and its save) and, inside its pause, `fast`.
async fn overlap(slow: &mut Client, path: &str, pause: &Pause, fast: &mut Client, fast_path: &str) {
    let ((), ()) = tokio::join!(
        async {
            slow.get(path).await;
        },
        async {
            pause.loaded.notified().await;
            fast.get(fast_path).await;
            pause.resume.notify_one();
        }
    );
}

/// Two overlapping requests with one cookie, each changing its own key, through each
/// framework's layer: both changes are kept, and a key one request removed stays removed.
pub async fn overlapping_requests_keep_both_changes<B: Backend>(ctx: Ctx) {
    let pool_a = pool_or_skip!(B, ctx);
    let pool_b = pool_or_skip!(B, ctx);
    for front in FRONTS {
        for two in [false, true] {
            let table = ctx.table(&format!("http{}{}", front as u8, u8::from(two)));
            let (a, b) = instances::<B>((&pool_a, &pool_b), &table, two, |b| b).await;
            let pause = Pause::default();
            let app_a = app(front, a.clone(), pause.clone());
            let app_b = app(front, b.clone(), Pause::default());
            let mut first = Client::new(app_a.clone());
            first.get("/bump").await;
            first.get("/set_gone").await;
            let mut slow = Client::with_cookie(app_a, first.cookie.clone());
            let mut fast = Client::with_cookie(app_b, first.cookie.clone());
            let case = format!("{front:?}, two instances: {two}");

            // The slow request sets `a` after the fast one set `b`.
            overlap(&mut slow, "/hold_set_a", &pause, &mut fast, "/set_b").await;
            assert_eq!(
                only_session(&a).await,
                json!({ "n": 1, "gone": 1, "a": "from a", "b": "from b" }),
                "{case}: both changes kept"
            );
            // The slow request removes `gone` after the fast one changed `n`.
            overlap(&mut slow, "/hold_remove_gone", &pause, &mut fast, "/bump").await;
            assert_eq!(
                only_session(&a).await,
                json!({ "n": 2, "a": "from a", "b": "from b" }),
                "{case}: the removal and the change kept"
            );
            assert_eq!(
                first.get("/read").await,
                "2",
                "{case}: the next load sees it"
            );
        }
    }
    pool_b.close().await;
    B::cleanup(pool_a, &ctx).await;
}

/// A tower-sessions record loaded by `store`, its base checked to be there.
async fn load<DB: Dialect>(store: &SqlStore<DB>, id: &Id) -> Record {
    let record = TowerStore::load(store, id)
        .await
        .unwrap()
        .expect("a live session");
    assert!(
        record.data.contains_key(BASE_KEY),
        "a loaded record carries its base"
    );
    record
}

fn set(record: &mut Record, key: &str, value: Value) {
    record.data.insert(key.to_owned(), value);
}

/// Statements run on `quoted` since `from`: (total, SELECTs, UPDATEs).
fn ran(quoted: &str, from: usize) -> (usize, usize, usize) {
    let all = statements_on(quoted);
    let new = &all[from..];
    let selects = new.iter().filter(|s| s.sql.starts_with("SELECT")).count();
    let updates = new.iter().filter(|s| s.sql.starts_with("UPDATE")).count();
    (new.len(), selects, updates)
}

/// tower-sessions' `SessionStore` calls in the order the framework makes them, two
/// overlapping requests, on one instance and on two: different keys both kept, a removed
/// key stays removed, the same key changed twice takes the later save's value, a cleared
/// session replaces the data; and the statements each save runs.
pub async fn tower_saves_merge_per_key<B: Backend>(ctx: Ctx) {
    let pool_a = pool_or_skip!(B, ctx);
    let pool_b = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    for two in [false, true] {
        let table = ctx.table(&format!("tower{}", u8::from(two)));
        let quoted = B::quote(&table);
        let (a, b) = instances::<B>((&pool_a, &pool_b), &table, two, |b| b).await;
        let case = format!("two instances: {two}");
        let mut record = super::tower_sessions_suite::new_record("n", json!(0));
        set(&mut record, "gone", json!(1));
        set(&mut record, "same", json!(0));
        TowerStore::create(&a, &mut record).await.unwrap();
        let id = record.id;
        let data = || async { without_base(&load(&a, &id).await.data) };

        // Different keys.
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        set(&mut ra, "a", json!("A"));
        let from = statements_on(&quoted).len();
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(
            ran(&quoted, from),
            (1, 0, 1),
            "{case}: a changed save that meets no other writer: one UPDATE, no read"
        );
        set(&mut rb, "b", json!("B"));
        let from = statements_on(&quoted).len();
        TowerStore::save(&b, &rb).await.unwrap();
        assert_eq!(
            ran(&quoted, from),
            (3, 1, 2),
            "{case}: a save after another: its UPDATE, one re-read, one merged UPDATE"
        );
        let want: HashMap<String, Value> =
            serde_json::from_value(json!({ "n": 0, "gone": 1, "same": 0, "a": "A", "b": "B" }))
                .unwrap();
        assert_eq!(data().await, want, "{case}: both keys kept");

        // A removal and a change of another key.
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        ra.data.remove("gone");
        TowerStore::save(&a, &ra).await.unwrap();
        set(&mut rb, "n", json!(1));
        TowerStore::save(&b, &rb).await.unwrap();
        let got = data().await;
        assert!(
            !got.contains_key("gone"),
            "{case}: the removed key stays removed"
        );
        assert_eq!(got["n"], json!(1), "{case}");

        // A removal is undone only by a save that changed that very key.
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        ra.data.remove("a");
        TowerStore::save(&a, &ra).await.unwrap();
        set(&mut rb, "a", json!("A again"));
        TowerStore::save(&b, &rb).await.unwrap();
        assert_eq!(data().await["a"], json!("A again"), "{case}");

        // The same key changed by both: the later save wins.
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        set(&mut ra, "same", json!("first"));
        TowerStore::save(&a, &ra).await.unwrap();
        set(&mut rb, "same", json!("later"));
        TowerStore::save(&b, &rb).await.unwrap();
        assert_eq!(
            data().await["same"],
            json!("later"),
            "{case}: the later save wins"
        );

        // An unchanged copy saved after another's change writes no data.
        let (ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        set(&mut rb, "b", json!("B2"));
        TowerStore::save(&b, &rb).await.unwrap();
        let from = statements_on(&quoted).len();
        TowerStore::save(&a, &ra).await.unwrap();
        let (_, _, updates) = ran(&quoted, from);
        let data_writes = statements_on(&quoted)[from..]
            .iter()
            .filter(|s| s.sql.contains(&format!("{} =", B::quote("data"))))
            .count();
        assert_eq!(
            data_writes, 0,
            "{case}: an unchanged save writes no data ({updates} UPDATEs)"
        );
        assert_eq!(data().await["b"], json!("B2"), "{case}");

        // A save of the same record again (a handler that saves, then the layer): one read
        // (the row is still what the first save wrote), never the data.
        let mut ra = load(&a, &id).await;
        set(&mut ra, "twice", json!(1));
        TowerStore::save(&a, &ra).await.unwrap();
        let from = statements_on(&quoted).len();
        TowerStore::save(&a, &ra).await.unwrap();
        let data_writes = statements_on(&quoted)[from..]
            .iter()
            .filter(|s| s.sql.contains(&format!("{} =", B::quote("data"))))
            .count();
        assert_eq!(data_writes, 0, "{case}: a repeated save writes no data");

        // A cleared record (no base) replaces the whole data, whatever came before.
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        set(&mut rb, "x", json!("x"));
        TowerStore::save(&b, &rb).await.unwrap();
        ra.data.clear();
        set(&mut ra, "only", json!(1));
        TowerStore::save(&a, &ra).await.unwrap();
        let want: HashMap<String, Value> = serde_json::from_value(json!({ "only": 1 })).unwrap();
        assert_eq!(data().await, want, "{case}: clear replaces");

        // Nothing in the table holds a base.
        let stored = a.get(&id.to_string()).await.unwrap().unwrap().data;
        assert!(
            stored.get(BASE_KEY).is_none(),
            "{case}: the base is never stored"
        );
    }
    pool_b.close().await;
    B::cleanup(pool_a, &ctx).await;
}

/// Two `load_session` of one cookie, one key each, then both `store_session` (as tide and
/// axum-sessions call them): both kept; `regenerate` moves the data to the new id and the
/// old id loads nothing.
pub async fn async_session_saves_merge_and_regenerate_drops_the_old_id<B: Backend>(ctx: Ctx) {
    use async_session::{Session, SessionStore};
    let pool_a = pool_or_skip!(B, ctx);
    let pool_b = pool_or_skip!(B, ctx);
    for two in [false, true] {
        let table = ctx.table(&format!("as{}", u8::from(two)));
        let (a, b) = instances::<B>((&pool_a, &pool_b), &table, two, |b| b).await;
        let case = format!("two instances: {two}");
        let mut session = Session::new();
        session.insert("n", 0).unwrap();
        session.insert("gone", 1).unwrap();
        let cookie = a.store_session(session).await.unwrap().unwrap();

        let mut sa = a.load_session(cookie.clone()).await.unwrap().unwrap();
        let mut sb = b.load_session(cookie.clone()).await.unwrap().unwrap();
        sa.insert("a", "A").unwrap();
        sb.remove("gone");
        sb.insert("b", "B").unwrap();
        assert_eq!(a.store_session(sa).await.unwrap(), None);
        assert_eq!(b.store_session(sb).await.unwrap(), None);
        assert_eq!(
            only_session(&a).await,
            json!({ "n": 0, "a": "A", "b": "B" }),
            "{case}: both changes kept, the removal too"
        );

        // The same key twice: the later save wins.
        let mut sa = a.load_session(cookie.clone()).await.unwrap().unwrap();
        let mut sb = b.load_session(cookie.clone()).await.unwrap().unwrap();
        sa.insert("n", 1).unwrap();
        sb.insert("n", 2).unwrap();
        a.store_session(sa).await.unwrap();
        b.store_session(sb).await.unwrap();
        assert_eq!(only_session(&a).await["n"], json!(2), "{case}");

        // Login: regenerate, then store. The new id holds the data; the old one is gone.
        let mut s = a.load_session(cookie.clone()).await.unwrap().unwrap();
        s.regenerate();
        s.insert("user", 7).unwrap();
        let new_cookie = a.store_session(s).await.unwrap().expect("a new cookie");
        assert!(
            b.load_session(cookie.clone()).await.unwrap().is_none(),
            "{case}: the pre-login id loads nothing"
        );
        let after = b.load_session(new_cookie).await.unwrap().unwrap();
        assert_eq!(after.get::<u64>("user"), Some(7), "{case}");
        assert_eq!(after.get::<u64>("n"), Some(2), "{case}");
        assert_eq!(
            only_session(&a).await,
            json!({ "n": 2, "a": "A", "b": "B", "user": 7 }),
            "{case}: one row, no base stored"
        );
    }
    pool_b.close().await;
    B::cleanup(pool_a, &ctx).await;
}

/// A destroyed, expired, outlived or logged-out-everywhere session is never brought back
/// by a save that loaded it before, through either front end.
pub async fn ended_sessions_stay_ended<B: Backend>(ctx: Ctx) {
    use async_session::{Session, SessionStore};
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("ended");
    let q = B::quote(&table);
    let store = with_user_columns(
        SqlStore::builder(pool.clone())
            .table_name(&table)
            .max_lifetime(Duration::from_secs(3600)),
    )
    .build()
    .unwrap();
    store.migrate().await.unwrap();
    let two_hours_ago = B::TWO_HOURS_AGO;
    let past = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let ends: [(&str, &dyn Fn(String) -> String); 4] = [
        ("destroy", &|_| String::new()),
        ("expiry", &|_| String::new()),
        ("max_lifetime", &|sid| {
            format!(
                "UPDATE {q} SET created_at = {two_hours_ago} WHERE {} = '{sid}'",
                B::quote("sid")
            )
        }),
        ("destroy_where", &|_| String::new()),
    ];
    for (how, sql) in ends {
        // Through tower-sessions.
        let mut record = super::tower_sessions_suite::new_record("user_id", json!(7));
        TowerStore::create(&store, &mut record).await.unwrap();
        let sid = record.id.to_string();
        let mut loaded = load(&store, &record.id).await;
        // Through async-session.
        let mut session = Session::new();
        session.insert("user_id", 7).unwrap();
        let cookie = store.store_session(session).await.unwrap().unwrap();
        let mut held = store.load_session(cookie.clone()).await.unwrap().unwrap();
        let held_id = held.id().to_owned();
        for id in [sid.clone(), held_id.clone()] {
            match how {
                "destroy" => store.destroy(&id).await.unwrap(),
                "expiry" => {
                    // Only the expiry moves: the row's version stays the one loaded.
                    assert!(store.touch(&id, Some(past)).await.unwrap());
                }
                "destroy_where" => {}
                _ => B::exec(&pool, &sql(id)).await,
            }
        }
        if how == "destroy_where" {
            assert_eq!(store.destroy_where("user_id", 7).await.unwrap(), 2);
        }
        set(&mut loaded, "late", json!(1));
        TowerStore::save(&store, &loaded).await.unwrap();
        held.insert("late", 1).unwrap();
        store.store_session(held).await.unwrap();
        assert!(
            store.get(&sid).await.unwrap().is_none(),
            "tower, {how}: stays ended"
        );
        assert!(
            store.load_session(cookie).await.unwrap().is_none(),
            "async-session, {how}: stays ended"
        );
        assert_eq!(store.length().await.unwrap(), 0, "{how}");
        store.clear().await.unwrap();
    }
    B::cleanup(pool, &ctx).await;
}

/// tower-sessions' own `Session` (what a handler holds): `cycle_id` moves the data to a new
/// id, `clear` then inserts replace what another request saved meanwhile.
pub async fn tower_session_cycle_id_and_clear<B: Backend>(ctx: Ctx) {
    use tower_sessions::Session;
    let pool = pool_or_skip!(B, ctx);
    let store = Arc::new(super::backend::store::<B>(&pool, &ctx, "cycle"));
    store.migrate().await.unwrap();
    let first = Session::new(None, store.clone(), None);
    first.insert("n", 1).await.unwrap();
    first.save().await.unwrap();
    let old = first.id().unwrap();

    let login = Session::new(Some(old), store.clone(), None);
    assert_eq!(login.get::<u64>("n").await.unwrap(), Some(1));
    login.cycle_id().await.unwrap();
    login.insert("user", 7).await.unwrap();
    login.save().await.unwrap();
    let new = login.id().unwrap();
    assert_ne!(new, old);
    assert!(
        store.get(&old.to_string()).await.unwrap().is_none(),
        "old id gone"
    );
    assert_eq!(
        store.get(&new.to_string()).await.unwrap().unwrap().data,
        json!({ "n": 1, "user": 7 }),
        "the new id holds the data, and no base"
    );

    let tab1 = Session::new(Some(new), store.clone(), None);
    let tab2 = Session::new(Some(new), store.clone(), None);
    assert_eq!(tab1.get::<u64>("n").await.unwrap(), Some(1));
    assert_eq!(tab2.get::<u64>("n").await.unwrap(), Some(1));
    tab2.insert("cart", 3).await.unwrap();
    tab2.save().await.unwrap();
    tab1.clear().await;
    tab1.insert("fresh", true).await.unwrap();
    tab1.save().await.unwrap();
    assert_eq!(
        store.get(&new.to_string()).await.unwrap().unwrap().data,
        json!({ "fresh": true }),
        "clear replaces the whole data"
    );

    // A handler that saves, then changes more (the layer saves again): a flash message
    // added and saved, then consumed, is gone; another tab's change in between is kept.
    let handler = Session::new(Some(new), store.clone(), None);
    handler.insert("flash", "saved!").await.unwrap();
    handler.save().await.unwrap();
    let tab = Session::new(Some(new), store.clone(), None);
    tab.insert("cart", 4).await.unwrap();
    tab.save().await.unwrap();
    assert_eq!(
        handler.remove::<String>("flash").await.unwrap().as_deref(),
        Some("saved!")
    );
    handler.save().await.unwrap();
    assert_eq!(
        store.get(&new.to_string()).await.unwrap().unwrap().data,
        json!({ "fresh": true, "cart": 4 }),
        "the flash is consumed, the other tab's change kept"
    );
    B::cleanup(pool, &ctx).await;
}

/// Merged writes keep every promise a plain write keeps: the custom-columns hook runs on the
/// merged data, ids stay hashed, data stays sealed, and a merge that grows past
/// `max_data_size` is refused with the stored row kept.
pub async fn merged_writes_keep_the_hook_hashed_ids_encryption_and_size_limit<B: Backend>(
    ctx: Ctx,
) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("promises");
    let configure = |b: Builder<B::DB>| {
        let b = with_user_columns(b.hash_ids(true).max_data_size(400));
        #[cfg(feature = "encryption")]
        let b = b.encryption_keys(vec![sqlx_session_store::EncryptionKey::from_bytes([7; 32])]);
        b
    };
    let (a, b) = instances::<B>((&pool, &pool), &table, true, configure).await;
    let mut record = super::tower_sessions_suite::new_record("user_id", json!(1));
    TowerStore::create(&a, &mut record).await.unwrap();
    let id = record.id;
    let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
    set(&mut ra, "user_id", json!(8));
    TowerStore::save(&a, &ra).await.unwrap();
    set(&mut rb, "device", json!("phone"));
    TowerStore::save(&b, &rb).await.unwrap();
    let sid = id.to_string();
    assert_eq!(
        a.get(&sid).await.unwrap().unwrap().data,
        json!({ "user_id": 8, "device": "phone" })
    );
    assert_eq!(
        a.ids_where("user_id", 8).await.unwrap().len(),
        1,
        "hook on merged data"
    );
    assert_eq!(a.ids_where("device", "phone").await.unwrap().len(), 1);
    let stored_ids = a.ids().await.unwrap();
    assert!(
        stored_ids.iter().all(|s| s != &sid && s.starts_with("b3:")),
        "ids stay hashed"
    );
    let text = if B::NAME == "mysql" { "CHAR" } else { "TEXT" };
    let plain = B::scalar(
        &pool,
        &format!(
            "SELECT COUNT(*) FROM {} WHERE CAST(data AS {text}) LIKE '%phone%'",
            B::quote(&table)
        ),
    )
    .await;
    let sealed = cfg!(feature = "encryption");
    assert_eq!(
        plain,
        i64::from(!sealed),
        "data sealed when encryption is on"
    );

    // Each save alone fits; merged they do not.
    let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
    set(&mut ra, "big_a", json!("a".repeat(150)));
    TowerStore::save(&a, &ra).await.unwrap();
    set(&mut rb, "big_b", json!("b".repeat(200)));
    let err = TowerStore::save(&b, &rb).await.unwrap_err();
    assert!(matches!(err, TowerError::Encode(_)), "{err:?}");
    let kept = a.get(&sid).await.unwrap().unwrap().data;
    assert_eq!(
        kept["big_a"],
        json!("a".repeat(150)),
        "the stored row is kept"
    );
    assert!(kept.get("big_b").is_none());
    B::cleanup(pool, &ctx).await;
}

/// `modify` re-runs its change on what another writer left: no lost update.
pub async fn modify_never_loses_a_concurrent_change<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let store = super::backend::store::<B>(&pool, &ctx, "modify");
    store.migrate().await.unwrap();
    store.set("s", &json!({ "n": 0 }), None).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..5 {
                    // Conflicts are retried inside; a run of five in a row is an error.
                    loop {
                        match store
                            .modify("s", |d| d["n"] = json!(d["n"].as_u64().unwrap() + 1))
                            .await
                        {
                            Ok(Some(())) => break,
                            Err(sqlx_session_store::Error::Conflict { .. }) => continue,
                            other => panic!("{other:?}"),
                        }
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        store.get("s").await.unwrap().unwrap().data,
        json!({ "n": 40 })
    );
    assert_eq!(store.modify("unknown", |_| ()).await.unwrap(), None);
    let plain = SqlStore::builder(pool.clone())
        .table_name(ctx.table("modify"))
        .without_version_column()
        .build()
        .unwrap();
    assert!(matches!(
        plain.modify("s", |_| ()).await,
        Err(sqlx_session_store::Error::InvalidConfig { .. })
    ));
    B::cleanup(pool, &ctx).await;
}

/// `strict_merge(true)`: a save that meets another request's change of one of its own keys
/// is refused (typed error, nothing of it written); changes of different keys still merge.
pub async fn strict_merge_refuses_a_key_both_changed<B: Backend>(ctx: Ctx) {
    use async_session::{Session, SessionStore};
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("strict");
    let (a, b) = instances::<B>((&pool, &pool), &table, true, |b| b.strict_merge(true)).await;

    // tower-sessions.
    let mut record = super::tower_sessions_suite::new_record("k", json!(0));
    TowerStore::create(&a, &mut record).await.unwrap();
    let id = record.id;
    let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
    set(&mut ra, "k", json!("A"));
    TowerStore::save(&a, &ra).await.unwrap();
    set(&mut rb, "k", json!("B"));
    set(&mut rb, "other", json!(1));
    let err = TowerStore::save(&b, &rb).await.unwrap_err();
    assert!(
        matches!(err, TowerError::Backend(ref m) if m.contains("changed 1 of the keys")),
        "{err:?}"
    );
    assert_eq!(
        a.get(&id.to_string()).await.unwrap().unwrap().data,
        json!({ "k": "A" }),
        "nothing of the refused save written"
    );
    let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
    set(&mut ra, "x", json!(1));
    TowerStore::save(&a, &ra).await.unwrap();
    set(&mut rb, "y", json!(2));
    TowerStore::save(&b, &rb).await.unwrap();
    assert_eq!(
        a.get(&id.to_string()).await.unwrap().unwrap().data,
        json!({ "k": "A", "x": 1, "y": 2 }),
        "different keys merge"
    );

    // async-session: the same key changed by both, and a key one removed and one changed.
    let mut session = Session::new();
    session.insert("k", 0).unwrap();
    session.insert("gone", 0).unwrap();
    let cookie = a.store_session(session).await.unwrap().unwrap();
    let mut sa = a.load_session(cookie.clone()).await.unwrap().unwrap();
    let mut sb = b.load_session(cookie.clone()).await.unwrap().unwrap();
    sa.insert("gone", 1).unwrap();
    a.store_session(sa).await.unwrap();
    sb.remove("gone");
    let err = b.store_session(sb).await.unwrap_err();
    let err = err.downcast::<sqlx_session_store::Error>().unwrap();
    assert!(
        matches!(err, sqlx_session_store::Error::KeyConflict { keys: 1 }),
        "{err:?}"
    );
    let stored = a.load_session(cookie).await.unwrap().unwrap();
    assert_eq!(stored.get::<u64>("gone"), Some(1));
    B::cleanup(pool, &ctx).await;
}

/// A copy saved more than once (a handler's `save`, then the layer's), with other saves in
/// between: what the copy undid since its own save is undone in the row too (a flash
/// message added, saved, then consumed; a key set and set back), also after a merged save,
/// and in strict mode the copy never conflicts with itself. A cleared copy replaces data a
/// core `set` wrote meanwhile, a base passed back to `set` is not stored, and a login
/// (`regenerate`) racing a logout stays logged out.
pub async fn repeated_saves_and_replacements<B: Backend>(ctx: Ctx) {
    use async_session::{Session, SessionStore};
    let pool_a = pool_or_skip!(B, ctx);
    let pool_b = pool_or_skip!(B, ctx);
    for strict in [false, true] {
        let table = ctx.table(&format!("again{}", u8::from(strict)));
        let (a, b) =
            instances::<B>((&pool_a, &pool_b), &table, true, |b| b.strict_merge(strict)).await;
        let case = format!("strict: {strict}");
        let mut record = super::tower_sessions_suite::new_record("k", json!(0));
        TowerStore::create(&a, &mut record).await.unwrap();
        let id = record.id;
        let data = || async { a.get(&id.to_string()).await.unwrap().unwrap().data };

        // Another save first, then this copy's merged save, then its second save.
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        set(&mut rb, "x", json!(1));
        TowerStore::save(&b, &rb).await.unwrap();
        set(&mut ra, "flash", json!("hi"));
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(
            data().await,
            json!({ "k": 0, "x": 1, "flash": "hi" }),
            "{case}"
        );
        ra.data.remove("flash");
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(
            data().await,
            json!({ "k": 0, "x": 1 }),
            "{case}: the flash is gone"
        );

        // This copy's plain save, another save, then its second save.
        let mut ra = load(&a, &id).await;
        set(&mut ra, "flash", json!("hi"));
        TowerStore::save(&a, &ra).await.unwrap();
        let mut rb = load(&b, &id).await;
        set(&mut rb, "y", json!(2));
        TowerStore::save(&b, &rb).await.unwrap();
        ra.data.remove("flash");
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(data().await, json!({ "k": 0, "x": 1, "y": 2 }), "{case}");

        // A key set, saved, and set back to what was loaded; and set twice around another
        // save (strict mode: the copy's own first value is no conflict).
        let (mut ra, mut rb) = (load(&a, &id).await, load(&b, &id).await);
        set(&mut ra, "k", json!(1));
        TowerStore::save(&a, &ra).await.unwrap();
        set(&mut rb, "z", json!(3));
        TowerStore::save(&b, &rb).await.unwrap();
        set(&mut ra, "k", json!(2));
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(data().await["k"], json!(2), "{case}");
        set(&mut ra, "k", json!(0));
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(data().await["k"], json!(0), "{case}: set back");
        assert_eq!(data().await["z"], json!(3), "{case}");

        // A cleared copy replaces what a core `set` wrote after its load, even when the
        // cleared data equals what the copy loaded.
        let mut ra = load(&a, &id).await;
        a.set(&id.to_string(), &json!({ "k": 9 }), None)
            .await
            .unwrap();
        ra.data.clear();
        set(&mut ra, "k", json!(0));
        TowerStore::save(&a, &ra).await.unwrap();
        assert_eq!(data().await, json!({ "k": 0 }), "{case}: clear replaces");

        // A loaded record's data passed back to the core API: the base is not stored.
        let ra = load(&a, &id).await;
        let value = serde_json::to_value(&ra.data).unwrap();
        a.set(&id.to_string(), &value, None).await.unwrap();
        assert_eq!(data().await, json!({ "k": 0 }), "{case}: no base stored");
    }

    // Login racing a logout: the regenerated session does not come back under a new id.
    let table = ctx.table("login");
    let (a, _) = instances::<B>((&pool_a, &pool_b), &table, false, |b| b).await;
    let mut session = Session::new();
    session.insert("n", 1).unwrap();
    let cookie = a.store_session(session).await.unwrap().unwrap();
    let mut login = a.load_session(cookie.clone()).await.unwrap().unwrap();
    a.destroy(login.id()).await.unwrap();
    login.regenerate();
    login.insert("user", 7).unwrap();
    assert_eq!(a.store_session(login).await.unwrap(), None, "no new cookie");
    assert_eq!(a.length().await.unwrap(), 0, "logged out stays logged out");
    // Without a version column, regenerate still removes the old id.
    let plain = SqlStore::builder(pool_a.clone())
        .table_name(&table)
        .without_version_column()
        .build()
        .unwrap();
    let mut session = Session::new();
    session.insert("n", 1).unwrap();
    let cookie = plain.store_session(session).await.unwrap().unwrap();
    let mut login = plain.load_session(cookie.clone()).await.unwrap().unwrap();
    login.regenerate();
    let new_cookie = plain.store_session(login).await.unwrap().unwrap();
    assert!(
        plain.load_session(cookie).await.unwrap().is_none(),
        "old id gone"
    );
    assert!(plain.load_session(new_cookie).await.unwrap().is_some());
    pool_b.close().await;
    B::cleanup(pool_a, &ctx).await;
}

/// An app-managed version column that cannot hold the store's 64-bit versions is refused
/// by the schema check, by name, before anything is written.
pub async fn a_narrow_version_column_is_refused<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let (id, json, time, _) = B::TYPES;
    let table = ctx.table("narrow");
    B::exec(
        &pool,
        &format!(
            "CREATE TABLE {} (sid {id} NOT NULL PRIMARY KEY, data {json} NOT NULL, \
             expires {time} NOT NULL, version INT NOT NULL DEFAULT 0)",
            B::quote(&table)
        ),
    )
    .await;
    let store = SqlStore::builder(pool.clone())
        .table_name(&table)
        .without_timestamp_columns()
        .build()
        .unwrap();
    let result = store.verify_schema().await;
    if B::NAME == "sqlite" {
        // SQLite's INT is a 64-bit integer.
        result.unwrap();
    } else {
        let err = result.unwrap_err();
        assert!(
            matches!(&err, sqlx_session_store::Error::IncompatibleSchema { column, .. } if column == "version"),
            "{err}"
        );
        assert!(
            store.set("s", &json!({}), None).await.is_err(),
            "nothing written"
        );
    }
    B::cleanup(pool, &ctx).await;
}
