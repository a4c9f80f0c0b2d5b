//! Outages and lock conflicts on MySQL/MariaDB: a silent network, a deadlock. A binary of
//! its own, so that no other test's load shares the server while it waits on locks.

mod common;

outage_suite!(common::backend::MySql, sqlx::mysql::MySqlConnectOptions);
