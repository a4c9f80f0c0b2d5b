//! The async-session front end's suite on PostgreSQL.

mod common;

async_session_suite!(common::backend::Postgres);
