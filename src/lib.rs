// The README is the crate's front page; its examples use SQLite and tower-sessions, so
// they are compiled (as doctests) only when those features are on, as on docs.rs. The
// guides (`guide`) need the async-session front end too.
#![cfg_attr(
    all(feature = "sqlite", feature = "tower-sessions"),
    doc = include_str!("../README.md")
)]
#![cfg_attr(
    not(all(feature = "sqlite", feature = "tower-sessions")),
    doc = "SQL session store on sqlx for SQLite, PostgreSQL and MySQL/MariaDB, with \
           tower-sessions and async-session front ends. The front page is the README, \
           rendered as these docs when the `sqlite` and `tower-sessions` features are on, \
           and the guides are the `guide` module's pages when `async-session` is on too \
           (as on docs.rs)."
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code never panics and never prints: errors are returned, events go to `tracing`.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::print_stdout,
        clippy::print_stderr,
        // As sqlx-core: no silent truncation, wrap or sign loss in a numeric cast.
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss
    )
)]
// Crate-internal items say so (`pub(crate)`): `pub` means part of the public API. (For the
// library only: tests and benches share modules with `pub` items.)
#![warn(unreachable_pub)]

// Layers, each importing only those before it: ident → fields → schema →
// options → dialect → sql → store → cleanup → reaper; builder and adapters at the edges.
// Beside them, imported from anywhere: error and redact (errors), record (what `get`
// returns), timer (deadlines on either runtime), at_rest and crypt (hashed ids, sealed data).
mod at_rest;
mod builder;
mod cleanup;
#[cfg(feature = "encryption")]
pub(crate) mod crypt;
mod dialect;
mod error;
mod fields;
mod ident;
mod op;
mod options;
mod reaper;
mod record;
mod redact;
mod schema;
mod sealed;
mod sql;
mod store;
mod timer;

pub mod adapters;
#[cfg(all(
    feature = "sqlite",
    feature = "tower-sessions",
    feature = "async-session"
))]
pub mod guide;

pub use builder::Builder;
pub use cleanup::Sweep;
#[cfg(feature = "encryption")]
#[cfg_attr(docsrs, doc(cfg(feature = "encryption")))]
pub use crypt::EncryptionKey;
pub use dialect::Dialect;
pub use error::{Error, Result};
pub use fields::{Column, ColumnKind, DefaultFields, ExtendFields, FieldValue, Fields};
pub use ident::MAX_IDENTIFIER_LEN;
pub use options::{
    DEFAULT_CHECK_EXPIRATION_INTERVAL, DEFAULT_DELETE_BATCH_SIZE, DEFAULT_EXPIRATION,
    DEFAULT_MAX_DATA_SIZE, DEFAULT_OPERATION_TIMEOUT, DEFAULT_TOUCH_AFTER_MAX,
    DEFAULT_TRACKED_SESSIONS,
};
pub use reaper::handle::ReaperHandle;
pub use record::{InvalidHandle, SessionHandle, SessionInfo, SessionRecord};
pub use redact::{DataError, DatabaseError, DatabaseErrorKind};
pub use schema::DEFAULT_TABLE_NAME;
pub use store::admin::{RowCounts, TableSize};
pub use store::base::BASE_KEY;
pub use store::stats::StoreStats;
pub use store::{SqlStore, MAX_SESSION_ID_LEN};

/// The sqlx this crate is built on, so that pools and options match its version.
pub use sqlx;

/// A store on SQLite.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub type SqliteStore = SqlStore<sqlx::Sqlite>;

/// A store on PostgreSQL.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub type PgStore = SqlStore<sqlx::Postgres>;

/// A store on MySQL or MariaDB.
#[cfg(feature = "mysql")]
#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
pub type MySqlStore = SqlStore<sqlx::MySql>;
