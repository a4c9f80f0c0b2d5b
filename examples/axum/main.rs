//! An axum 0.8 app whose sessions live in a SQLite file: the visit counter survives a
//! restart of the app.
//!
//! ```text
//! cargo run --example axum
//! curl -c jar -b jar http://127.0.0.1:3000/   # run it twice, restart the app, run it again
//! ```
//!
//! `ADDR` (default `127.0.0.1:3000`) and `SESSIONS_DB` (default `sessions.db`) change
//! where it listens and which file it uses.

mod app;

use sqlx_session_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx_session_store::SqliteStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let file = std::env::var("SESSIONS_DB").unwrap_or_else(|_| "sessions.db".to_owned());

    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await?;
    let store = SqliteStore::new(pool);
    store.migrate().await?;
    // Expired rows are deleted every 15 minutes while the example runs.
    store.start_expiring_sessions()?;

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr} (sessions in {file})");
    axum::serve(listener, app::app(store)).await?;
    Ok(())
}
