//! The expiry reaper suites (what it deletes, its lifecycle) on MySQL/MariaDB.

mod common;

reaper_suite!(common::backend::MySql);
reaper_lifecycle_suite!(common::backend::MySql);
