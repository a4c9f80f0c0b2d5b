//! The expiry reaper suite on MySql.

mod common;

reaper_suite!(common::backend::MySql);
