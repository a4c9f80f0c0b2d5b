//! The shared store suite on Sqlite.

mod common;

store_suite!(common::backend::Sqlite);

/// The command line (`sqlx-session-store`), run as a process.
#[cfg(feature = "cli")]
mod cli {
    use super::common;
    crate::cli_suite!(common::backend::Sqlite);
}
