//! The expiry reaper suite on Sqlite.

mod common;

reaper_suite!(common::backend::Sqlite);
