//! Property tests on every backend (proptest): arbitrary ids and arbitrary JSON through the
//! core API, and arbitrary data through both front ends, come back exactly as they went in.
//!
//! Each test makes one store (one table per store) and runs `PROPTEST_CASES` cases (24
//! unless the variable is set) on it. proptest drives the cases synchronously; each case's
//! async body runs on the test's runtime through `block_in_place` + `Handle::block_on`. A
//! failing case is shrunk (against the same table) and the minimal input is printed.

#![allow(dead_code)]
// Failure messages name the case: built per call, on failure paths only.
#![allow(clippy::expect_fun_call)]

#[cfg(feature = "async-session")]
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::future::Future;

#[cfg(feature = "tower-sessions")]
use proptest::collection::hash_map;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use sqlx_session_store::{Error, SqlStore};

use super::backend::{Backend, Ctx};
use super::setup::{past_the_touch_window, pool_or_skip};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! prop_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; prop_suite:
            ids_and_data_roundtrip,
        );
        #[cfg(feature = "tower-sessions")]
        $crate::suite_tests!($backend; prop_suite:
            tower_sessions_roundtrip,
            merge_interleavings,
        );
        #[cfg(feature = "async-session")]
        $crate::suite_tests!($backend; prop_suite:
            async_session_roundtrip,
        );
    };
}

/// 24 cases (a short CI run) unless `PROPTEST_CASES` says otherwise (read by
/// `Config::default()`). No failure-persistence file: a failure prints its minimal input.
fn config() -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 24;
    }
    config
}

/// Runs `test` on the cases of `strategy`, each case's future on the current runtime (the
/// test's multi-thread one). Panics with proptest's report (minimal failing input) on failure.
fn check<S, F, Fut>(strategy: S, test: F)
where
    S: Strategy,
    S::Value: Debug,
    F: Fn(S::Value) -> Fut,
    Fut: Future<Output = ()>,
{
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(config());
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |case| {
            handle.block_on(test(case));
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Characters as an attacker or a sloppy id generator would pick them: anything, printable
/// ASCII, and the characters SQL and LIKE treat specially.
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => proptest::char::range(' ', '~'),
        2 => proptest::sample::select(vec![
            '\'', '"', '`', '%', '_', '\\', ';', ' ', '\0', '\n', '\t', '\u{7f}', '\u{85}',
            '\u{feff}', '\u{fffd}', '\u{ffff}', 'ß', 'İ', 'é', '😀', '\u{10ffff}',
        ]),
    ]
}

fn control_char() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u8..0x20).prop_map(char::from),
        Just('\u{7f}'),
        (0x80u8..=0x9f).prop_map(char::from),
    ]
}

/// The longest prefix of `s` of at most `max` bytes, cut on a char boundary.
fn truncate_bytes(mut s: String, max: usize) -> String {
    while s.len() > max {
        s.pop();
    }
    s
}

/// A valid id: 1 to 255 bytes, no control character (they are replaced by `.`).
fn valid_id() -> impl Strategy<Value = String> {
    prop_oneof![vec(any_char(), 1..=16), vec(any_char(), 1..=255)].prop_map(|chars| {
        let id: String = chars
            .into_iter()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        truncate_bytes(id, 255)
    })
}

/// An id of at most 255 bytes holding at least one control character.
fn id_with_control_char() -> impl Strategy<Value = String> {
    (
        vec(any_char(), 0..=30),
        control_char(),
        vec(any_char(), 0..=30),
    )
        .prop_map(|(before, c, after)| {
            let mut id: String = before.into_iter().collect();
            id.push(c);
            id.extend(after);
            id
        })
}

fn text() -> impl Strategy<Value = String> {
    vec(any_char(), 0..=12).prop_map(String::from_iter)
}

/// Whether `f` survives serde_json's own text round trip in this build (without
/// serde_json's `float_roundtrip` feature, parsing is best-effort on long mantissas):
/// the store is tested for adding no loss of its own.
fn json_exact(f: f64) -> bool {
    let v = Value::from(f);
    serde_json::from_str::<Value>(&v.to_string()).is_ok_and(|back| back == v)
}

