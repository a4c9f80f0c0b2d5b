//! Queries by a custom column: one user's sessions listed, counted by id, or all ended at
//! once ("log out everywhere").

use std::time::Instant;

use chrono::Utc;

use super::row::{encode_field, text_param};
use super::seen::Key;
use super::{decode_columns, from_micros, SqlStore};
use crate::dialect::bind::{SqlKind, SqlValue};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::fields::{ColumnKind, FieldValue};
use crate::op::Op;
use crate::record::{SessionHandle, SessionInfo};
use crate::sql::CustomColumnQueries;

impl<DB: Dialect> SqlStore<DB> {
    /// The ids of the live sessions whose custom `column` equals `value`.
    ///
    /// `column` must be declared on the builder (else [`Error::UnknownColumn`]) and
    /// `value` must fit its type (else [`Error::FieldType`]); declare the column
    /// `indexed` so this goes through an index.
    pub async fn ids_where(
        &self,
        column: &str,
        value: impl Into<FieldValue>,
    ) -> Result<Vec<String>> {
        let started = Instant::now();
        let ids = self
            .live_ids_where(Op::IdsWhere, column, value.into())
            .await?;
        self.trace(Op::IdsWhere, started, ids.len() as u64);
        Ok(ids)
    }

    /// The stored ids of the live sessions whose custom `column` equals `value`.
    async fn live_ids_where(&self, op: Op, column: &str, value: FieldValue) -> Result<Vec<String>> {
        let (queries, value) = self.custom_column_query(column, value)?;
        let args = self.with_lifetime(vec![value, DB::time_param(Utc::now())]);
        self.fetch_ids(op, &queries.ids, &args).await
    }

    /// Deletes every session (live or expired) whose custom `column` equals `value`, in
    /// one statement, and returns how many: "log out everywhere" for a `user_id` column.
    pub async fn destroy_where(&self, column: &str, value: impl Into<FieldValue>) -> Result<u64> {
        let (queries, value) = self.custom_column_query(column, value.into())?;
        let started = Instant::now();
        let n = self
            .execute(Op::DestroyWhere, &queries.destroy, &[value])
            .await?;
        self.trace(Op::DestroyWhere, started, n);
        Ok(n)
    }

    /// Ends the one session that `handle` names (from [`sessions_where`](Self::sessions_where))
    /// among the live sessions whose custom `column` equals `value`: "log out this device".
    /// Returns whether it ended one; a handle of another user's session (or a forged one)
    /// ends nothing. Works under every option, [`hash_ids`](crate::Builder::hash_ids)
    /// included. Two statements: the user's session ids, then the one delete.
    pub async fn revoke(
        &self,
        column: &str,
        value: impl Into<FieldValue>,
        handle: &SessionHandle,
    ) -> Result<bool> {
        // One trace event for both statements: rows = sessions ended.
        let started = Instant::now();
        let stored_ids = self
            .live_ids_where(Op::Revoke, column, value.into())
            .await?;
        let Some(stored) = stored_ids
            .iter()
            .find(|id| SessionHandle::of(id) == *handle)
        else {
            self.trace(Op::Revoke, started, 0);
            return Ok(false);
        };
        // The id as the table keeps it: never hashed again.
        let n = self
            .execute(Op::Revoke, &self.inner.sql.destroy, &[text_param(stored)])
            .await?;
        if !self.inner.options.at_rest.hash_ids {
            // The stored id is the session id: what this instance remembers of it goes.
            self.inner.seen.forget(Key::of(stored));
        }
        self.trace(Op::Revoke, started, n);
        Ok(n > 0)
    }

    /// The live sessions whose custom `column` equals `value`, latest expiry first, with
    /// their data, expiry and last write: a "your active devices" list. Expired sessions
    /// are never listed.
    pub async fn sessions_where(
        &self,
        column: &str,
        value: impl Into<FieldValue>,
    ) -> Result<Vec<SessionInfo>> {
        let (queries, value) = self.custom_column_query(column, value.into())?;
        let started = Instant::now();
        let rows = self
            .fetch(
                Op::SessionsWhere,
                &queries.list,
                &self.with_lifetime(vec![value, DB::time_param(Utc::now())]),
                &[SqlKind::Text, SqlKind::Text, SqlKind::Time, SqlKind::Time],
            )
            .await?;
        self.trace(Op::SessionsWhere, started, rows.len() as u64);
        rows.into_iter()
            .map(|row| {
                let mut cols = row.into_iter();
                let id = cols
                    .next()
                    .and_then(SqlValue::into_text)
                    .ok_or(Error::CorruptRow {
                        what: "session id is NULL",
                        source: None,
                    })?;
                let (text, expires) = decode_columns(cols.next(), cols.next())?;
                let text = self.inner.options.at_rest.open(text, &id)?;
                let data = serde_json::from_str(&text)
                    .map_err(Error::corrupt("data is not valid JSON"))?;
                let updated_at = cols
                    .next()
                    .and_then(SqlValue::into_int)
                    .map(|m| from_micros(m, "updated_at is out of range"))
                    .transpose()?;
                Ok(SessionInfo {
                    handle: SessionHandle::of(&id),
                    id,
                    data,
                    expires,
                    updated_at,
                })
            })
            .collect()
    }

    /// The prepared queries for a custom column, and `value` checked and encoded for it.
    fn custom_column_query(
        &self,
        column: &str,
        value: FieldValue,
    ) -> Result<(&CustomColumnQueries, SqlValue)> {
        let (index, col) = self.inner.table.custom_column(column)?;
        if col.kind == ColumnKind::Json {
            return Err(Error::FieldType {
                column: column.to_owned(),
                expected: "a queryable (non-JSON)",
                found: "JSON column",
            });
        }
        if value == FieldValue::Null {
            return Err(Error::FieldType {
                column: column.to_owned(),
                expected: "a non-NULL",
                found: "NULL",
            });
        }
        let value = encode_field::<DB>(col, value)?;
        let queries = self
            .inner
            .sql
            .custom_column_queries
            .get(index)
            .ok_or_else(|| Error::UnknownColumn {
                column: column.to_owned(),
            })?;
        Ok((queries, value))
    }
}
