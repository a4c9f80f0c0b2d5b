//! axum-sessions 0.6 (axum 0.6, async-session 3) over our store: the layer drives real
//! request/response cycles, and the rows it leaves are the plain JSON layout.

use async_session::Session;
use axum06::body::{Body, HttpBody};
use axum06::http::{header, Request, StatusCode};
use axum06::{routing::get, Router};
use axum_sessions::extractors::WritableSession;
use axum_sessions::SessionLayer;
use serde_json::json;
use sqlx_session_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx_session_store::SqliteStore;
use tower::ServiceExt;

/// axum-sessions wants at least 64 bytes.
const SECRET: &[u8] = b"an axum-sessions test secret, which must be at least sixty-four bytes long";
const COOKIE: &str = "sid";
/// axum-sessions prefixes the cookie value with a base64 HMAC-SHA256 of this length.
const SIGNATURE_LEN: usize = 44;

async fn counter(mut session: WritableSession) -> String {
    let count: u64 = session.get("counter").unwrap_or(0) + 1;
    session.insert("counter", count).expect("serializable");
    format!("visits: {count}")
}

async fn logout(mut session: WritableSession) -> &'static str {
    session.destroy();
    "bye"
}

// axum-sessions 0.6.1 deprecates its layer in favour of tower-sessions (which this crate
// also supports); it still works, and existing apps use it.
#[allow(deprecated)]
fn app(store: SqliteStore) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/logout", get(logout))
        .layer(SessionLayer::new(store, SECRET))
}

/// One request through the app: status, the session cookie it sets (if any), body.
async fn call(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::builder().uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("{COOKIE}={cookie}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set_cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix(&format!("{COOKIE}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .next();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    (status, set_cookie, String::from_utf8(bytes).unwrap())
}

#[tokio::test]
async fn axum_sessions_layer_roundtrip_and_logout() {
    let file = std::env::temp_dir().join(format!(
        "sqlx_session_store_axum_sessions_{}.db",
        std::process::id()
    ));
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let store = SqliteStore::new(pool.clone());
    store.migrate().await.unwrap();
    store.clear().await.unwrap();
    let app = app(store.clone());

    // First visit: a new session, stored, and its signed cookie set.
    let (status, cookie, body) = call(&app, "/", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "visits: 1"));
    let cookie = cookie.expect("a session cookie for a new session");
    let id = Session::id_from_cookie_value(&cookie[SIGNATURE_LEN..]).expect("base64");
    let row = store
        .get(&id)
        .await
        .unwrap()
        .expect("row keyed by Session::id");
    assert_eq!(row.data, json!({ "counter": 1 }));

    // Second visit with the cookie: the same session, updated in place.
    let (status, again, body) = call(&app, "/", Some(&cookie)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "visits: 2"));
    assert_eq!(again, None, "a loaded session keeps its cookie");
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().data,
        json!({ "counter": 2 })
    );
    assert_eq!(store.length().await.unwrap(), 1);

    // Logout destroys the row; the old cookie then starts a new session.
    let (status, _, body) = call(&app, "/logout", Some(&cookie)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "bye"));
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert_eq!(store.length().await.unwrap(), 0);
    let (_, fresh, body) = call(&app, "/", Some(&cookie)).await;
    assert_eq!(body, "visits: 1");
    assert_ne!(fresh.expect("a new session's cookie"), cookie);

    pool.close().await;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = file.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