/// Arbitrary JSON, nested up to 3 levels: null, bool, i64, finite f64, any-unicode strings
/// (NUL included), arrays, objects with arbitrary keys.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite and exact through serde_json", |f| {
                f.is_finite() && json_exact(*f)
            })
            .prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..=6).prop_map(Value::Array),
            btree_map(text(), inner, 0..=6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn expect_invalid_id<T: Debug>(result: Result<T, Error>, what: &str, id: &str) {
    match result {
        Err(Error::InvalidSessionId { reason }) => {
            assert!(reason.contains("control"), "{what} {id:?}: {reason}");
        }
        other => panic!("{what} {id:?}: expected InvalidSessionId, got {other:?}"),
    }
}

/// `set` then `get` gives back exactly the data for any valid id (hashed at rest or not);
/// `touch` finds the live session; `destroy` removes it; an id with a control character is
/// `InvalidSessionId` on every operation.
pub async fn ids_and_data_roundtrip<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let mut stores = Vec::new();
    for (tag, hashed) in [("prop_plain", false), ("prop_hashed", true)] {
        let s = SqlStore::builder(pool.clone())
            .table_name(ctx.table(tag))
            .hash_ids(hashed)
            .build()
            .unwrap();
        s.migrate().await.unwrap();
        stores.push((hashed, s));
    }
    let stores = &stores;
    check(
        (valid_id(), json(), id_with_control_char()),
        |(id, data, bad)| async move {
            for (hashed, s) in stores {
                let on = |what: &str| format!("{what} (hash_ids {hashed}) id {id:?}");
                s.set(&id, &data, None).await.expect(&on("set"));
                let got = s.get(&id).await.expect(&on("get")).expect(&on("live"));
                assert_eq!(got.data, data, "{}", on("data"));
                assert!(
                    s.touch(&id, Some(past_the_touch_window()))
                        .await
                        .expect(&on("touch")),
                    "{}",
                    on("touch")
                );
                let got = s.get(&id).await.expect(&on("get")).expect(&on("live"));
                assert_eq!(got.data, data, "{}", on("data after touch"));
                s.destroy(&id).await.expect(&on("destroy"));
                assert!(
                    s.get(&id).await.expect(&on("get")).is_none(),
                    "{}",
                    on("destroyed")
                );

                expect_invalid_id(s.set(&bad, &data, None).await, "set", &bad);
                expect_invalid_id(s.get(&bad).await, "get", &bad);
                expect_invalid_id(s.touch(&bad, None).await, "touch", &bad);
                expect_invalid_id(s.destroy(&bad).await, "destroy", &bad);
            }
        },
    );
    for (_, s) in stores {
        assert_eq!(
            s.length().await.unwrap(),
            0,
            "every case destroyed its session"
        );
    }
    B::cleanup(pool, &ctx).await;
}

/// Arbitrary data maps through tower-sessions' `create`/`load`/`save`/`delete`.
#[cfg(feature = "tower-sessions")]
pub async fn tower_sessions_roundtrip<B: Backend>(ctx: Ctx) {
    use time::{Duration, OffsetDateTime};
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore;

    let pool = pool_or_skip!(B, ctx);
    let s = &super::backend::store::<B>(&pool, &ctx, "prop_tower");
    s.migrate().await.unwrap();
    check(hash_map(text(), json(), 0..=6), |data| async move {
        let expiry = OffsetDateTime::now_utc() + Duration::hours(1);
        let mut rec = Record {
            id: Id::default(),
            data: data.clone(),
            // The store keeps microseconds.
            expiry_date: expiry
                .replace_nanosecond(expiry.microsecond() * 1000)
                .unwrap(),
        };
        SessionStore::create(s, &mut rec).await.unwrap();
        let loaded = SessionStore::load(s, &rec.id).await.unwrap();
        use super::tower_sessions_suite::plain;
        assert_eq!(
            plain(loaded.clone()),
            plain(Some(rec.clone())),
            "load after create"
        );
        // The loaded record carries its base under the reserved key, and nothing else.
        let mut got = loaded.unwrap().data;
        assert!(got.remove(sqlx_session_store::BASE_KEY).is_some(), "a base");
        assert_eq!(got, data);
        SessionStore::save(s, &rec).await.unwrap();
        assert_eq!(
            plain(SessionStore::load(s, &rec.id).await.unwrap()),
            plain(Some(rec.clone())),
            "load after an unchanged save"
        );
        SessionStore::delete(s, &rec.id).await.unwrap();
        assert_eq!(SessionStore::load(s, &rec.id).await.unwrap(), None);
    });
    B::cleanup(pool, &ctx).await;
}

/// Arbitrary string pairs through async-session's `store_session`/`load_session`.
#[cfg(feature = "async-session")]
pub async fn async_session_roundtrip<B: Backend>(ctx: Ctx) {
    use async_session::{Session, SessionStore};

    let pool = pool_or_skip!(B, ctx);
    let s = &super::backend::store::<B>(&pool, &ctx, "prop_async");
    s.migrate().await.unwrap();
    check(vec((text(), text()), 0..=8), |pairs| async move {
        let mut session = Session::new();
        let mut expected = BTreeMap::new();
        for (k, v) in &pairs {
            session.insert(k, v).unwrap();
            expected.insert(k.clone(), v.clone());
        }
        let cookie = s
            .store_session(session)
            .await
            .unwrap()
            .expect("a new session returns its cookie value");
        let loaded = s
            .load_session(cookie)
            .await
            .unwrap()
            .expect("a live session");
        // The data, and the base under the reserved key.
        assert_eq!(loaded.len(), expected.len() + 1);
        assert!(loaded.get_raw(sqlx_session_store::BASE_KEY).is_some());
        let got: HashMap<String, Option<Value>> = expected
            .keys()
            .map(|k| (k.clone(), loaded.get::<Value>(k)))
            .collect();
        let want: HashMap<String, Option<Value>> = expected
            .into_iter()
            .map(|(k, v)| (k, Some(Value::String(v))))
            .collect();
        assert_eq!(got, want);
    });
    B::cleanup(pool, &ctx).await;
}

