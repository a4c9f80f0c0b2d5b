//! Sliding sessions where users meet them: through tower-sessions' `SessionManagerLayer`
//! (axum 0.8, `Expiry::OnInactivity` + `with_always_save(true)`), tide 0.17's
//! `SessionMiddleware` and axum-sessions 0.6's `SessionLayer` (each with its defaults),
//! all driven in process, on every backend.
//!
//! What is counted is what the database did: a trigger counts the rows updated, and sqlx's
//! own statement log tells which UPDATEs ran and which columns they set.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sqlx::Pool;
use sqlx_session_store::{Builder, Dialect, SqlStore};
use tokio::sync::Notify;

use super::backend::{count_row_updates, row_updates, Backend, Ctx};
use super::capture::{self, updates_of};
use super::setup::pool_or_skip;
use super::tower_sessions_suite::without_base;

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called by `store_suite!`; `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! sliding_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; sliding_suite:
            read_only_requests_write_nothing_inside_touch_after,
            read_only_requests_write_nothing_under_disable_touch,
            read_only_requests_write_nothing_with_the_defaults,
            read_only_requests_write_the_expiry_only_with_touch_after_zero,
            the_default_window_is_a_twentieth_of_the_lifetime_at_most_ten_minutes,
            unchanged_copy_never_overwrites_another_instance,
            map_order_is_not_a_change,
            forgotten_sessions_are_still_compared_by_their_base,
            stale_copy_in_one_instance_keeps_the_change,
            expiry_slides_with_reads,
            non_canonical_row_text_is_not_a_change,
            a_row_rewritten_elsewhere_is_compared_by_its_new_content,
            expiry_lags_by_at_most_touch_after,
        );
    };
}

/// A session framework in front of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    /// axum 0.8 + tower-sessions 0.15, sliding expiry with `always_save`.
    Tower,
    /// tide 0.17.0-beta.1 with its defaults (`save_unchanged`, a TTL moved per request).
    Tide,
    /// axum 0.6 + axum-sessions 0.6 with its defaults (`PersistencePolicy::Always`).
    AxumSessions,
}

pub const FRONTS: [Front; 3] = [Front::Tower, Front::Tide, Front::AxumSessions];

const SECRET: &[u8] =
    b"a sliding-sessions test secret, which must be at least sixty-four bytes long";

/// A pause inside a request, between loading the session and saving it.
#[derive(Clone, Default)]
pub struct Pause {
    pub loaded: Arc<Notify>,
    pub resume: Arc<Notify>,
}

impl Pause {
    async fn hold(&self) {
        self.loaded.notify_one();
        self.resume.notified().await;
    }
}

/// One browser: an app and the session cookie it was given.
pub struct Client {
    app: App,
    pub cookie: Option<String>,
}

#[derive(Clone)]
pub enum App {
    Tower(axum::Router),
    Tide(Arc<tide::Server<()>>),
    AxumSessions(axum06::Router),
}

/// Routes of every app: `/read` shows `n` without changing the session, `/bump` adds one
/// to `n`, `/pause` reads `n` and waits on the pause before answering; for overlapping
/// changes, `/set_b` sets `b`, `/set_gone` sets `gone`, and `/hold_set_a` and
/// `/hold_remove_gone` load the session, wait on the pause, then set `a` or remove `gone`.
pub fn app<DB: Dialect>(front: Front, store: SqlStore<DB>, pause: Pause) -> App {
    match front {
        Front::Tower => App::Tower(tower_app(store, pause)),
        Front::Tide => App::Tide(Arc::new(tide_app(store, pause))),
        Front::AxumSessions => App::AxumSessions(axum_sessions_app(store, pause)),
    }
}

fn tower_app<DB: Dialect>(store: SqlStore<DB>, pause: Pause) -> axum::Router {
    use axum::routing::get;
    use tower_sessions::{Expiry, Session, SessionManagerLayer};
    async fn read(session: &Session) -> String {
        session
            .get::<u64>("n")
            .await
            .unwrap()
            .unwrap_or(0)
            .to_string()
    }
    axum::Router::new()
        .route("/read", get(|s: Session| async move { read(&s).await }))
        .route(
            "/bump",
            get(|s: Session| async move {
                let n = s.get::<u64>("n").await.unwrap().unwrap_or(0) + 1;
                s.insert("n", n).await.unwrap();
                n.to_string()
            }),
        )
        .route(
            "/pause",
            get({
                let pause = pause.clone();
                move |s: Session| async move {
                    let n = read(&s).await;
                    pause.hold().await;
                    n
                }
            }),
        )
        .route(
            "/set_b",
            get(|s: Session| async move { s.insert("b", "from b").await.unwrap() }),
        )
        .route(
            "/set_gone",
            get(|s: Session| async move { s.insert("gone", 1).await.unwrap() }),
        )
        .route(
            "/hold_set_a",
            get({
                let pause = pause.clone();
                move |s: Session| async move {
                    read(&s).await;
                    pause.hold().await;
                    s.insert("a", "from a").await.unwrap();
                }
            }),
        )
        .route(
            "/hold_remove_gone",
            get(move |s: Session| async move {
                read(&s).await;
                pause.hold().await;
                s.remove_value("gone").await.unwrap();
            }),
        )
        .layer(
            SessionManagerLayer::new(store)
                .with_secure(false)
                .with_expiry(Expiry::OnInactivity(time::Duration::hours(1)))
                .with_always_save(true),
        )
}

fn tide_app<DB: Dialect>(store: SqlStore<DB>, pause: Pause) -> tide::Server<()> {
    use tide::sessions::SessionMiddleware;
    let mut app = tide::new();
    app.with(SessionMiddleware::new(store, SECRET));
    app.at("/read").get(|req: tide::Request<()>| async move {
        Ok(req.session().get::<u64>("n").unwrap_or(0).to_string())
    });
    app.at("/bump")
        .get(|mut req: tide::Request<()>| async move {
            let n = req.session().get::<u64>("n").unwrap_or(0) + 1;
            req.session_mut().insert("n", n)?;
            Ok(n.to_string())
        });
    let held = pause.clone();
    app.at("/pause").get(move |req: tide::Request<()>| {
        let pause = held.clone();
        async move {
            let n = req.session().get::<u64>("n").unwrap_or(0);
            pause.hold().await;
            Ok(n.to_string())
        }
    });
    app.at("/set_b")
        .get(|mut req: tide::Request<()>| async move {
            req.session_mut().insert("b", "from b")?;
            Ok("")
        });
    app.at("/set_gone")
        .get(|mut req: tide::Request<()>| async move {
            req.session_mut().insert("gone", 1)?;
            Ok("")
        });
    let held = pause.clone();
    app.at("/hold_set_a")
        .get(move |mut req: tide::Request<()>| {
            let pause = held.clone();
            async move {
                pause.hold().await;
                req.session_mut().insert("a", "from a")?;
                Ok("")
            }
        });
    app.at("/hold_remove_gone")
        .get(move |mut req: tide::Request<()>| {
            let pause = pause.clone();
            async move {
                pause.hold().await;
                req.session_mut().remove("gone");
                Ok("")
            }
        });
    app
}

#[allow(deprecated)] // axum-sessions is deprecated upstream; existing apps still use it.
fn axum_sessions_app<DB: Dialect>(store: SqlStore<DB>, pause: Pause) -> axum06::Router {
    use axum06::routing::get;
    use axum_sessions::extractors::{ReadableSession, WritableSession};
    use axum_sessions::SessionLayer;
    axum06::Router::new()
        .route(
            "/read",
            get(|s: ReadableSession| async move { s.get::<u64>("n").unwrap_or(0).to_string() }),
        )
        .route(
            "/bump",
            get(|mut s: WritableSession| async move {
                let n = s.get::<u64>("n").unwrap_or(0) + 1;
                s.insert("n", n).unwrap();
                n.to_string()
            }),
        )
        .route(
            "/pause",
            get({
                let pause = pause.clone();
                move |s: ReadableSession| async move {
                    let n = s.get::<u64>("n").unwrap_or(0);
                    drop(s); // axum-sessions needs the handle back before it saves
                    pause.hold().await;
                    n.to_string()
                }
            }),
        )
        .route(
            "/set_b",
            get(|mut s: WritableSession| async move { s.insert("b", "from b").unwrap() }),
        )
        .route(
            "/set_gone",
            get(|mut s: WritableSession| async move { s.insert("gone", 1).unwrap() }),
        )
        .route(
            "/hold_set_a",
            get({
                let pause = pause.clone();
                move |mut s: WritableSession| async move {
                    pause.hold().await;
                    s.insert("a", "from a").unwrap();
                }
            }),
        )
        .route(
            "/hold_remove_gone",
            get(move |mut s: WritableSession| async move {
                pause.hold().await;
                s.remove("gone");
            }),
        )
        .layer(SessionLayer::new(store, SECRET))
}

impl Client {
    pub fn new(app: App) -> Self {
        Self { app, cookie: None }
    }

    /// A second browser tab: the same cookie, another app (instance) or the same one.
    pub fn with_cookie(app: App, cookie: Option<String>) -> Self {
        Self { app, cookie }
    }

    /// GET `path` with the session cookie; keeps a cookie the response sets.
    pub async fn get(&mut self, path: &str) -> String {
        let (body, set_cookie) = match &self.app {
            App::Tower(router) => tower_call(router, path, self.cookie.as_deref()).await,
            App::Tide(server) => tide_call(server, path, self.cookie.as_deref()).await,
            App::AxumSessions(router) => axum06_call(router, path, self.cookie.as_deref()).await,
        };
        if let Some(c) = set_cookie {
            self.cookie = Some(c);
        }
        body
    }
}

/// The `name=value` of a `Set-Cookie` header.
fn cookie_pair(header: &str) -> String {
    header.split(';').next().unwrap_or("").trim().to_owned()
}

async fn tower_call(
    router: &axum::Router,
    path: &str,
    cookie: Option<&str>,
) -> (String, Option<String>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::get(path);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = router
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(resp.status().is_success(), "tower: {}", resp.status());
    let set = resp
        .headers()
        .get("set-cookie")
        .map(|v| cookie_pair(v.to_str().unwrap()));
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (String::from_utf8(body.to_vec()).unwrap(), set)
}

async fn tide_call(
    server: &tide::Server<()>,
    path: &str,
    cookie: Option<&str>,
) -> (String, Option<String>) {
    use tide::http::{Method, Request, Response, Url};
    let url = Url::parse(&format!("http://localhost{path}")).unwrap();
    let mut req = Request::new(Method::Get, url);
    if let Some(c) = cookie {
        req.insert_header("Cookie", c);
    }
    let mut resp: Response = server.respond(req).await.unwrap();
    assert!(resp.status().is_success(), "tide: {}", resp.status());
    let set = resp
        .header("Set-Cookie")
        .map(|v| cookie_pair(v.last().as_str()));
    (resp.body_string().await.unwrap(), set)
}

async fn axum06_call(
    router: &axum06::Router,
    path: &str,
    cookie: Option<&str>,
) -> (String, Option<String>) {
    use axum06::body::{Body, HttpBody};
    use tower::ServiceExt;
    let mut req = axum06::http::Request::builder().uri(path);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "axum-sessions: {}",
        resp.status()
    );
    let set = resp
        .headers()
        .get("set-cookie")
        .map(|v| cookie_pair(v.to_str().unwrap()));
    let mut body = resp.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    (String::from_utf8(bytes).unwrap(), set)
}

/// A migrated store on a fresh table with write counting, for one front end.
async fn counted_store<B: Backend>(
    pool: &Pool<B::DB>,
    ctx: &Ctx,
    tag: &str,
    configure: impl FnOnce(Builder<B::DB>) -> Builder<B::DB>,
) -> (SqlStore<B::DB>, String) {
    let table = ctx.table(tag);
    let store = configure(SqlStore::builder(pool.clone()).table_name(&table))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    count_row_updates::<B>(pool, &table).await;
    (store, table)
}

/// What the database saw during some requests.
#[derive(Debug, PartialEq, Eq)]
struct Writes {
    /// Rows updated (trigger).
    rows: i64,
    /// UPDATE statements run on the table.
    statements: usize,
    /// UPDATE statements that set the data column.
    data_statements: usize,
}

struct Meter<'a, B: Backend> {
    pool: &'a Pool<B::DB>,
    table: String,
    quoted: String,
    rows: i64,
    statements: usize,
    data_statements: usize,
}

impl<'a, B: Backend> Meter<'a, B> {
    async fn start(pool: &'a Pool<B::DB>, table: &str) -> Self {
        let mut m = Self {
            pool,
            table: table.to_owned(),
            quoted: B::quote(table),
            rows: 0,
            statements: 0,
            data_statements: 0,
        };
        m.reset().await;
        m
    }

    fn counts(&self) -> (i64, usize, usize) {
        let updates = updates_of(&self.quoted);
        let data = format!("{} =", B::quote("data"));
        let with_data = updates.iter().filter(|s| s.sql.contains(&data)).count();
        (self.rows, updates.len(), with_data)
    }

    async fn reset(&mut self) {
        self.rows = row_updates::<B>(self.pool, &self.table).await;
        let (_, statements, data) = self.counts();
        self.statements = statements;
        self.data_statements = data;
    }

    /// What happened since the last reset.
    async fn since(&mut self) -> Writes {
        let rows = row_updates::<B>(self.pool, &self.table).await;
        let (_, statements, data) = self.counts();
        let w = Writes {
            rows: rows - self.rows,
            statements: statements - self.statements,
            data_statements: data - self.data_statements,
        };
        self.reset().await;
        w
    }
}

const READS: usize = 40;

/// tower-sessions' `load` of a session that must be live.
async fn load_live<DB: Dialect>(
    store: &SqlStore<DB>,
    id: &tower_sessions::session::Id,
) -> tower_sessions::session::Record {
    use tower_sessions::session_store::SessionStore;
    SessionStore::load(store, id)
        .await
        .expect("load")
        .expect("a live session")
}

/// One session through `front`: created by a change, then `READS` read-only requests,
/// then three changes. Returns what the reads wrote; checks that every change was written.
async fn read_only_then_changes<B: Backend>(
    pool: &Pool<B::DB>,
    ctx: &Ctx,
    front: Front,
    configure: fn(Builder<B::DB>) -> Builder<B::DB>,
) -> (Writes, SqlStore<B::DB>, String) {
    capture::install_with_statements();
    let tag = format!("sl{}", front as u8);
    let (store, table) = counted_store::<B>(pool, ctx, &tag, configure).await;
    let mut browser = Client::new(app(front, store.clone(), Pause::default()));
    assert_eq!(browser.get("/bump").await, "1", "{front:?}");
    assert!(browser.cookie.is_some(), "{front:?}: a session cookie");
    let mut meter = Meter::<B>::start(pool, &table).await;
    for _ in 0..READS {
        assert_eq!(browser.get("/read").await, "1", "{front:?}");
    }
    let reads = meter.since().await;

    for n in 2..=4 {
        assert_eq!(browser.get("/bump").await, n.to_string(), "{front:?}");
    }
    assert_eq!(
        meter.since().await,
        Writes {
            rows: 3,
            statements: 3,
            data_statements: 3
        },
        "{front:?}: every change is written, once"
    );
    assert_eq!(
        browser.get("/read").await,
        "4",
        "{front:?}: the next load sees it"
    );
    assert_eq!(store.length().await.unwrap(), 1, "{front:?}");
    (reads, store, table)
}

/// `READS` read-only requests through every front end write `expected`; all three front
/// ends are measured (and printed) before anything is asserted.
async fn reads_write<B: Backend>(
    ctx: Ctx,
    option: &str,
    configure: fn(Builder<B::DB>) -> Builder<B::DB>,
    expected: Writes,
) {
    let pool = pool_or_skip!(B, ctx);
    let mut seen = Vec::new();
    for front in FRONTS {
        let (reads, _, _) = read_only_then_changes::<B>(&pool, &ctx, front, configure).await;
        eprintln!(
            "{} {front:?} {option}: {READS} read-only requests wrote {reads:?}",
            B::NAME
        );
        seen.push((front, reads));
    }
    for (front, reads) in seen {
        assert_eq!(
            reads, expected,
            "{front:?}, {option}: {READS} read-only requests"
        );
    }
    B::cleanup(pool, &ctx).await;
}

pub async fn read_only_requests_write_nothing_inside_touch_after<B: Backend>(ctx: Ctx) {
    let nothing = Writes {
        rows: 0,
        statements: 0,
        data_statements: 0,
    };
    reads_write::<B>(
        ctx,
        "touch_after(10 min)",
        |b| b.touch_after(Duration::from_secs(10 * 60)),
        nothing,
    )
    .await;
}

pub async fn read_only_requests_write_nothing_under_disable_touch<B: Backend>(ctx: Ctx) {
    let nothing = Writes {
        rows: 0,
        statements: 0,
        data_statements: 0,
    };
    reads_write::<B>(ctx, "disable_touch", |b| b.disable_touch(true), nothing).await;
}

/// A store built with no option: its default touch window (a share of each session's
/// lifetime) spares read-only requests any write.
pub async fn read_only_requests_write_nothing_with_the_defaults<B: Backend>(ctx: Ctx) {
    let nothing = Writes {
        rows: 0,
        statements: 0,
        data_statements: 0,
    };
    reads_write::<B>(ctx, "the defaults", |b| b, nothing).await;
}

pub async fn read_only_requests_write_the_expiry_only_with_touch_after_zero<B: Backend>(ctx: Ctx) {
    // Each read-only request refreshes the expiry, never the data.
    let expiry_only = Writes {
        rows: READS as i64,
        statements: READS,
        data_statements: 0,
    };
    reads_write::<B>(
        ctx,
        "touch_after(0)",
        |b| b.touch_after(Duration::ZERO),
        expiry_only,
    )
    .await;
}

/// The default window, through tower-sessions' calls in the layer's order (a load, then
/// the save of an unchanged record with its slid expiry): a sliding session of 1 hour is
/// written once its expiry has moved more than 180 s, one of 2 weeks more than 600 s;
/// nothing in between. Counted in rows the database updated and in the store's stats.
pub async fn the_default_window_is_a_twentieth_of_the_lifetime_at_most_ten_minutes<B: Backend>(
    ctx: Ctx,
) {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore;
    let pool = pool_or_skip!(B, ctx);
    let (store, table) = counted_store::<B>(&pool, &ctx, "defwin", |b| b).await;
    // (lifetime, the window it gets)
    let cases = [
        (time::Duration::hours(1), time::Duration::seconds(180)),
        (time::Duration::weeks(2), time::Duration::seconds(600)),
    ];
    for (lifetime, window) in cases {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap();
        let mut record = Record {
            id: Id::default(),
            data: HashMap::from([("n".to_owned(), json!(1))]),
            expiry_date: now + lifetime,
        };
        SessionStore::create(&store, &mut record).await.unwrap();
        let mut meter = Meter::<B>::start(&pool, &table).await;
        // A save as the layer makes it `moved` after the first one: the record's expiry is
        // its lifetime from that request's time.
        let save_at = |moved: time::Duration| {
            let store = store.clone();
            let id = record.id;
            async move {
                let mut r = load_live(&store, &id).await;
                r.expiry_date = now + moved + lifetime;
                let before = store.stats();
                SessionStore::save(&store, &r).await.unwrap();
                let after = store.stats();
                (
                    after.writes - before.writes,
                    after.saves_skipped - before.saves_skipped,
                )
            }
        };
        // The window is a share of the time from the save (now, really) to its new expiry,
        // so a save standing for one `moved` later sees a slightly larger window (189 s
        // instead of 180 for the hour moved 185 s): the margin covers that.
        let margin = time::Duration::seconds(20);
        assert_eq!(save_at(window - margin).await, (0, 1), "{lifetime} inside");
        assert_eq!(meter.since().await.rows, 0, "{lifetime}: nothing written");
        assert_eq!(save_at(window + margin).await, (1, 0), "{lifetime} past");
        assert_eq!(
            meter.since().await.rows,
            1,
            "{lifetime}: the expiry written"
        );
        let stored = store.get(&record.id.to_string()).await.unwrap().unwrap();
        let expected = now + window + margin + lifetime;
        assert_eq!(stored.expires.timestamp(), expected.unix_timestamp());
    }
    B::cleanup(pool, &ctx).await;
}

/// Instance A loads a session and holds it; instance B changes it; A then saves its
/// unchanged copy. Two stores on one table, each with its own pool, as two app instances.
pub async fn unchanged_copy_never_overwrites_another_instance<B: Backend>(ctx: Ctx) {
    let pool_a = pool_or_skip!(B, ctx);
    let pool_b = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    for front in FRONTS {
        let table = ctx.table(&format!("two{}", front as u8));
        let open = |pool: &Pool<B::DB>| {
            SqlStore::builder(pool.clone())
                .table_name(&table)
                .build()
                .unwrap()
        };
        let (a, b) = (open(&pool_a), open(&pool_b));
        a.migrate().await.unwrap();
        let pause = Pause::default();
        let app_a = app(front, a.clone(), pause.clone());
        let app_b = app(front, b.clone(), Pause::default());

        let mut first = Client::new(app_a.clone());
        assert_eq!(first.get("/bump").await, "1");
        let cookie = first.cookie.clone();

        // A serves a read-only request and pauses between load and save...
        let mut slow = Client::with_cookie(app_a, cookie.clone());
        let mut other = Client::with_cookie(app_b, cookie.clone());
        let (held, ()) = tokio::join!(slow.get("/pause"), async {
            pause.loaded.notified().await;
            // ...while B serves a change.
            assert_eq!(other.get("/bump").await, "2", "{front:?}");
            pause.resume.notify_one();
        });
        assert_eq!(held, "1", "{front:?}: A saw the old copy");

        assert_eq!(
            other.get("/read").await,
            "2",
            "{front:?}: B's change survives A's save"
        );
        let ids = a.ids().await.unwrap();
        assert_eq!(ids.len(), 1, "{front:?}");
        assert_eq!(
            a.get(&ids[0]).await.unwrap().unwrap().data,
            json!({ "n": 2 })
        );
    }
    pool_b.close().await;
    B::cleanup(pool_a, &ctx).await;
}

/// Through tower-sessions the store compares data: a record whose maps iterate in
/// another order (another `HashMap` seed, another insertion order) is unchanged.
pub async fn map_order_is_not_a_change<B: Backend>(ctx: Ctx) {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore;
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    let (store, table) = counted_store::<B>(&pool, &ctx, "order", |b| {
        b.touch_after(Duration::from_secs(600))
    })
    .await;
    let keys: Vec<String> = (0..32).map(|i| format!("key{i}")).collect();
    let value = |i: usize| json!({ "z": i, "a": [i, { "y": 1, "b": 2 }], "m": "é" });
    let mut data = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        data.insert(k.clone(), value(i));
    }
    let mut record = Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    SessionStore::create(&store, &mut record).await.unwrap();
    let loaded = load_live(&store, &record.id).await;

    // The same content, built in reverse order in a map with a fresh hasher seed.
    let mut again = HashMap::with_capacity(1024);
    for (i, k) in keys.iter().enumerate().rev() {
        again.insert(k.clone(), value(i));
    }
    // The loaded record's base goes with it (the map is the loaded one, reordered).
    let base = sqlx_session_store::BASE_KEY;
    again.insert(base.to_owned(), loaded.data[base].clone());
    let order = |m: &HashMap<String, serde_json::Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_ne!(
        order(&again),
        order(&loaded.data),
        "the maps iterate differently"
    );
    let mut meter = Meter::<B>::start(&pool, &table).await;
    let resaved = Record {
        data: again,
        ..loaded.clone()
    };
    SessionStore::save(&store, &resaved).await.unwrap();
    assert_eq!(meter.since().await.rows, 0, "same content: nothing written");

    let mut changed = resaved.clone();
    changed.data.insert("key0".to_owned(), json!("new"));
    SessionStore::save(&store, &changed).await.unwrap();
    assert_eq!(
        meter.since().await.data_statements,
        1,
        "a change is written"
    );
    let back = load_live(&store, &record.id).await;
    assert_eq!(without_base(&back.data), without_base(&changed.data));
    B::cleanup(pool, &ctx).await;
}

/// Past `tracked_sessions`, a session forgotten between its load and its save still
/// carries its base: its unchanged save writes no data (the expiry it no longer remembers
/// is checked by the touch statement, which writes nothing inside the window).
pub async fn forgotten_sessions_are_still_compared_by_their_base<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    let (store, table) = counted_store::<B>(&pool, &ctx, "bound", |b| {
        b.touch_after(Duration::from_secs(600)).tracked_sessions(2)
    })
    .await;
    let pause = Pause::default();
    let app = app(Front::Tower, store.clone(), pause.clone());
    let mut browsers: Vec<Client> = (0..3).map(|_| Client::new(app.clone())).collect();
    for b in &mut browsers {
        assert_eq!(b.get("/bump").await, "1");
    }
    assert!(
        format!("{store:?}").contains("tracked_sessions: 2 of 2"),
        "bounded: {store:?}"
    );
    let mut meter = Meter::<B>::start(&pool, &table).await;
    let [first, second, third] = &mut browsers[..] else {
        unreachable!()
    };
    // The first session is loaded, then pushed out by two other sessions' requests.
    let (held, ()) = tokio::join!(first.get("/pause"), async {
        pause.loaded.notified().await;
        assert_eq!(second.get("/read").await, "1");
        assert_eq!(third.get("/read").await, "1");
        pause.resume.notify_one();
    });
    assert_eq!(held, "1");
    assert_eq!(
        meter.since().await,
        Writes {
            rows: 0,
            statements: 1,
            data_statements: 0
        },
        "only the forgotten session runs a statement: the touch, which writes nothing"
    );
    // Known again from its load: the next read-only request runs nothing.
    assert_eq!(first.get("/read").await, "1");
    assert_eq!(meter.since().await.statements, 0);
    B::cleanup(pool, &ctx).await;
}

/// async-session front ends have a change flag, so even two requests of one instance
/// holding the same session never undo each other's change.
pub async fn stale_copy_in_one_instance_keeps_the_change<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    for front in [Front::Tide, Front::AxumSessions] {
        let table = ctx.table(&format!("one{}", front as u8));
        let store = SqlStore::builder(pool.clone())
            .table_name(&table)
            .build()
            .unwrap();
        store.migrate().await.unwrap();
        let pause = Pause::default();
        let app = app(front, store.clone(), pause.clone());
        let mut first = Client::new(app.clone());
        assert_eq!(first.get("/bump").await, "1");
        let mut slow = Client::with_cookie(app.clone(), first.cookie.clone());
        let (held, ()) = tokio::join!(slow.get("/pause"), async {
            pause.loaded.notified().await;
            assert_eq!(first.get("/bump").await, "2");
            pause.resume.notify_one();
        });
        assert_eq!(held, "1");
        assert_eq!(
            first.get("/read").await,
            "2",
            "{front:?}: the change survives"
        );
    }
    B::cleanup(pool, &ctx).await;
}

/// The expiry moves with activity (touch_after zero), and lags by at most touch_after.
pub async fn expiry_slides_with_reads<B: Backend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    for front in FRONTS {
        let table = ctx.table(&format!("slide{}", front as u8));
        let store = SqlStore::builder(pool.clone())
            .table_name(&table)
            .touch_after(Duration::ZERO)
            .build()
            .unwrap();
        store.migrate().await.unwrap();
        let mut browser = Client::new(app(front, store.clone(), Pause::default()));
        browser.get("/bump").await;
        let id = store.ids().await.unwrap().remove(0);
        let before = store.get(&id).await.unwrap().unwrap().expires;
        tokio::time::sleep(Duration::from_millis(20)).await;
        browser.get("/read").await;
        let after = store.get(&id).await.unwrap().unwrap().expires;
        assert!(
            after > before,
            "{front:?}: a read-only request slides the expiry"
        );
        assert!(after > Utc::now(), "{front:?}");
        // A changed request writes the new expiry with the data (touch_after zero).
        tokio::time::sleep(Duration::from_millis(20)).await;
        browser.get("/bump").await;
        let changed = store.get(&id).await.unwrap().unwrap().expires;
        assert!(
            changed > after,
            "{front:?}: a changed request slides the expiry too"
        );
    }
    B::cleanup(pool, &ctx).await;
}

/// A row whose text is not in the store's canonical form (written by another writer, or
/// normalised by the database, as PostgreSQL's JSONB does) is unchanged when its data is.
pub async fn non_canonical_row_text_is_not_a_change<B: Backend>(ctx: Ctx) {
    use tower_sessions::session::Id;
    use tower_sessions::session_store::SessionStore;
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    let (store, table) = counted_store::<B>(&pool, &ctx, "noncanon", |b| {
        b.touch_after(Duration::from_secs(600))
    })
    .await;
    let id = Id::default();
    store.set(&id.to_string(), &json!({}), None).await.unwrap();
    // Spaces, and keys out of order at two depths.
    let text = r#"{ "z" : 1,  "a": { "y": [1, 2], "b": "x" } }"#;
    B::exec(
        &pool,
        &format!("UPDATE {} SET data = '{text}'", B::quote(&table)),
    )
    .await;
    let mut meter = Meter::<B>::start(&pool, &table).await;
    let loaded = load_live(&store, &id).await;
    SessionStore::save(&store, &loaded).await.unwrap();
    assert_eq!(
        meter.since().await.rows,
        0,
        "same data, other text: nothing written"
    );
    B::cleanup(pool, &ctx).await;
}

/// The store remembers a row's text beside its content, so that a load returning the same
/// text needs no walk of the data. A load returning another text (another writer changed
/// the row) must take the content from the data: here instance A's handler sets the data
/// back to what A saw before, and that is a change to write, not the content A remembers.
pub async fn a_row_rewritten_elsewhere_is_compared_by_its_new_content<B: Backend>(ctx: Ctx) {
    use tower_sessions::session_store::SessionStore;
    let pool = pool_or_skip!(B, ctx);
    capture::install_with_statements();
    let (store, table) = counted_store::<B>(&pool, &ctx, "rewritten", |b| {
        b.touch_after(Duration::from_secs(600))
    })
    .await;
    let mut record = super::tower_sessions_suite::new_record("n", json!(1));
    SessionStore::create(&store, &mut record).await.unwrap();
    let first = load_live(&store, &record.id).await;
    assert_eq!(without_base(&first.data), without_base(&record.data));

    // Another writer changes the row.
    B::exec(
        &pool,
        &format!(r#"UPDATE {} SET data = '{{"n":2}}'"#, B::quote(&table)),
    )
    .await;
    let mut loaded = load_live(&store, &record.id).await;
    assert_eq!(loaded.data["n"], json!(2));
    let mut meter = Meter::<B>::start(&pool, &table).await;
    loaded.data.insert("n".to_owned(), json!(1));
    SessionStore::save(&store, &loaded).await.unwrap();
    assert_eq!(
        meter.since().await.data_statements,
        1,
        "a change is written"
    );
    let back = load_live(&store, &record.id).await;
    assert_eq!(back.data["n"], json!(1));
    B::cleanup(pool, &ctx).await;
}

/// The row's expiry never lags the framework's by more than `touch_after`, whatever mix of
/// changed and unchanged saves came before (a changed save inside the window keeps the
/// stored expiry, and the store must remember that it did).
pub async fn expiry_lags_by_at_most_touch_after<B: Backend>(ctx: Ctx) {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore;
    let pool = pool_or_skip!(B, ctx);
    let window = time::Duration::seconds(10);
    let (store, _) = counted_store::<B>(&pool, &ctx, "lag", |b| {
        b.touch_after(Duration::from_secs(10))
    })
    .await;
    let start = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let start = start.replace_nanosecond(0).unwrap();
    let mut record = Record {
        id: Id::default(),
        data: HashMap::from([("n".to_owned(), json!(0))]),
        expiry_date: start,
    };
    SessionStore::create(&store, &mut record).await.unwrap();
    // (seconds after the start, whether the data changes)
    let steps = [
        (6, true),
        (13, false),
        (19, true),
        (27, false),
        (31, false),
        (45, true),
    ];
    // One loaded copy saved again and again (a request that saves several times): the
    // store's memory of the stored expiry is all that decides each save.
    let mut r = load_live(&store, &record.id).await;
    for (n, (secs, change)) in steps.into_iter().enumerate() {
        if change {
            r.data.insert("n".to_owned(), json!(n));
        }
        r.expiry_date = start + time::Duration::seconds(secs);
        SessionStore::save(&store, &r).await.unwrap();
        let stored = store.get(&record.id.to_string()).await.unwrap().unwrap();
        let at = time::OffsetDateTime::from_unix_timestamp(stored.expires.timestamp()).unwrap();
        assert!(
            (r.expiry_date - at).abs() <= window,
            "step {n}: stored {at}, wanted {}",
            r.expiry_date
        );
        assert_eq!(stored.data, json!(without_base(&r.data)), "step {n}");
    }
    // An unchanged save that refreshed the expiry is remembered: the next unchanged save
    // inside the window runs no statement at all.
    capture::install_with_statements();
    let quoted = B::quote(&ctx.table("lag"));
    let mut r = load_live(&store, &record.id).await;
    r.expiry_date = start + time::Duration::seconds(70);
    SessionStore::save(&store, &r).await.unwrap();
    let before = capture::statements_on(&quoted).len();
    r.expiry_date = start + time::Duration::seconds(72);
    SessionStore::save(&store, &r).await.unwrap();
    assert_eq!(
        capture::statements_on(&quoted).len(),
        before,
        "the refreshed expiry was remembered"
    );
    // Likewise after a changed save that wrote a new expiry (the same copy saved again, as
    // a request that saves twice does).
    r.data.insert("n".to_owned(), json!("changed"));
    r.expiry_date = start + time::Duration::seconds(100);
    SessionStore::save(&store, &r).await.unwrap();
    let before = capture::statements_on(&quoted).len();
    r.expiry_date = start + time::Duration::seconds(102);
    SessionStore::save(&store, &r).await.unwrap();
    assert_eq!(
        capture::statements_on(&quoted).len(),
        before,
        "the expiry written with the data was remembered"
    );
    B::cleanup(pool, &ctx).await;
}
