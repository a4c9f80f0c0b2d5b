//! The expiry reaper suites (what it deletes, its lifecycle) on SQLite.

mod common;

reaper_suite!(common::backend::Sqlite);
reaper_lifecycle_suite!(common::backend::Sqlite);