/// One request of a [`merge_interleavings`] case: which instance serves it and what it does
/// to its copy of the session.
#[cfg(feature = "tower-sessions")]
#[derive(Clone, Debug)]
struct Request {
    second_instance: bool,
    ops: Vec<Op>,
    /// A second save of the same copy (a handler's `save`, then the layer's), after these.
    again: Option<Vec<Op>>,
}

/// What a request does to one key of its copy.
#[cfg(feature = "tower-sessions")]
#[derive(Clone, Copy, Debug)]
enum Op {
    Set(usize),
    Remove(usize),
}

#[cfg(feature = "tower-sessions")]
const MERGE_KEYS: usize = 4;

/// K overlapping requests of one session, through tower-sessions' `load` and `save` on one
/// or two store instances, each load and save in a random order (a request's load before
/// its save), each request setting or removing random keys, some saving their copy a
/// second time after more changes. The stored data must be what applying each save's own
/// changes (against the copy as it was loaded, or as its previous save left it) in save
/// order gives: per key, the last saver wins. Every value set is unique, so that no two
/// requests make the same change by chance.
#[cfg(feature = "tower-sessions")]
pub async fn merge_interleavings<B: Backend>(ctx: Ctx) {
    use std::collections::HashMap;
    use tower_sessions::session_store::SessionStore;

    use super::tower_sessions_suite::without_base;
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("prop_merge");
    let open = || {
        SqlStore::builder(pool.clone())
            .table_name(&table)
            .build()
            .unwrap()
    };
    let stores = &[open(), open()];
    stores[0].migrate().await.unwrap();
    let op = prop_oneof![
        (0..MERGE_KEYS).prop_map(Op::Set),
        (0..MERGE_KEYS).prop_map(Op::Remove),
    ];
    let request = (
        any::<bool>(),
        vec(op.clone(), 1..=3),
        proptest::option::weighted(0.3, vec(op, 0..=2)),
    )
        .prop_map(|(second_instance, ops, again)| Request {
            second_instance,
            ops,
            again,
        });
    let case = (vec(request, 2..=4), vec(any::<bool>(), MERGE_KEYS)).prop_flat_map(
        |(requests, initial)| {
            // Each request's index twice (three times with a second save): its first place
            // is its load, the next its save(s).
            let order: Vec<usize> = requests
                .iter()
                .enumerate()
                .flat_map(|(r, req)| std::iter::repeat_n(r, 2 + usize::from(req.again.is_some())))
                .collect();
            (Just(requests), Just(initial), Just(order).prop_shuffle())
        },
    );
    check(case, |(requests, initial, order)| async move {
        let key = |n: usize| format!("k{n}");
        let mut model: HashMap<String, Value> = (0..MERGE_KEYS)
            .filter(|&n| initial[n])
            .map(|n| (key(n), Value::from(format!("initial {n}"))))
            .collect();
        let mut record = tower_sessions::session::Record {
            id: tower_sessions::session::Id::default(),
            data: model.clone(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        SessionStore::create(&stores[0], &mut record).await.unwrap();
        let id = record.id;
        let apply =
            |copy: &mut tower_sessions::session::Record, ops: &[Op], r: usize, at: usize| {
                for (i, op) in ops.iter().enumerate() {
                    match *op {
                        Op::Set(n) => {
                            let value = format!("request {r} op {}", at + i);
                            copy.data.insert(key(n), Value::from(value));
                        }
                        Op::Remove(n) => {
                            copy.data.remove(&key(n));
                        }
                    }
                }
            };
        // Per request: what its copy held at its load or last save, its copy, and how many
        // times it saved.
        type Copy = (
            HashMap<String, Value>,
            tower_sessions::session::Record,
            usize,
        );
        let mut copies: Vec<Option<Copy>> = vec![None; requests.len()];
        for r in order {
            let request = &requests[r];
            let store = &stores[usize::from(request.second_instance)];
            match copies[r].take() {
                None => {
                    let mut copy = SessionStore::load(store, &id).await.unwrap().unwrap();
                    apply(&mut copy, &request.ops, r, 0);
                    copies[r] = Some((model.clone(), copy, 0));
                }
                Some((base, mut copy, saves)) => {
                    if saves == 1 {
                        apply(&mut copy, request.again.as_deref().unwrap_or(&[]), r, 10);
                    }
                    SessionStore::save(store, &copy).await.unwrap();
                    // The model: this save's own changes, applied to what is there.
                    for n in 0..MERGE_KEYS {
                        let (was, now) = (base.get(&key(n)), copy.data.get(&key(n)));
                        if was != now {
                            match now {
                                Some(v) => model.insert(key(n), v.clone()),
                                None => model.remove(&key(n)),
                            };
                        }
                    }
                    let held = without_base(&copy.data);
                    copies[r] = Some((held, copy, saves + 1));
                }
            }
        }
        let stored = stores[0].get(&id.to_string()).await.unwrap().unwrap().data;
        assert_eq!(
            stored,
            serde_json::to_value(&model).unwrap(),
            "{requests:?}"
        );
        SessionStore::delete(&stores[0], &id).await.unwrap();
    });
    B::cleanup(pool, &ctx).await;
}
