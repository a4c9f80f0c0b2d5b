//! The expiry reaper suite on MySql.

mod common;

reaper_suite!(common::backend::MySql);
outage_suite!(common::backend::MySql, sqlx::mysql::MySqlConnectOptions);
