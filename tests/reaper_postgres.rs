//! The expiry reaper suites (what it deletes, its lifecycle) on PostgreSQL.

mod common;

reaper_suite!(common::backend::Postgres);
reaper_lifecycle_suite!(common::backend::Postgres);
