//! The command line's arguments (clap).

use clap::{ArgGroup, Args, Parser, Subcommand};
use sqlx_session_store::{SessionHandle, DEFAULT_DELETE_BATCH_SIZE, DEFAULT_TABLE_NAME};

use crate::failure::EXIT_CODES_HELP;

/// Runs and inspects a sqlx-session-store session table: migrate, verify, purge expired
/// sessions, stats, and list or end the sessions of one user. Session ids and data are
/// never printed.
#[derive(Debug, Parser)]
#[command(name = "sqlx-session-store", version, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// The database URL; its scheme picks the backend: sqlite:, postgres: (or postgresql:),
    /// mysql: (or mariadb:). Default: the DATABASE_URL environment variable.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub(crate) url: Option<String>,

    /// The sessions table.
    #[arg(long, value_name = "T", default_value = DEFAULT_TABLE_NAME, global = true)]
    pub(crate) table: String,

    /// The schema (PostgreSQL) or database (MySQL) holding the table. Default: the
    /// connection's current one. (On SQLite the file of --url is `main`.)
    #[arg(long, value_name = "S", global = true)]
    pub(crate) schema: Option<String>,

    /// The table keeps digests of the session ids (the store's `hash_ids`): `revoke --id`
    /// then hashes the id it is given.
    #[arg(long, global = true)]
    pub(crate) hash_ids: bool,

    /// The longest one statement may take, in seconds (the store's `operation_timeout`): a
    /// count or a purge batch on a large table can need more than the default 30.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub(crate) timeout: u64,

    /// Print one JSON document on stdout instead of a summary for people.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create the table and its indexes if they are missing (an SQLite file too).
    Migrate,
    /// Print the DDL that `migrate` runs, for review or your own migration tool (no
    /// database is reached).
    PrintSql,
    /// Check that the table exists and has every column the store needs (exit code 2 if
    /// not).
    Verify,
    /// Delete the expired sessions, in batches (Ctrl-C stops after the current batch:
    /// exit code 130).
    Purge(PurgeArgs),
    /// Live and expired rows, the oldest and newest expiry, the table's size, and with
    /// --by the most common values of a custom column among live sessions.
    Stats(StatsArgs),
    /// The live sessions of one value of a custom column: handle, expiry, last write.
    List(ListArgs),
    /// End sessions: with --where, all of that value's sessions (live or expired), or with
    /// --handle only that one; with --id, the session of that id.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PurgeArgs {
    /// Only count the sessions that would be deleted.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// The most rows one DELETE statement removes.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_DELETE_BATCH_SIZE,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub(crate) batch: u32,

    /// Also delete the sessions created more than SECS seconds ago, however recently used
    /// (the store's `max_lifetime`).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_lifetime: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Count the live sessions by the values of this custom column (the 10 most common).
    #[arg(long, value_name = "COLUMN")]
    pub(crate) by: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The custom column and its value, such as user_id=7 (an integer for a column of an
    /// integer type, else text).
    #[arg(long = "where", value_name = "COLUMN=VALUE", value_parser = parse_where)]
    pub(crate) filter: Where,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("sessions").required(true).args(["filter", "id"])))]
pub(crate) struct RevokeArgs {
    /// The custom column and its value, such as user_id=7: ends all of its sessions, or
    /// with --handle only that one.
    #[arg(long = "where", value_name = "COLUMN=VALUE", value_parser = parse_where)]
    pub(crate) filter: Option<Where>,

    /// With --where: end only the session of this handle (as `list` shows it).
    #[arg(long, value_name = "HANDLE", requires = "filter")]
    pub(crate) handle: Option<SessionHandle>,

    /// End the session of this id, as the session cookie carries it (hashed under
    /// --hash-ids). `-` reads it from stdin, which keeps it out of the process list and
    /// the shell's history.
    #[arg(long, value_name = "ID", conflicts_with = "filter")]
    pub(crate) id: Option<String>,
}

/// `--where COLUMN=VALUE`.
#[derive(Clone, Debug)]
pub(crate) struct Where {
    pub(crate) column: String,
    pub(crate) value: String,
}

fn parse_where(text: &str) -> Result<Where, String> {
    match text.split_once('=') {
        Some((column, value)) if !column.is_empty() => Ok(Where {
            column: column.to_owned(),
            value: value.to_owned(),
        }),
        _ => Err("expected COLUMN=VALUE, such as user_id=7".to_owned()),
    }
}
