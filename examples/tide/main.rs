//! A tide 0.17 app whose sessions live in a SQLite file: the visit counter survives a
//! restart of the app. The same app as the axum example, on async-session 3.
//!
//! ```text
//! cargo run --example tide --features runtime-async-std,async-session
//! curl -c jar -b jar http://127.0.0.1:3001/   # run it twice, restart the app, run it again
//! ```
//!
//! `ADDR` (default `127.0.0.1:3001`; or `PORT` alone for `127.0.0.1:$PORT`) and
//! `SESSIONS_DB` (default `sessions-tide.db`) change where it listens and which file it
//! uses. `SESSION_SECRET` (32 bytes or more) signs the session cookies; the built-in
//! default is for this example only.

mod app;

use sqlx_session_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx_session_store::SqliteStore;

/// Example only: a real app reads its secret from its configuration.
const EXAMPLE_SECRET: &str = "example secret: replace me, at least 32 bytes long!";

#[async_std::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = match (std::env::var("ADDR"), std::env::var("PORT")) {
        (Ok(addr), _) => addr,
        (Err(_), Ok(port)) => format!("127.0.0.1:{port}"),
        (Err(_), Err(_)) => "127.0.0.1:3001".to_owned(),
    };
    let file = std::env::var("SESSIONS_DB").unwrap_or_else(|_| "sessions-tide.db".to_owned());
    let secret = std::env::var("SESSION_SECRET").unwrap_or_else(|_| EXAMPLE_SECRET.to_owned());

    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await?;
    let store = SqliteStore::new(pool);
    store.migrate().await?;

    // The crate's built-in reaper runs on tokio; under async-std, clean up from a task.
    let interval = store.check_expiration_interval();
    if !interval.is_zero() {
        let reaper = store.clone();
        async_std::task::spawn(async move {
            loop {
                async_std::task::sleep(interval).await;
                if let Err(e) = reaper.clear_expired_sessions().await {
                    eprintln!("expired-session cleanup failed: {e}");
                }
            }
        });
    }

    let app = app::app(store, secret.as_bytes())?;
    println!("listening on http://{addr} (sessions in {file})");
    app.listen(addr).await?;
    Ok(())
}
