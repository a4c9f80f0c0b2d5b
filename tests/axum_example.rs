//! The README's axum example: its counter survives a restart of the app on the same
//! SQLite file.

mod common;

#[path = "../examples/axum/app.rs"]
mod app;

use common::tower_sessions_suite::call;
use sqlx_session_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx_session_store::SqliteStore;

async fn start(file: &std::path::Path) -> (SqlitePool, axum::Router) {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let store = SqliteStore::new(pool.clone());
    store.migrate().await.unwrap();
    (pool, app::app(store))
}

#[tokio::test]
async fn counter_survives_a_restart() {
    let ctx = common::backend::Ctx::new("axum_example");
    let file = common::backend::Sqlite::path(&ctx);

    let (pool, app) = start(&file).await;
    let (body, cookie) = call(&app, "/", None).await;
    assert_eq!(body, "Visits in this session: 1\n");
    let cookie = cookie.expect("session cookie");
    assert!(call(&app, "/", Some(&cookie)).await.0.ends_with(": 2\n"));
    drop(app);
    pool.close().await;

    // A new process would start exactly like this: new pool, same file.
    let (pool, app) = start(&file).await;
    assert!(call(&app, "/", Some(&cookie)).await.0.ends_with(": 3\n"));
    // Another browser (no cookie) starts at 1.
    assert!(call(&app, "/", None).await.0.ends_with(": 1\n"));
    drop(app);
    <common::backend::Sqlite as common::backend::Backend>::cleanup(pool, &ctx).await;
}
