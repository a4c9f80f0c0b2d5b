//! [`tower_sessions_core::SessionStore`] for [`SqlStore`]: the axum 0.8 front end.
//!
//! ```no_run
//! # async fn app() -> Result<(), Box<dyn std::error::Error>> {
//! use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
//! use tower_sessions::SessionManagerLayer;
//!
//! let pool = SqlitePool::connect("sqlite://sessions.db?mode=rwc").await?;
//! let store = SqliteStore::new(pool);
//! store.migrate().await?;
//! let layer = SessionManagerLayer::new(store);
//! // axum::Router::new().route(...).layer(layer)
//! # Ok(()) }
//! ```
//!
//! - `create` inserts and, if the random id is already taken, draws a new id and tries
//!   again: an existing session is never overwritten.
//! - `save` only updates an existing row, so a session destroyed by one request (a
//!   logout) is not brought back by another request that was still holding it.
//! - `load` never returns an expired session. The stored data is the record's data map
//!   as a JSON object, the same layout every front end uses.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::dialect::Dialect;
use crate::error::{Chain, Error};
use crate::store::SqlStore;

/// How many fresh ids `create` tries before giving up (a collision of two random
/// 128-bit ids is already vanishingly rare; eight in a row means something is wrong).
const CREATE_ATTEMPTS: u32 = 8;

#[async_trait]
impl<DB: Dialect> SessionStore for SqlStore<DB> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        let expires = Some(to_chrono(record.expiry_date));
        for _ in 0..CREATE_ATTEMPTS {
            if SqlStore::create(self, &record.id.to_string(), &data, expires)
                .await
                .map_err(convert)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(convert(Error::IdCollision {
            attempts: CREATE_ATTEMPTS,
        }))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = encode(record)?;
        // `false` means the session was destroyed meanwhile: stay destroyed.
        self.update(
            &record.id.to_string(),
            &data,
            Some(to_chrono(record.expiry_date)),
        )
        .await
        .map_err(convert)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let Some(found) = self.get(&session_id.to_string()).await.map_err(convert)? else {
            return Ok(None);
        };
        let data = serde_json::from_value(found.data)
            .map_err(Error::corrupt("data is not a JSON object"))
            .map_err(convert)?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date: to_time(found.expires),
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.destroy(&session_id.to_string()).await.map_err(convert)
    }
}

#[async_trait]
impl<DB: Dialect> ExpiredDeletion for SqlStore<DB> {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.clear_expired_sessions().await.map_err(convert)?;
        Ok(())
    }
}

fn encode(record: &Record) -> session_store::Result<serde_json::Value> {
    serde_json::to_value(&record.data).map_err(|e| convert(Error::Serialize(e)))
}

/// tower-sessions errors are strings: keep the whole chain in the message.
fn convert(e: Error) -> session_store::Error {
    let message = Chain(&e).to_string();
    match e {
        Error::Serialize(_) | Error::DataTooLarge { .. } => session_store::Error::Encode(message),
        Error::CorruptRow { .. } => session_store::Error::Decode(message),
        _ => session_store::Error::Backend(message),
    }
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    let micros = t.unix_timestamp_nanos() / 1_000;
    i64::try_from(micros)
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn to_time(t: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.timestamp_micros()) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
