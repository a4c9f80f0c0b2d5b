//! SQL pieces that several dialects write the same way.

use super::private::Backend;
use crate::schema::{ColumnType, Table};

/// `ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...` (PostgreSQL and SQLite).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn on_conflict_clause(quoted_key: &str, quoted_cols: &[String]) -> String {
    let sets: Vec<String> = quoted_cols
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "ON CONFLICT ({quoted_key}) DO UPDATE SET {}",
        sets.join(", ")
    )
}

/// `CREATE TABLE IF NOT EXISTS` with every column; `inline` is appended inside the
/// parentheses (MySQL's inline indexes).
pub(crate) fn create_table_sql<DB: Backend>(table: &Table, inline: &str) -> String {
    let columns: Vec<String> = table
        .columns()
        .iter()
        .map(|col| {
            let constraint = match (col.ty, col.nullable) {
                (ColumnType::SessionId, _) => " NOT NULL PRIMARY KEY",
                (_, false) => " NOT NULL",
                (_, true) => "",
            };
            let default = col
                .default
                .map_or_else(String::new, |d| format!(" DEFAULT {d}"));
            format!(
                "    {} {}{constraint}{default}",
                DB::quote(col.name.as_str()),
                DB::column_type(col.ty)
            )
        })
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}{inline}\n)",
        DB::qualified(table),
        columns.join(",\n")
    )
}
