//! `list` and `revoke`: one user's sessions (by a custom column), shown by their handles,
//! and ended by handle, all at once, or by id. No session id is ever printed.

use std::fmt::Write as _;
use std::io::BufRead;

use serde_json::{json, Value};
use sqlx_session_store::{Dialect, FieldValue, SqlStore};

use crate::args::{ListArgs, RevokeArgs, Where};
use crate::columns;
use crate::failure::Failure;
use crate::report::{count, human_time, json_time, Report};
use crate::Setup;

/// The live sessions of `--where COLUMN=VALUE`, latest expiry first.
pub(crate) async fn list<DB: Dialect>(
    setup: &Setup<'_, DB>,
    args: &ListArgs,
) -> Result<Report, Failure> {
    let (store, column, value) = store_where(setup, &args.filter).await?;
    let sessions = store.sessions_where(&column, value.clone()).await?;
    let shown = shown(&column, &value);

    let mut human = format!(
        "{} with {shown}\n",
        count(sessions.len() as u64, "live session", "live sessions")
    );
    if !sessions.is_empty() {
        let _ = writeln!(human, "{:<32}  {:<23}  LAST WRITE", "HANDLE", "EXPIRES");
    }
    let mut listed = Vec::with_capacity(sessions.len());
    for s in &sessions {
        let updated = s.updated_at.map_or_else(|| "-".to_owned(), human_time);
        let _ = writeln!(
            human,
            "{:<32}  {:<23}  {updated}",
            s.handle.to_string(),
            human_time(s.expires)
        );
        listed.push(json!({
            "handle": s.handle.to_string(),
            "expires": json_time(s.expires),
            "updated_at": s.updated_at.map(json_time),
        }));
    }
    Ok(Report::new(
        human,
        json!({
            "command": "list",
            "column": column,
            "value": json_value(&value),
            "sessions": listed,
        }),
    ))
}

/// Ends sessions: one of `--where`'s by `--handle`, all of `--where`'s, or one by `--id`.
pub(crate) async fn revoke<DB: Dialect>(
    setup: &Setup<'_, DB>,
    args: &RevokeArgs,
) -> Result<Report, Failure> {
    let (ended, human, mut json) = match (&args.filter, &args.id) {
        (Some(filter), _) => {
            let (store, column, value) = store_where(setup, filter).await?;
            let shown = shown(&column, &value);
            let json = json!({ "column": column, "value": json_value(&value) });
            match &args.handle {
                Some(handle) => {
                    let ended = store.revoke(&column, value, handle).await?;
                    let human = if ended {
                        format!("ended 1 session: {handle} of {shown}")
                    } else {
                        format!("ended 0 sessions: no live session of {shown} has handle {handle}")
                    };
                    (u64::from(ended), human, json)
                }
                None => {
                    let n = store.destroy_where(&column, value).await?;
                    let human = format!(
                        "ended {} of {shown} (live or expired)",
                        count(n, "session", "sessions")
                    );
                    (n, human, json)
                }
            }
        }
        (None, Some(id)) => {
            let id = if id == "-" { read_id()? } else { id.clone() };
            let n = setup.store()?.destroy_counted(&id).await?;
            let human = format!("ended {} (by id)", count(n, "session", "sessions"));
            (n, human, json!({ "by": "id" }))
        }
        // clap requires --where or --id.
        (None, None) => return Err(Failure::bad_input("give --where COLUMN=VALUE or --id ID")),
    };
    json["command"] = json!("revoke");
    json["ended"] = json!(ended);
    Ok(Report::new(human, json))
}

/// The store with the `--where` column declared (after checking it against the table),
/// the column's name, and the value as the column's type has it.
async fn store_where<DB: Dialect>(
    setup: &Setup<'_, DB>,
    filter: &Where,
) -> Result<(SqlStore<DB>, String, FieldValue), Failure> {
    let column = columns::find(setup, &filter.column, "--where").await?;
    let (declared, value) = column.with_value(&filter.value)?;
    let store = setup.builder().column(declared).build()?;
    Ok((store, column.name, value))
}

/// `user_id = 7` or `device = "phone"`, for messages.
fn shown(column: &str, value: &FieldValue) -> String {
    match value {
        FieldValue::Text(text) => format!("{column} = {text:?}"),
        FieldValue::Integer(n) => format!("{column} = {n}"),
        other => format!("{column} = {other:?}"),
    }
}

fn json_value(value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(text) => json!(text),
        FieldValue::Integer(n) => json!(n),
        _ => Value::Null,
    }
}

/// `--id -`: the id on the first line of stdin.
fn read_id() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Runtime(format!("could not read the id from stdin: {e}")))?;
    let id = line.trim_end_matches(['\r', '\n']);
    if id.is_empty() {
        return Err(Failure::bad_input("--id -: stdin held no id"));
    }
    Ok(id.to_owned())
}
