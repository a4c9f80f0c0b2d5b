//! The shared store suite on MySql.

mod common;

store_suite!(common::backend::MySql);
