//! `stats`: the table's rows, expiries and size, and with `--by` the most common values of a
//! custom column among the live sessions.

use std::fmt::Write as _;

use serde_json::{json, Value};
use sqlx_session_store::{Column, Dialect};

use crate::args::StatsArgs;
use crate::columns;
use crate::failure::Failure;
use crate::report::{human_bytes, human_time, json_time, Report};
use crate::Setup;

/// How many values `--by` shows.
const TOP_VALUES: u32 = 10;

pub(crate) async fn stats<DB: Dialect>(
    setup: &Setup<'_, DB>,
    args: &StatsArgs,
) -> Result<Report, Failure> {
    let by = match &args.by {
        Some(name) => Some(columns::find(setup, name, "--by").await?),
        None => None,
    };
    let mut builder = setup.builder();
    if let Some(column) = &by {
        // Read as text whatever its type: its kind does not matter to `top_values`.
        builder = builder.column(Column::text(&column.name));
    }
    let store = builder.build()?;

    let counts = store.row_counts().await?;
    let (live, expired) = (counts.live, counts.expired);
    let range = store.expiry_range().await?;
    let size = match store.table_size().await? {
        Some(size) => Size::Table {
            data: size.data_bytes,
            indexes: size.index_bytes,
        },
        None => match store.database_size().await? {
            Some(bytes) => Size::Database(bytes),
            None => Size::Unknown,
        },
    };
    let top = match &by {
        Some(column) => Some((
            column.name.as_str(),
            store.top_values(&column.name, TOP_VALUES).await?,
        )),
        None => None,
    };

    let table = setup.table();
    let mut human = String::new();
    let _ = writeln!(human, "table          {table}");
    let _ = writeln!(human, "live rows      {live}");
    let _ = writeln!(human, "expired rows   {expired}");
    let (oldest, newest) = match range {
        Some((oldest, newest)) => (human_time(oldest), human_time(newest)),
        None => ("none (no rows)".to_owned(), "none (no rows)".to_owned()),
    };
    let _ = writeln!(human, "oldest expiry  {oldest}");
    let _ = writeln!(human, "newest expiry  {newest}");
    let _ = writeln!(human, "size           {}", size.human());
    let mut json = json!({
        "command": "stats",
        "table": table,
        "live": live,
        "expired": expired,
        "oldest_expiry": range.map(|(t, _)| json_time(t)),
        "newest_expiry": range.map(|(_, t)| json_time(t)),
        "size": size.json(),
    });
    if let Some((column, top)) = top {
        let _ = writeln!(human, "most common {column} values among live sessions:");
        if top.is_empty() {
            let _ = writeln!(human, "  (no live sessions)");
        }
        let width = top
            .iter()
            .map(|(v, _)| v.as_deref().map_or(6, str::len))
            .max()
            .unwrap_or(0);
        for (value, n) in &top {
            let value = value.as_deref().unwrap_or("(null)");
            let _ = writeln!(human, "  {value:<width$}  {n}");
        }
        let top: Vec<Value> = top
            .into_iter()
            .map(|(value, n)| json!({ "value": value, "count": n }))
            .collect();
        json["by"] = json!({ "column": column, "top": top });
    }
    Ok(Report::new(human, json))
}

/// The size on disk, as far as the database says.
enum Size {
    /// The table's rows and its indexes.
    Table {
        data: u64,
        indexes: u64,
    },
    /// Only the whole database's (SQLite without `dbstat`: the file).
    Database(u64),
    Unknown,
}

impl Size {
    fn human(&self) -> String {
        match self {
            Size::Table { data, indexes } => format!(
                "{} of rows, {} of indexes",
                human_bytes(*data),
                human_bytes(*indexes)
            ),
            Size::Database(bytes) => {
                format!(
                    "unknown for the table; the whole database: {}",
                    human_bytes(*bytes)
                )
            }
            Size::Unknown => "unknown".to_owned(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Size::Table { data, indexes } => {
                json!({ "scope": "table", "data_bytes": data, "index_bytes": indexes })
            }
            Size::Database(bytes) => json!({ "scope": "database", "bytes": bytes }),
            Size::Unknown => Value::Null,
        }
    }
}
