//! The expiry reaper suite on Postgres.

mod common;

reaper_suite!(common::backend::Postgres);
