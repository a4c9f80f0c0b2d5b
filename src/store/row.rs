//! A full row's values, checked and encoded for one dialect: the session id, the data,
//! the times, and the custom columns as the `extend_default_fields` hook fills them.

use chrono::{DateTime, Utc};

use super::payload::Payload;
use crate::dialect::bind::SqlValue;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::fields::{ColumnKind, DefaultFields, ExtendFields, FieldValue};
use crate::schema::{CustomColumn, Table};
use crate::sql::ExpiryWrite;

/// A row's encoded values, put in the order each statement binds them.
#[derive(Clone)]
pub(crate) struct RowValues<'a> {
    pub table: &'a Table,
    pub sid: SqlValue,
    pub data: SqlValue,
    pub expires: SqlValue,
    pub now: SqlValue,
    /// The version this write stores (when the table has the column).
    pub version: i64,
    pub custom: Vec<SqlValue>,
}

impl<'a> RowValues<'a> {
    /// Encodes a row, running the hook (if any) on the data; the id and the data as stored
    /// are set by `SqlStore::seal_row`.
    pub(crate) fn new<DB: Dialect>(
        table: &'a Table,
        hook: Option<&dyn ExtendFields>,
        data: Payload<'_>,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let custom = custom_values::<DB>(&table.custom_columns, hook, &data, expires)?;
        Ok(Self {
            table,
            // Set by `SqlStore::seal_row`, with the data as stored.
            sid: SqlValue::Text(None),
            data: SqlValue::Text(Some(data.text)),
            expires: DB::time_param(expires),
            now: DB::time_param(now),
            version: new_version(),
            custom,
        })
    }

    /// The version bind, when the table has the column.
    fn version_arg(&self) -> Option<SqlValue> {
        self.table
            .version
            .as_ref()
            .map(|_| SqlValue::Int(Some(self.version)))
    }

    /// sid, data, expires, [created], [updated], [version], custom
    pub(crate) fn insert_args(self) -> Vec<SqlValue> {
        let version = self.version_arg();
        let mut args = vec![self.sid, self.data, self.expires];
        if self.table.created_at.is_some() {
            args.push(self.now.clone());
        }
        if self.table.updated_at.is_some() {
            args.push(self.now);
        }
        args.extend(version);
        args.extend(self.custom);
        args
    }

    /// data, [expires], [updated], [version], custom, sid, now
    pub(crate) fn update_args(self, expiry: ExpiryWrite) -> Vec<SqlValue> {
        let version = self.version_arg();
        let mut args = vec![self.data];
        if expiry == ExpiryWrite::New {
            args.push(self.expires);
        }
        if self.table.updated_at.is_some() {
            args.push(self.now.clone());
        }
        args.extend(version);
        args.extend(self.custom);
        args.push(self.sid);
        args.push(self.now);
        args
    }
}

/// A fresh data version: random, so that no two writes (of any instance, or of a session
/// destroyed and created again under its id) store the same one.
fn new_version() -> i64 {
    rand::random()
}

/// A text parameter.
pub(crate) fn text_param(s: &str) -> SqlValue {
    SqlValue::Text(Some(s.to_owned()))
}

/// Runs the hook and encodes its values for `columns`, in declared order.
fn custom_values<DB: Dialect>(
    columns: &[CustomColumn],
    hook: Option<&dyn ExtendFields>,
    data: &Payload<'_>,
    expires: DateTime<Utc>,
) -> Result<Vec<SqlValue>> {
    if columns.is_empty() && hook.is_none() {
        return Ok(Vec::new());
    }
    let mut given = match hook {
        // The data is parsed for the hook only, and only when there is one.
        Some(hook) => {
            let data = data.parsed()?;
            hook.extend(&DefaultFields {
                data: &data,
                expires,
            })
            .into_values()
        }
        None => Vec::new(),
    };
    if let Some((unknown, _)) = given
        .iter()
        .find(|(c, _)| !columns.iter().any(|col| col.name.as_str() == c))
    {
        return Err(Error::UnknownColumn {
            column: unknown.clone(),
        });
    }
    columns
        .iter()
        .map(|col| {
            let value = given
                .iter()
                .position(|(c, _)| c == col.name.as_str())
                .map_or(FieldValue::Null, |i| given.swap_remove(i).1);
            encode_field::<DB>(col, value)
        })
        .collect()
}

/// Checks `value` against the column's type and encodes it for `DB`.
pub(crate) fn encode_field<DB: Dialect>(col: &CustomColumn, value: FieldValue) -> Result<SqlValue> {
    let mismatch = |found: &'static str| Error::FieldType {
        column: col.name.as_str().to_owned(),
        expected: col.kind.name(),
        found,
    };
    Ok(match (col.kind, value) {
        (_, FieldValue::Null) if !col.nullable => return Err(mismatch("NULL")),
        (ColumnKind::Text | ColumnKind::Json, FieldValue::Null) => SqlValue::Text(None),
        (ColumnKind::Integer, FieldValue::Null) => SqlValue::Int(None),
        (ColumnKind::Boolean, FieldValue::Null) => SqlValue::Bool(None),
        (ColumnKind::Timestamp, FieldValue::Null) => SqlValue::null(DB::TIME_PARAM_KIND),
        (ColumnKind::Text, FieldValue::Text(s)) => SqlValue::Text(Some(s)),
        (ColumnKind::Integer, FieldValue::Integer(i)) => SqlValue::Int(Some(i)),
        (ColumnKind::Boolean, FieldValue::Boolean(b)) => SqlValue::Bool(Some(b)),
        (ColumnKind::Timestamp, FieldValue::Timestamp(t)) => DB::time_param(t),
        (ColumnKind::Json, FieldValue::Json(v)) => {
            SqlValue::Text(Some(serde_json::to_string(&v).map_err(Error::serialize)?))
        }
        (_, other) => return Err(mismatch(other.kind_name())),
    })
}
