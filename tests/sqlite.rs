//! The shared store suite on Sqlite.

mod common;

store_suite!(common::backend::Sqlite);
