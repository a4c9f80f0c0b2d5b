//! `sqlx-session-store`: the command line of the sqlx-session-store crate, for the people
//! who run a session table (feature `cli`).
//!
//! ```text
//! cargo install sqlx-session-store --features cli
//! sqlx-session-store --url URL [--table T] [--schema S] [--hash-ids] [--timeout SECS] [--json] <command>
//! ```
//!
//! The URL (else the `DATABASE_URL` environment variable) picks the backend by its scheme:
//! `sqlite:`, `postgres:` or `postgresql:`, `mysql:` or `mariadb:`. The commands:
//!
//! | command | what it does |
//! |---|---|
//! | `migrate` | creates the table and its indexes if they are missing |
//! | `print-sql` | prints the DDL `migrate` runs (no database is reached) |
//! | `verify` | checks that the table has every column the store needs |
//! | `purge [--dry-run] [--batch N] [--max-lifetime SECS]` | deletes expired sessions in batches |
//! | `stats [--by COLUMN]` | live and expired rows, expiry range, size, top values of a column |
//! | `list --where COLUMN=VALUE` | the live sessions of one custom column value, by handle |
//! | `revoke --where COLUMN=VALUE [--handle H]`, `revoke --id ID` | ends sessions |
//!
//! Output is a summary for people on stdout, or with `--json` one JSON document. Session
//! ids and session data are never printed: a session is shown by its handle, which
//! `revoke --handle` takes. An error is one line on stderr, `error: ...`.
//!
//! `--where COLUMN=VALUE` names a custom column of the table (not one of the store's own):
//! when the table declares the column as an integer type, VALUE must be an integer and is
//! compared as one; when it declares text, VALUE is compared as text; when the declared
//! type is neither (an untyped SQLite column), VALUE is an integer if it reads as one,
//! else text. Other kinds of column (boolean, timestamp, JSON) are refused.
//!
//! Exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the database failed or could not be reached, or another runtime failure |
//! | 2 | bad input, and nothing was changed: bad arguments, a bad URL, a table that does not exist or lacks columns, an unknown column or a value that does not fit it |
//! | 130 | interrupted: Ctrl-C during `purge` stops it after the current batch, and it says how far it got |
//!
//! One job per file: `args.rs` the arguments; `connect.rs` the URL, backend and pool;
//! `failure.rs` errors and exit codes; `report.rs` what is printed; `columns.rs` a custom
//! column named on the command line, checked against the table; `schema.rs` `migrate`,
//! `print-sql` and `verify`; `purge.rs`, `stats.rs`; `sessions.rs` `list` and `revoke`.

mod args;
mod columns;
mod connect;
mod failure;
mod purge;
mod report;
mod schema;
mod sessions;
mod stats;

use std::process::ExitCode;

use clap::Parser;
use sqlx_session_store::sqlx::Pool;
use sqlx_session_store::{Builder, Dialect, SqlStore};

use args::{Cli, Command};
use connect::{Access, Target};
use failure::Failure;
use report::Report;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Usage errors exit with code 2 (clap's own), `--help` with 0.
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(report) => {
            report.print(cli.json);
            ExitCode::from(report.exit_code())
        }
        Err(failure) => {
            failure.print();
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Opens the database of `cli` and runs its command there.
async fn run(cli: &Cli) -> Result<Report, Failure> {
    let access = match cli.command {
        Command::PrintSql => Access::None,
        Command::Migrate => Access::Create,
        _ => Access::Existing,
    };
    match connect::open(cli.url.as_deref(), access)? {
        Target::Sqlite(pool) => on(Setup { pool, cli }).await,
        Target::Postgres(pool) => on(Setup { pool, cli }).await,
        Target::MySql(pool) => on(Setup { pool, cli }).await,
    }
}

/// Runs the command on one backend, then closes the pool's connections (so that the
/// server sees them end, not drop).
async fn on<DB: Dialect>(setup: Setup<'_, DB>) -> Result<Report, Failure> {
    let result = command(&setup).await;
    setup.pool.close().await;
    result
}

async fn command<DB: Dialect>(setup: &Setup<'_, DB>) -> Result<Report, Failure> {
    match &setup.cli.command {
        Command::Migrate => schema::migrate(setup).await,
        Command::PrintSql => schema::print_sql(setup),
        Command::Verify => schema::verify(setup).await,
        Command::Purge(args) => purge::purge(setup, args).await,
        Command::Stats(args) => stats::stats(setup, args).await,
        Command::List(args) => sessions::list(setup, args).await,
        Command::Revoke(args) => sessions::revoke(setup, args).await,
    }
}

/// The pool and the options of the command line, from which each command builds its store.
pub(crate) struct Setup<'a, DB: Dialect> {
    pool: Pool<DB>,
    pub(crate) cli: &'a Cli,
}

impl<DB: Dialect> Setup<'_, DB> {
    /// A builder with the table options of the command line (`--table`, `--schema`,
    /// `--hash-ids`), for a command to add its own.
    pub(crate) fn builder(&self) -> Builder<DB> {
        let mut builder = SqlStore::builder(self.pool.clone())
            .table_name(&self.cli.table)
            .hash_ids(self.cli.hash_ids)
            .operation_timeout(std::time::Duration::from_secs(self.cli.timeout));
        if let Some(schema) = &self.cli.schema {
            builder = builder.schema_name(schema);
        }
        builder
    }

    /// The store of the command line's table, with no more options.
    pub(crate) fn store(&self) -> Result<SqlStore<DB>, Failure> {
        Ok(self.builder().build()?)
    }

    /// The table as messages name it: `schema.table` or `table`.
    pub(crate) fn table(&self) -> String {
        match &self.cli.schema {
            Some(schema) => format!("{schema}.{}", self.cli.table),
            None => self.cli.table.clone(),
        }
    }
}
