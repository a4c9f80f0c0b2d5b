//! The example's app: a page counting your visits, kept in your session.

use axum::{routing::get, Router};
use sqlx_session_store::SqliteStore;
use tower_sessions::{cookie::time::Duration, Expiry, Session, SessionManagerLayer};

const COUNTER_KEY: &str = "counter";

/// The router with the session layer on top of `store`.
pub fn app(store: SqliteStore) -> Router {
    let sessions = SessionManagerLayer::new(store)
        // Plain http on 127.0.0.1 for the example; keep the default (secure) in production.
        .with_secure(false)
        // Sliding: a session ends a day after its last request; every request slides it,
        // and the store writes only when the data changed or the expiry moved far enough.
        .with_expiry(Expiry::OnInactivity(Duration::days(1)))
        .with_always_save(true);
    Router::new().route("/", get(counter)).layer(sessions)
}

async fn counter(session: Session) -> Result<String, (axum::http::StatusCode, String)> {
    let count: u64 = session
        .get(COUNTER_KEY)
        .await
        .map_err(internal)?
        .unwrap_or(0)
        + 1;
    session.insert(COUNTER_KEY, count).await.map_err(internal)?;
    Ok(format!("Visits in this session: {count}\n"))
}

fn internal(e: impl std::fmt::Display) -> (axum::http::StatusCode, String) {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}
