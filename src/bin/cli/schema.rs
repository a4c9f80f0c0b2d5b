//! `migrate`, `print-sql` and `verify`: the table's schema.

use serde_json::json;
use sqlx_session_store::Dialect;

use crate::failure::Failure;
use crate::report::Report;
use crate::Setup;

/// Creates the table and its indexes if they are missing.
pub(crate) async fn migrate<DB: Dialect>(setup: &Setup<'_, DB>) -> Result<Report, Failure> {
    setup.store()?.migrate().await?;
    let table = setup.table();
    Ok(Report::new(
        format!("table {table} is ready (created if it was missing)"),
        json!({ "command": "migrate", "table": table, "migrated": true }),
    ))
}

/// The DDL `migrate` runs; no database is reached.
pub(crate) fn print_sql<DB: Dialect>(setup: &Setup<'_, DB>) -> Result<Report, Failure> {
    let statements = setup.store()?.migration_sql();
    let human: String = statements.iter().map(|s| format!("{s};\n\n")).collect();
    Ok(Report::new(
        human,
        json!({ "command": "print-sql", "table": setup.table(), "statements": statements }),
    ))
}

/// Checks the table: a missing table or column is bad input (exit code 2).
pub(crate) async fn verify<DB: Dialect>(setup: &Setup<'_, DB>) -> Result<Report, Failure> {
    setup.store()?.verify_schema().await?;
    let table = setup.table();
    Ok(Report::new(
        format!("table {table} has every column the store needs"),
        json!({ "command": "verify", "table": table, "ok": true }),
    ))
}
