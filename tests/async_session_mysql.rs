//! The async-session front end's suite on MySQL/MariaDB.

mod common;

async_session_suite!(common::backend::MySql);
