//! The example's app: a page counting your visits, kept in your session.

use sqlx_session_store::SqliteStore;
use tide::sessions::SessionMiddleware;
use tide::{Request, Server};

const COUNTER_KEY: &str = "counter";

/// The shortest cookie-signing secret tide accepts, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// The server with the session middleware on top of `store`; session cookies are signed
/// with `secret` (at least [`MIN_SECRET_LEN`] bytes, and the same across restarts, or
/// every visitor gets a new session).
pub fn app(store: SqliteStore, secret: &[u8]) -> Result<Server<()>, String> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(format!(
            "the session secret must be at least {MIN_SECRET_LEN} bytes, got {}",
            secret.len()
        ));
    }
    let mut app = tide::new();
    // tide marks the cookie `Secure` only over https, so plain http on 127.0.0.1 works here.
    app.with(SessionMiddleware::new(store, secret));
    app.at("/").get(counter);
    Ok(app)
}

async fn counter(mut req: Request<()>) -> tide::Result<String> {
    let session = req.session_mut();
    let count: u64 = session.get(COUNTER_KEY).unwrap_or(0) + 1;
    session.insert(COUNTER_KEY, count)?;
    Ok(format!("You have visited this page {count} times.\n"))
}
