//! One session's row: read, write, refresh, delete; and the table's rows counted, listed
//! and cleared. Each operation is one statement.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::payload::Payload;
use super::row::{text_param, RowValues};
use super::seen::Key;
use super::{add_or_max, check_sid, decode_columns, ExpiryWrite, SqlStore, StoredRow};
use crate::dialect::bind::{SqlKind, SqlValue};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::record::SessionRecord;

impl<DB: Dialect> SqlStore<DB> {
    /// The live session `sid`, or `None` if it is unknown or expired.
    ///
    /// An expired row is never returned, whether or not it has been cleaned up yet.
    /// A row whose data is not valid JSON gives [`Error::CorruptRow`] and is left as it is.
    pub async fn get(&self, sid: &str) -> Result<Option<SessionRecord>> {
        self.get_as(sid).await
    }

    /// [`get`](Self::get), with the data parsed straight from the row's JSON text into
    /// `T` (one pass, no [`serde_json::Value`] in between). Data that does not fit `T`
    /// gives [`Error::CorruptRow`]; the row is left as it is.
    ///
    #[cfg_attr(feature = "sqlite", doc = "```")]
    #[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqlx_session_store::Result<()> {
    /// # use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Login { user_id: u64 }
    ///
    /// # let store = SqliteStore::new(SqlitePool::connect("sqlite::memory:").await.unwrap());
    /// # store.migrate().await?;
    /// store.set_as("a-session-id", &Login { user_id: 7 }, None).await?;
    /// let login = store.get_as::<Login>("a-session-id").await?.expect("live");
    /// assert_eq!(login.data.user_id, 7);
    /// # Ok(()) }
    /// ```
    pub async fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        sid: &str,
    ) -> Result<Option<SessionRecord<T>>> {
        let Some(row) = self.fetch_row(Op::Get, sid).await? else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&row.text).map_err(Error::corrupt("data is not valid JSON"))?;
        Ok(Some(SessionRecord {
            data,
            expires: row.expires,
        }))
    }

    /// The live row `sid`: its data text (opened), expiry and version.
    pub(crate) async fn fetch_row(&self, op: Op, sid: &str) -> Result<Option<StoredRow>> {
        let stored = self.stored_id(sid)?;
        let started = Instant::now();
        let kinds: &[SqlKind] = if self.inner.table.version.is_some() {
            &[SqlKind::Text, SqlKind::Time, SqlKind::Int]
        } else {
            &[SqlKind::Text, SqlKind::Time]
        };
        let rows = self
            .fetch(
                op,
                &self.inner.sql.get,
                &self.with_lifetime(vec![text_param(&stored), DB::time_param(Utc::now())]),
                kinds,
            )
            .await?;
        self.trace(op, started, rows.len() as u64);
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let mut cols = row.into_iter();
        let (text, expires) = decode_columns(cols.next(), cols.next())?;
        let version = cols.next().and_then(SqlValue::into_int);
        let text = self.inner.options.at_rest.open(text, &stored)?;
        Ok(Some(StoredRow {
            text,
            expires,
            version,
        }))
    }

    /// Saves `data` under `sid` (one upsert), expiring at `expires`, or after
    /// `expiration` from now when `None`.
    pub async fn set(
        &self,
        sid: &str,
        data: &serde_json::Value,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.upsert(sid, Payload::value(data)?, expires).await
    }

    /// [`set`](Self::set) for any serializable data, serialized straight to JSON text
    /// (one pass, no [`serde_json::Value`] in between). Read it back with
    /// [`get_as`](Self::get_as).
    pub async fn set_as<T: serde::Serialize + ?Sized>(
        &self,
        sid: &str,
        data: &T,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.upsert(sid, Payload::serialize(data)?, expires).await
    }

    pub(crate) async fn upsert(
        &self,
        sid: &str,
        data: Payload<'_>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let args = self.row_values(sid, data, expires)?.insert_args();
        let started = Instant::now();
        let n = self.execute(Op::Set, &self.inner.sql.upsert, &args).await?;
        // What this instance remembers of the row (its expiry, its data) is no longer so.
        self.inner.seen.forget(Key::of(sid));
        self.trace(Op::Set, started, n);
        Ok(())
    }

    /// Inserts a new session; returns `false`, writing nothing, if `sid` is already
    /// taken (by a live or an expired row), so that an id collision can never overwrite
    /// someone else's session. The front ends create their new sessions this way.
    ///
    /// (Named `insert`, not `create`, so that it never hides tower-sessions'
    /// `SessionStore::create` in an app that has that trait in scope.)
    pub async fn insert(
        &self,
        sid: &str,
        data: &serde_json::Value,
        expires: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let values = self.row_values(sid, Payload::value(data)?, expires)?;
        self.insert_row(values).await
    }

    pub(crate) async fn insert_row(&self, values: RowValues<'_>) -> Result<bool> {
        let started = Instant::now();
        let result = self
            .execute_raw(Op::Insert, &self.inner.sql.insert, &values.insert_args())
            .await?;
        let created = match result {
            Ok(_) => true,
            Err(e) if DB::is_unique_violation(&e) => false,
            Err(e) => return Err(Error::db(Op::Insert)(e)),
        };
        self.trace(Op::Insert, started, u64::from(created));
        Ok(created)
    }

    /// Replaces the data and expiry of an existing, live session; returns `false`, writing
    /// nothing, if `sid` is unknown, destroyed or expired. A session destroyed (or expired)
    /// while a request was still working on it is therefore never brought back by that
    /// request's save, whether or not cleanup has removed its row yet.
    pub async fn update(
        &self,
        sid: &str,
        data: &serde_json::Value,
        expires: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let values = self.row_values(sid, Payload::value(data)?, expires)?;
        let n = self.update_row(values, ExpiryWrite::New, None).await?;
        self.inner.seen.forget(Key::of(sid));
        Ok(n > 0)
    }

    /// Runs `update` (or `update_data`, which leaves the stored expiry as it is); with
    /// `over`, only while the row still holds that version (`update_if`).
    pub(crate) async fn update_row(
        &self,
        values: RowValues<'_>,
        expiry: ExpiryWrite,
        over: Option<i64>,
    ) -> Result<u64> {
        let sql = &self.inner.sql;
        let with_expires = expiry == ExpiryWrite::New;
        let (op, statement) = match (&sql.update_if, over) {
            (Some([update, update_data]), Some(_)) => (
                Op::UpdateIf,
                if with_expires { update } else { update_data },
            ),
            _ if with_expires => (Op::Update, &sql.update),
            _ => (Op::UpdateData, &sql.update_data),
        };
        let mut args = values.update_args(expiry);
        if sql.update_if.is_some() {
            args.extend(over.map(|v| SqlValue::Int(Some(v))));
        }
        let started = Instant::now();
        let n = self
            .execute(op, statement, &self.with_lifetime(args))
            .await?;
        self.trace(op, started, n);
        Ok(n)
    }

    /// Extends a live session's expiry to `expires` (or `expiration` from now) without
    /// touching its data. Returns whether a row was written.
    ///
    /// Writes nothing under `disable_touch`, nor when the stored expiry is already within
    /// `touch_after` of the new one (decided in the UPDATE's WHERE clause: no read first).
    /// An expired or unknown session is not revived.
    pub async fn touch(&self, sid: &str, expires: Option<DateTime<Utc>>) -> Result<bool> {
        check_sid(sid)?;
        if self.inner.options.disable_touch {
            return Ok(false);
        }
        let expires = expires.unwrap_or_else(|| self.default_expiry(Utc::now()));
        let written = self.touch_row(sid, expires).await?;
        // The stored expiry this instance remembers is no longer so.
        self.inner.seen.forget(Key::of(sid));
        Ok(written)
    }

    /// The touch statement, its window checked in its WHERE clause.
    pub(crate) async fn touch_row(&self, sid: &str, expires: DateTime<Utc>) -> Result<bool> {
        let opts = &self.inner.options;
        let started = Instant::now();
        let now = Utc::now();
        let mut args = vec![DB::time_param(expires)];
        if self.inner.table.updated_at.is_some() {
            args.push(DB::time_param(now));
        }
        args.extend([text_param(&self.stored_id(sid)?), DB::time_param(now)]);
        if !opts.touch_after.is_zero() {
            let window = opts.touch_after.around(expires, now);
            let window_start = expires
                .checked_sub_signed(window)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            args.push(DB::time_param(window_start));
            args.push(DB::time_param(add_or_max(expires, window)));
        }
        let n = self
            .execute(Op::Touch, &self.inner.sql.touch, &self.with_lifetime(args))
            .await?;
        self.trace(Op::Touch, started, n);
        Ok(n > 0)
    }

    /// Deletes session `sid`. Deleting an unknown id is not an error.
    pub async fn destroy(&self, sid: &str) -> Result<()> {
        self.destroy_row(sid).await.map(drop)
    }

    /// Deletes session `sid`; how many rows that removed.
    pub(crate) async fn destroy_row(&self, sid: &str) -> Result<u64> {
        let stored = self.stored_id(sid)?;
        let started = Instant::now();
        let n = self
            .execute(Op::Destroy, &self.inner.sql.destroy, &[text_param(&stored)])
            .await?;
        self.inner.seen.forget(Key::of(sid));
        self.trace(Op::Destroy, started, n);
        Ok(n)
    }

    /// How many live sessions (not expired, nor past `max_lifetime`) the table holds.
    pub async fn length(&self) -> Result<u64> {
        let started = Instant::now();
        let rows = self
            .fetch(
                Op::Length,
                &self.inner.sql.count,
                &self.with_lifetime(vec![DB::time_param(Utc::now())]),
                &[SqlKind::Int],
            )
            .await?;
        let count = rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(SqlValue::into_int)
            .unwrap_or(0);
        self.trace(Op::Length, started, 1);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Deletes every session in this store's table (and nothing else); returns how many.
    pub async fn clear(&self) -> Result<u64> {
        let started = Instant::now();
        let n = self.execute(Op::Clear, &self.inner.sql.clear, &[]).await?;
        self.trace(Op::Clear, started, n);
        Ok(n)
    }

    /// The ids of all live sessions (not expired, nor past `max_lifetime`).
    pub async fn ids(&self) -> Result<Vec<String>> {
        let started = Instant::now();
        let args = self.with_lifetime(vec![DB::time_param(Utc::now())]);
        let ids = self.fetch_ids(Op::Ids, &self.inner.sql.ids, &args).await?;
        self.trace(Op::Ids, started, ids.len() as u64);
        Ok(ids)
    }

    /// Runs a query selecting session ids (first column), with its trace event.
    pub(crate) async fn fetch_ids(
        &self,
        op: Op,
        sql: &Arc<str>,
        args: &[SqlValue],
    ) -> Result<Vec<String>> {
        // Traced by the caller, once per operation.
        let rows = self.fetch(op, sql, args, &[SqlKind::Text]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_text))
            .collect())
    }
}
