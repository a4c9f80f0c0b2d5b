//! The shared store suite on Postgres.

mod common;

store_suite!(common::backend::Postgres);
