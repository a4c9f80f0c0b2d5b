//! Switching an existing table to hashed ids: [`SqlStore::hash_existing_ids`].

use crate::at_rest::{hash_id, HASHED_ID_PREFIX};
use crate::dialect::bind::{SqlKind, SqlValue};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::store::row::text_param;
use crate::store::SqlStore;

/// The operation's name in errors and events.
const OP: Op = Op::HashExistingIds;

impl<DB: Dialect> SqlStore<DB> {
    /// Replaces every plain session id in the table by its digest, so that a table filled
    /// before [`hash_ids`](crate::Builder::hash_ids) was switched on keeps its sessions:
    /// each user's next request finds their session under the digest of the id their
    /// cookie holds. Returns how many rows were converted; idempotent (digests are left
    /// as they are), in batches of `delete_batch_size` rows, one statement per row.
    ///
    /// Switch-over without logging anyone out: deploy with `hash_ids(true)` and run this
    /// at start-up; during a rolling deploy, run it again once the last instance that
    /// stores plain ids has stopped (the sessions it created in between are found again
    /// from then on). With encryption on, each converted row's data is sealed again to its
    /// new id. A row whose digest already exists (written since) is the newer one: the
    /// plain row is deleted. A row that cannot be converted (its data sealed with a key
    /// no longer configured, or corrupt) is left as it is and counted in a warning; ids
    /// that already begin with `b3:` are taken for digests. Fails with
    /// [`Error::InvalidConfig`] when `hash_ids` is off.
    pub async fn hash_existing_ids(&self) -> Result<u64> {
        if !self.options().at_rest.hash_ids {
            return Err(Error::InvalidConfig {
                option: "hash_ids",
                reason: "is off: there is nothing to convert the ids to",
            });
        }
        let sql = self.statements();
        let batch = SqlValue::Int(Some(i64::from(self.options().delete_batch_size)));
        let pattern = text_param(&format!("{HASHED_ID_PREFIX}%"));
        let (mut converted, mut skipped) = (0, 0u64);
        // Keyset paging: each batch starts past the last id fetched, whatever became of
        // it, so a row that cannot be converted is passed over, never fetched again.
        let mut after = String::new();
        loop {
            let select = [pattern.clone(), text_param(&after), batch.clone()];
            let rows = self
                .fetch(OP, &sql.plain_ids, &select, &[SqlKind::Text, SqlKind::Text])
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let mut cols = row.into_iter();
                let Some(plain_id) = cols.next().and_then(SqlValue::into_text) else {
                    skipped += 1;
                    continue;
                };
                after.clone_from(&plain_id);
                match self
                    .convert_row(&plain_id, cols.next().and_then(SqlValue::into_text))
                    .await
                {
                    Ok(n) if n > 0 => converted += n,
                    // Gone meanwhile, or an id the database gives back in another form.
                    Ok(_) => skipped += 1,
                    Err(e) if e.is_database() || e.is_timeout() => return Err(e),
                    // A row that cannot be read (a dropped key, corrupt data) stays as it is.
                    Err(_) => skipped += 1,
                }
            }
        }
        if skipped > 0 {
            tracing::warn!(
                dialect = <DB as sqlx::Database>::NAME,
                table = self.table_name(),
                converted,
                skipped,
                "some plain session ids could not be converted; their rows were left as they are"
            );
        }
        Ok(converted)
    }

    /// Moves one row from its plain id to its digest; how many rows that changed.
    async fn convert_row(&self, plain_id: &str, text: Option<String>) -> Result<u64> {
        let sql = self.statements();
        let text = text.ok_or(Error::CorruptRow {
            what: "data is NULL",
            source: None,
        })?;
        let hashed = hash_id(plain_id);
        let at_rest = &self.options().at_rest;
        let data = at_rest.seal(at_rest.open(text, plain_id)?, &hashed)?;
        let args = [
            text_param(&hashed),
            SqlValue::Text(Some(data)),
            text_param(plain_id),
        ];
        match self.execute_raw(OP, &sql.rename_id, &args).await? {
            Ok(n) => Ok(n),
            // The digest's row exists (written since the switch): it is the newer one.
            Err(e) if DB::is_unique_violation(&e) => {
                self.execute(OP, &sql.destroy, &[text_param(plain_id)])
                    .await
            }
            Err(e) => Err(Error::db(OP)(e)),
        }
    }
}
