//! From the URL to a pool: the scheme picks the backend. Pools connect lazily, on the first
//! statement, so that `print-sql` reaches no database and a server that cannot be reached
//! is reported by the store's first operation (within its operation timeout).
//!
//! No message here quotes the URL, which may hold a password.

use std::str::FromStr;

use sqlx_session_store::sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx_session_store::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx_session_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx_session_store::sqlx::{MySqlPool, PgPool, SqlitePool};

use crate::failure::Failure;

/// Connections a command needs at most: its statements run one after the other.
const MAX_CONNECTIONS: u32 = 2;

/// The database of a URL, with its pool.
pub(crate) enum Target {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// What the command does with an SQLite file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reaches no database (`print-sql`).
    None,
    /// May create it (`migrate`).
    Create,
    /// Needs it to exist: a missing file is bad input.
    Existing,
}

/// The pool for `url` (`None`: neither `--url` nor `DATABASE_URL` was given).
pub(crate) fn open(url: Option<&str>, access: Access) -> Result<Target, Failure> {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return Err(Failure::bad_input(
            "no database URL: give --url or set DATABASE_URL",
        ));
    };
    let Some((scheme, _)) = url.split_once(':') else {
        return Err(Failure::bad_input(
            "--url is not a database URL (sqlite:PATH, postgres://..., mysql://...)",
        ));
    };
    let bad = |e: sqlx_session_store::sqlx::Error| {
        Failure::bad_input(format!("--url is not a valid {scheme}: URL: {e}"))
    };
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(bad)?
                .create_if_missing(access == Access::Create);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let file = options.get_filename();
            if access == Access::Existing && !in_memory && !file.exists() {
                return Err(Failure::bad_input(format!(
                    "no SQLite database at {} (migrate creates it)",
                    file.display()
                )));
            }
            let folder = file.parent().filter(|p| !p.as_os_str().is_empty());
            if access == Access::Create && !in_memory && folder.is_some_and(|f| !f.is_dir()) {
                return Err(Failure::bad_input(format!(
                    "no folder for the SQLite database at {}",
                    file.display()
                )));
            }
            Ok(Target::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .connect_lazy_with(options),
            ))
        }
        "postgres" | "postgresql" => {
            let options = PgConnectOptions::from_str(url).map_err(bad)?;
            Ok(Target::Postgres(
                PgPoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .connect_lazy_with(options),
            ))
        }
        "mysql" | "mariadb" => {
            let options = MySqlConnectOptions::from_str(url).map_err(bad)?;
            Ok(Target::MySql(
                MySqlPoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .connect_lazy_with(options),
            ))
        }
        _ => Err(Failure::bad_input(format!(
            "--url has the unknown scheme {scheme:?}: use sqlite:, postgres:, postgresql:, \
             mysql: or mariadb:"
        ))),
    }
}
