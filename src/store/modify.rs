//! [`SqlStore::modify`]: a read-modify-write of one session that never loses another
//! writer's change.

use serde_json::Value;

use super::payload::Payload;
use super::seen::Key;
use super::{ExpiryWrite, SqlStore, MERGE_ATTEMPTS};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::op::Op;

impl<DB: Dialect> SqlStore<DB> {
    /// Changes the data of the live session `sid` with `change`, which gets the stored data
    /// to change in place, and returns what `change` returned (`None`, running nothing, when
    /// the session is unknown, destroyed or expired). The stored expiry is kept.
    ///
    /// The write only goes over the row it read (its version): when another writer came in
    /// between, the row is read again and `change` runs again on what is there now, up to
    /// five times, then [`Error::Conflict`]. So `change` may run more than once and should only
    /// change the data it gets. Unlike [`update`](Self::update), which overwrites, two
    /// overlapping `modify` calls (or a `modify` and a framework's save) both keep their
    /// changes. Needs the version column ([`Error::InvalidConfig`] on a store built
    /// [`without_version_column`](crate::Builder::without_version_column)).
    ///
    #[cfg_attr(feature = "sqlite", doc = "```")]
    #[cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqlx_session_store::Result<()> {
    /// # use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
    /// # let store = SqliteStore::new(SqlitePool::connect("sqlite::memory:").await.unwrap());
    /// # store.migrate().await?;
    /// store.set("a-session-id", &serde_json::json!({ "visits": 1 }), None).await?;
    /// let visits = store
    ///     .modify("a-session-id", |data| {
    ///         let visits = data["visits"].as_u64().unwrap_or(0) + 1;
    ///         data["visits"] = visits.into();
    ///         visits
    ///     })
    ///     .await?;
    /// assert_eq!(visits, Some(2));
    /// # Ok(()) }
    /// ```
    pub async fn modify<R>(
        &self,
        sid: &str,
        mut change: impl FnMut(&mut Value) -> R + Send,
    ) -> Result<Option<R>> {
        if self.table().version.is_none() {
            return Err(Error::InvalidConfig {
                option: "without_version_column",
                reason: "modify needs the version column to tell another writer's change",
            });
        }
        for _ in 0..MERGE_ATTEMPTS {
            let Some(row) = self.fetch_row(Op::Modify, sid).await? else {
                return Ok(None);
            };
            let mut data: Value = serde_json::from_str(&row.text)
                .map_err(Error::corrupt("data is not valid JSON"))?;
            let out = change(&mut data);
            let values = self.row_values(sid, Payload::value(&data)?, Some(row.expires))?;
            // A NULL version (a row another program wrote) is overwritten as `update` does.
            if self
                .update_row(values, ExpiryWrite::Kept, row.version)
                .await?
                > 0
            {
                // What this instance remembers of the session's data is no longer so.
                self.inner.seen.forget(Key::of(sid));
                return Ok(Some(out));
            }
        }
        Err(Error::Conflict {
            attempts: MERGE_ATTEMPTS,
        })
    }
}
