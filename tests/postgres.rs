//! The shared store suite on Postgres.

mod common;

store_suite!(common::backend::Postgres);

/// The command line (`sqlx-session-store`), run as a process.
#[cfg(feature = "cli")]
mod cli {
    use super::common;
    crate::cli_suite!(common::backend::Postgres);
}
