//! [`tower_sessions_core::SessionStore`] for [`SqlStore`]: the axum 0.8 front end.
//!
#![cfg_attr(feature = "sqlite", doc = "```no_run")]
#![cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
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
//! - `load` puts the session's base (the row's version and a digest of each top-level value)
//!   into the record's data under [`BASE_KEY`]; no write ever stores it.
//! - `save` of a record whose data is its base's writes no data: it refreshes the expiry
//!   only, under the rules of [`touch`](SqlStore::touch) (nothing within `touch_after`,
//!   nothing at all under `disable_touch`). So sliding sessions (`Expiry::OnInactivity`
//!   with `with_always_save(true)`) cost no write on a read-only request. Data is compared
//!   by a digest of its content (keys in sorted order at every depth), whatever the map
//!   order.
//! - `save` of changed data writes only over the version the record was loaded from; when
//!   another save came in between, it applies its own changes (the top-level keys it set or
//!   removed) to the row as it is now. Overlapping requests of one session therefore keep
//!   each other's changes, on one app instance or many (see the
//!   [concurrency guide](https://docs.rs/sqlx-session-store/latest/sqlx_session_store/guide/concurrency/index.html)). A record without a base (after `Session::clear`) replaces the data.
//!   See [`Builder::tracked_sessions`](crate::Builder::tracked_sessions) for what the store
//!   remembers between requests.
//! - `load` never returns an expired session. The stored data is the record's data map
//!   as a JSON object, the same layout every front end uses, parsed once into the map.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::dialect::Dialect;
use crate::error::{Chain, Error};
use crate::store::base::{Base, BASE_KEY};
use crate::store::fingerprint;
use crate::store::payload::Payload;
use crate::store::tracking::{Change, Data, ShapeFrom};
use crate::store::SqlStore;

#[async_trait]
impl<DB: Dialect> SessionStore for SqlStore<DB> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A record that had been loaded (its id cycled) carries its old base: not data.
        record.data.remove(BASE_KEY);
        let shape = fingerprint::of_map(&record.data);
        let data = Payload::canonical(&record.data, shape.clone()).map_err(convert)?;
        let expires = Some(to_chrono(record.expiry_date));
        let version = self
            .create_tracked(data, expires, |attempt| {
                if attempt > 0 {
                    record.id = Id::default();
                }
                record.id.to_string()
            })
            .await
            .map_err(convert)?;
        // A later save of this record (in the same request) starts from what was written.
        if let Some(version) = version {
            put_base(&mut record.data, &Base::new(version, shape));
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let base = match record.data.get(BASE_KEY) {
            Some(serde_json::Value::String(text)) => Base::decode(text),
            _ => None,
        };
        self.save_tracked(
            &record.id.to_string(),
            Change::Data(Data::Map(&record.data)),
            base,
            Some(to_chrono(record.expiry_date)),
        )
        .await
        .map_err(convert)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let found = self
            .load_tracked(
                &session_id.to_string(),
                |text| {
                    serde_json::from_str::<HashMap<String, serde_json::Value>>(text)
                        .map_err(Error::corrupt("data is not a JSON object"))
                },
                ShapeFrom::Remembered(fingerprint::of_map),
            )
            .await
            .map_err(convert)?;
        Ok(found.map(|loaded| {
            let mut data = loaded.data;
            if let Some(base) = &loaded.base {
                put_base(&mut data, base);
            }
            Record {
                id: *session_id,
                data,
                expiry_date: to_time(loaded.expires),
            }
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

/// Puts `base` into the record's data.
fn put_base(data: &mut HashMap<String, serde_json::Value>, base: &Base) {
    data.insert(
        BASE_KEY.to_owned(),
        serde_json::Value::String(base.encode()),
    );
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
