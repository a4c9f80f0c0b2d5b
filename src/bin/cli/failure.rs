//! What can go wrong, the exit code of each, and the one line printed for it.

use std::io::Write;

/// Success.
pub(crate) const SUCCESS: u8 = 0;
/// The database failed or could not be reached, or another runtime failure.
pub(crate) const RUNTIME_FAILURE: u8 = 1;
/// Bad input; nothing was changed.
pub(crate) const BAD_INPUT: u8 = 2;
/// Interrupted (Ctrl-C during `purge`).
pub(crate) const INTERRUPTED: u8 = 130;

/// The exit codes in `--help`: the constants above, in words.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success
  1    the database failed or could not be reached, or another runtime failure
  2    bad input, and nothing was changed: bad arguments, a bad URL, a table that does not
       exist or lacks columns, an unknown column or a value that does not fit it
  130  interrupted: Ctrl-C during purge stops it after the current batch";

/// A command that did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input, found before anything was changed (exit code 2).
    BadInput(String),
    /// The database or the runtime failed (exit code 1).
    Runtime(String),
}

impl Failure {
    pub(crate) fn bad_input(message: impl Into<String>) -> Self {
        Failure::BadInput(message.into())
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::BadInput(_) => BAD_INPUT,
            Failure::Runtime(_) => RUNTIME_FAILURE,
        }
    }

    /// `error: ...` on stderr, on one line.
    pub(crate) fn print(&self) {
        let (Failure::BadInput(message) | Failure::Runtime(message)) = self;
        let line = message.replace('\n', " ");
        let _ = writeln!(std::io::stderr().lock(), "error: {line}");
    }

    /// The same failure, its message followed by `context`.
    pub(crate) fn with_context(self, context: &str) -> Self {
        match self {
            Failure::BadInput(m) => Failure::BadInput(format!("{m} ({context})")),
            Failure::Runtime(m) => Failure::Runtime(format!("{m} ({context})")),
        }
    }
}

/// The store's errors: what the table or the input is wrong about is bad input, the rest a
/// runtime failure. Their messages carry no session id and no session data.
impl From<sqlx_session_store::Error> for Failure {
    fn from(e: sqlx_session_store::Error) -> Self {
        use sqlx_session_store::Error as E;
        let message = chain(&e);
        match e {
            E::InvalidIdentifier { .. }
            | E::InvalidConfig { .. }
            | E::InvalidSessionId { .. }
            | E::UnknownColumn { .. }
            | E::FieldType { .. }
            | E::MissingColumns { .. }
            | E::IncompatibleSchema { .. } => Failure::BadInput(message),
            _ => Failure::Runtime(message),
        }
    }
}

/// An error and its `source()` chain, `a: b: c`, each distinct message once.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut previous = out.clone();
    let mut next = e.source();
    while let Some(source) = next {
        let message = source.to_string();
        // Some errors (sqlx's) repeat their source's message in their own.
        if !previous.contains(&message) {
            out.push_str(": ");
            out.push_str(&message);
        }
        previous = message;
        next = source.source();
    }
    out
}
