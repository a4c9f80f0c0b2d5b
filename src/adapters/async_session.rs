//! [`async_session::SessionStore`] (async-session 3) for [`SqlStore`]: the front end for
//! tide 0.17 (`tide::sessions::SessionMiddleware`) and axum-sessions.
//!
//! ```no_run
//! # async fn app() -> Result<(), Box<dyn std::error::Error>> {
//! use async_session::{Session, SessionStore};
//! use sqlx_session_store::{sqlx::SqlitePool, SqliteStore};
//!
//! let pool = SqlitePool::connect("sqlite://sessions.db?mode=rwc").await?;
//! let store = SqliteStore::new(pool);
//! store.migrate().await?;
//!
//! let mut session = Session::new();
//! session.insert("user_id", 7)?;
//! let cookie_value = store.store_session(session).await?.expect("a new session has a cookie");
//! let loaded = store.load_session(cookie_value).await?.expect("a live session");
//! assert_eq!(loaded.get::<u32>("user_id"), Some(7));
//! // tide: app.with(tide::sessions::SessionMiddleware::new(store, secret));
//! # Ok(()) }
//! ```
//!
//! Under tide (async-std) turn on the `runtime-async-std` feature; under axum-sessions
//! (tokio) `runtime-tokio`. Both may be on at once.
//!
//! - The row key is [`Session::id`], a hash of the cookie value: the cookie itself never
//!   reaches the database. `load_session` returns `Ok(None)` for a cookie value that is
//!   not base64, an unknown id or an expired session.
//! - The stored data is the session's data map as a JSON object, each value stored as
//!   the JSON it holds (`{"count": 3}`, not `{"count": "3"}`): the same layout the
//!   tower-sessions front end writes, so one table reads the same whichever front end
//!   wrote it. Values are therefore kept with `serde_json::Value`'s precision, and a value
//!   put in with [`Session::insert_raw`] that is not JSON makes `store_session` fail
//!   with [`Error::Serialize`] rather than be changed silently.
//! - `store_session` keeps the session's own expiry (to the microsecond); a session
//!   without one expires after the store's `expiration`. It returns
//!   [`Session::into_cookie_value`], which is `Some` for a new (or regenerated) session
//!   and `None` for one that was loaded, exactly as async-session's own stores do.
//! - A new (or regenerated) session is inserted, never overwriting an existing row; on the
//!   (astronomically unlikely) id collision it is regenerated and inserted again. A loaded
//!   session is only updated, so a session destroyed meanwhile (a logout in another
//!   request) stays destroyed.

use std::collections::HashMap;

use async_session::{Session, SessionStore};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::dialect::Dialect;
use crate::error::Error;
use crate::store::SqlStore;

/// How many fresh ids `store_session` tries for a new session before giving up.
const CREATE_ATTEMPTS: u32 = 8;

#[async_trait]
impl<DB: Dialect> SessionStore for SqlStore<DB> {
    async fn load_session(&self, cookie_value: String) -> async_session::Result<Option<Session>> {
        // Not base64: no session of ours can have this cookie.
        let Ok(id) = Session::id_from_cookie_value(&cookie_value) else {
            return Ok(None);
        };
        let Some(found) = self.get(&id).await? else {
            return Ok(None);
        };
        Ok(Some(decode(id, found.data, found.expires)?))
    }

    async fn store_session(&self, session: Session) -> async_session::Result<Option<String>> {
        let data = encode(&session)?;
        let expires = session.expiry().copied();
        // A clone shares the data and expiry but not the cookie value, which only a new
        // (or regenerated) session holds: it tells a new session from a loaded one.
        let mut spare = session.clone();
        let Some(cookie_value) = session.into_cookie_value() else {
            // Loaded from the store: `false` means it was destroyed meanwhile; stay destroyed.
            self.update(spare.id(), &data, expires).await?;
            spare.reset_data_changed();
            return Ok(None);
        };
        if self.create(spare.id(), &data, expires).await? {
            spare.reset_data_changed();
            return Ok(Some(cookie_value));
        }
        for _ in 1..CREATE_ATTEMPTS {
            spare.regenerate();
            if self.create(spare.id(), &data, expires).await? {
                spare.reset_data_changed();
                return Ok(spare.into_cookie_value());
            }
        }
        Err(Error::IdCollision {
            attempts: CREATE_ATTEMPTS,
        }
        .into())
    }

    async fn destroy_session(&self, session: Session) -> async_session::Result {
        self.destroy(session.id()).await?;
        Ok(())
    }

    async fn clear_store(&self) -> async_session::Result {
        self.clear().await?;
        Ok(())
    }
}

/// The session's data map as a JSON object whose values are the JSON they hold.
fn encode(session: &Session) -> Result<Value, Error> {
    // `Session` serializes as `{"id", "expiry", "data"}`; its data map has no other accessor.
    let mut whole: Map<String, Value> = serde_json::to_value(session)
        .and_then(serde_json::from_value)
        .map_err(Error::Serialize)?;
    let raw: HashMap<String, String> =
        serde_json::from_value(whole.remove("data").unwrap_or(Value::Null))
            .map_err(Error::Serialize)?;
    let mut data = Map::with_capacity(raw.len());
    for (key, text) in raw {
        let value = serde_json::from_str(&text).map_err(Error::Serialize)?;
        data.insert(key, value);
    }
    Ok(Value::Object(data))
}

/// Rebuilds a session from its row: the id it was looked up by, its data and expiry.
fn decode(id: String, data: Value, expires: DateTime<Utc>) -> Result<Session, Error> {
    let Value::Object(map) = data else {
        return Err(Error::CorruptRow {
            what: "data is not a JSON object",
            source: None,
        });
    };
    let mut raw = Map::with_capacity(map.len());
    for (key, value) in map {
        let text = serde_json::to_string(&value).map_err(Error::Serialize)?;
        raw.insert(key, Value::String(text));
    }
    // `Session` has no constructor taking an id; it derives `Deserialize` from exactly
    // these three fields (its cookie value and flags are skipped and start empty).
    let whole = serde_json::json!({
        "id": id,
        "expiry": expires.to_rfc3339_opts(SecondsFormat::Micros, true),
        "data": raw,
    });
    serde_json::from_value(whole)
        .map_err(Error::corrupt("row does not make an async-session Session"))
}
