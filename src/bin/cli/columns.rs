//! A custom column named on the command line (`stats --by`, `--where`): checked against the
//! table's real columns before the store is built with it, so that a misspelt name is bad
//! input (exit code 2) and a core column (the id, the data) is never listed or matched.

use sqlx_session_store::{Column, ColumnKind, Dialect, FieldValue, SqlStore};

use crate::failure::Failure;
use crate::Setup;

/// The store's own columns (the command line keeps their default names): never a custom
/// column, and never shown.
const CORE_COLUMNS: [&str; 6] = [
    "sid",
    "data",
    "expires",
    "created_at",
    "updated_at",
    "version",
];

/// A column of the table, as the database spells it, and the kind it serves as.
pub(crate) struct TableColumn {
    pub(crate) name: String,
    pub(crate) kind: Option<ColumnKind>,
}

/// The custom column `name` of the table of `setup`, named by option `flag` (for messages).
pub(crate) async fn find<DB: Dialect>(
    setup: &Setup<'_, DB>,
    name: &str,
    flag: &str,
) -> Result<TableColumn, Failure> {
    if CORE_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
        return Err(Failure::bad_input(format!(
            "{flag} {name}: that is one of the store's own columns; name a custom column"
        )));
    }
    let store: SqlStore<DB> = setup.store()?;
    let columns = store.column_kinds().await?;
    if columns.is_empty() {
        // No such table: reported as such.
        store.verify_schema().await?;
    }
    if let Some((name, kind)) = columns.iter().find(|(c, _)| c == name) {
        return Ok(TableColumn {
            name: name.clone(),
            kind: *kind,
        });
    }
    let hint = columns
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(name))
        .map_or_else(String::new, |(c, _)| format!(" (did you mean {c}?)"));
    Err(Failure::bad_input(format!(
        "{flag} {name}: table {} has no column {name:?}{hint}",
        setup.table()
    )))
}

impl TableColumn {
    /// The column as the builder declares it for `--where`, and `value` as its type has it:
    /// an integer for a column of an integer type, text for a text column, and for a
    /// column of no known type (an untyped SQLite column) an integer when `value` reads as
    /// one, else text.
    pub(crate) fn with_value(&self, value: &str) -> Result<(Column, FieldValue), Failure> {
        let integer = value.parse::<i64>().ok();
        let name = self.name.as_str();
        match (self.kind, integer) {
            (Some(ColumnKind::Integer) | None, Some(n)) => {
                Ok((Column::integer(name), FieldValue::Integer(n)))
            }
            (Some(ColumnKind::Integer), None) => Err(Failure::bad_input(format!(
                "--where {name}={value}: column {name} holds integers, and {value:?} is not one"
            ))),
            (Some(ColumnKind::Text) | None, _) => {
                Ok((Column::text(name), FieldValue::Text(value.to_owned())))
            }
            (Some(kind), _) => Err(Failure::bad_input(format!(
                "--where {name}=...: column {name} holds {} values; --where takes a column of \
                 text or integers",
                kind_name(kind)
            ))),
        }
    }
}

fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Text => "text",
        ColumnKind::Integer => "integer",
        ColumnKind::Boolean => "boolean",
        ColumnKind::Timestamp => "timestamp",
        ColumnKind::Json => "JSON",
        _ => "other",
    }
}
