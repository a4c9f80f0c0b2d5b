//! The async-session front end's suite on SQLite.

mod common;

async_session_suite!(common::backend::Sqlite);
