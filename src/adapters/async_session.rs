//! [`async_session::SessionStore`] (async-session 3) for [`SqlStore`]: the front end for
//! tide 0.17 (`tide::sessions::SessionMiddleware`) and axum-sessions.
//!
#![cfg_attr(feature = "sqlite", doc = "```no_run")]
#![cfg_attr(not(feature = "sqlite"), doc = "```ignore")]
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
//!   wrote it. Each value is written as the JSON text the session holds (only surrounding
//!   whitespace is trimmed); a value put in with [`Session::insert_raw`] that
//!   `serde_json::Value` would not accept (not JSON, `1E400`, a lone surrogate) makes
//!   `store_session` fail with [`Error::Serialize`] rather than write a row other readers
//!   would find corrupt.
//! - `store_session` keeps the session's own expiry (to the microsecond); a session
//!   without one expires after the store's `expiration`. It returns
//!   [`Session::into_cookie_value`], which is `Some` for a new (or regenerated) session
//!   and `None` for one that was loaded, exactly as async-session's own stores do.
//! - A new (or regenerated) session is inserted, never overwriting an existing row; on the
//!   (astronomically unlikely) id collision it is regenerated and inserted again. A loaded
//!   session is only updated, so a session destroyed meanwhile (a logout in another
//!   request) stays destroyed.
//! - `load_session` puts the session's base (the row's version, a digest of each value and
//!   the id it was loaded under) into its data under [`BASE_KEY`], so
//!   [`Session::len`] counts one entry more than the application inserted; no write ever
//!   stores it. A changed session's `store_session` writes only over the version it was
//!   loaded from, and when another save came in between applies its own changes (the keys
//!   it set or removed) to the row as it is now: overlapping requests keep each other's
//!   changes. A loaded session that was [`Session::regenerate`]d (at login) is inserted
//!   under its new id and the row of its old id is deleted.
//! - A loaded session whose [`Session::data_changed`] is `false` writes no data: its
//!   expiry is refreshed under the rules of [`touch`](SqlStore::touch) (nothing within
//!   `touch_after`, nothing at all under `disable_touch`). tide (which saves unchanged
//!   sessions and moves their expiry on every request by default) and axum-sessions
//!   (`PersistencePolicy::Always`, its default) therefore cost no write on a read-only
//!   request, and a stale unchanged copy never overwrites newer data.
//! - Only a changed session is serialized at all. The row text is built once from the
//!   session's values (each checked to be valid JSON), and a row is parsed once, each
//!   value kept as raw JSON text for the session.

use std::collections::HashMap;

use async_session::{Session, SessionStore};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::dialect::Dialect;
use crate::error::Error;
use crate::redact::DataError;
use crate::store::base::{Base, Shape, BASE_KEY};
use crate::store::payload::{object_text, trim_json, Payload};
use crate::store::tracking::{Change, Data, ShapeFrom};
use crate::store::SqlStore;

#[async_trait]
impl<DB: Dialect> SessionStore for SqlStore<DB> {
    async fn load_session(&self, cookie_value: String) -> async_session::Result<Option<Session>> {
        // Not base64: no session of ours can have this cookie.
        let Ok(id) = Session::id_from_cookie_value(&cookie_value) else {
            return Ok(None);
        };
        // async-session has its own change flag: only the expiry is remembered.
        let found = self
            .load_tracked(&id, decode_data, ShapeFrom::EachLoad(shape_of))
            .await?;
        let Some(loaded) = found else {
            return Ok(None);
        };
        let mut data = loaded.data;
        // `regenerate` changes the id without telling the store: the base names the id the
        // session was loaded under, so that its row can go (on a table without a version
        // column too, where the base is used for nothing else).
        let mut base = loaded
            .base
            .unwrap_or_else(|| Base::new(0, Shape::default()));
        base.loaded_id = Some(id.clone());
        let text = serde_json::to_string(&base.encode()).map_err(Error::serialize)?;
        data.insert(BASE_KEY.to_owned(), Value::String(text));
        Ok(Some(into_session(id, data, loaded.expires)?))
    }

    async fn store_session(&self, session: Session) -> async_session::Result<Option<String>> {
        let expires = session.expiry().copied();
        // A clone shares the data and expiry but not the cookie value, which only a new
        // (or regenerated) session holds: it tells a new session from a loaded one.
        let mut spare = session.clone();
        let Some(cookie_value) = session.into_cookie_value() else {
            // Loaded from the store: a save of a destroyed session writes nothing.
            // Only a changed session needs its base (to tell what changed).
            let entries;
            let (change, base) = if spare.data_changed() {
                entries = encode(&spare)?;
                (Change::Data(Data::Texts(&entries)), base_of(&spare))
            } else {
                (Change::Unchanged, None)
            };
            self.save_tracked(spare.id(), change, base, expires).await?;
            spare.reset_data_changed();
            return Ok(None);
        };
        // A loaded session given a new id (`regenerate`, as at login): its old row goes
        // first, and when there was none (a logout in another request came first), the
        // session stays ended instead of coming back under the new id.
        if let Some(old) = base_of(&spare).and_then(|b| b.loaded_id) {
            if old != spare.id() && self.destroy_row(&old).await? == 0 {
                return Ok(None);
            }
        }
        let entries = encode(&spare)?;
        let text = object_text(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let mut regenerated = false;
        self.create_tracked(Payload::text(text), expires, |attempt| {
            if attempt > 0 {
                spare.regenerate();
                regenerated = true;
            }
            spare.id().to_owned()
        })
        .await?;
        spare.reset_data_changed();
        Ok(if regenerated {
            spare.into_cookie_value()
        } else {
            Some(cookie_value)
        })
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

/// The base a loaded session carries (see [`BASE_KEY`]).
fn base_of(session: &Session) -> Option<Base> {
    let raw = session.get_raw(BASE_KEY)?;
    let text: String = serde_json::from_str(&raw).ok()?;
    Base::decode(&text)
}

/// The content of a row's data as the session holds it (each value's JSON text).
fn shape_of(data: &Map<String, Value>) -> Shape {
    Shape::of_texts(
        data.iter()
            .filter_map(|(key, value)| Some((key.as_str(), trim_json(value.as_str()?)))),
    )
}

/// The session's data as `(key, JSON text)` entries in key order (the base key left out),
/// each checked to be JSON every reader accepts.
fn encode(session: &Session) -> Result<Vec<(String, String)>, Error> {
    let shape = || Error::Serialize(DataError::data("unexpected Session layout"));
    // `Session` serializes as `{"id", "expiry", "data"}`; its data map has no other accessor.
    let Value::Object(mut whole) = serde_json::to_value(session).map_err(Error::serialize)? else {
        return Err(shape());
    };
    let Some(Value::Object(map)) = whole.remove("data") else {
        return Err(shape());
    };
    let mut entries = Vec::with_capacity(map.len());
    for (key, value) in map {
        let Value::String(raw) = value else {
            return Err(shape());
        };
        if key == BASE_KEY {
            continue;
        }
        // Each value is JSON text already (`Session::insert`), but `insert_raw` takes any
        // string: check it is JSON that every reader of the table (a `serde_json::Value`)
        // accepts, so that a row written here never reads back as corrupt elsewhere.
        serde_json::from_str::<StrictJson>(&raw).map_err(Error::serialize)?;
        let value = match trim_json(&raw) {
            t if t.len() == raw.len() => raw,
            t => t.to_owned(),
        };
        entries.push((key, value));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// Checks that a text is JSON that `serde_json::Value` accepts (numbers in range, no lone
/// surrogates), without building a `Value`: a visitor that accepts every JSON shape and
/// keeps nothing.
struct StrictJson;

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictJson)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictJson {
    type Value = StrictJson;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self, E> {
        if v.is_finite() {
            Ok(self)
        } else {
            Err(E::custom("number out of range"))
        }
    }

    // Strings come here unescaped, so an invalid escape (a lone surrogate) is an error.
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<StrictJson>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<StrictJson, StrictJson>()?.is_some() {}
        Ok(self)
    }
}

/// A row's data text as the session's map: one parse, each value kept as the JSON text
/// `Session` holds it in.
fn decode_data(text: &str) -> Result<Map<String, Value>, Error> {
    let map: HashMap<String, &RawValue> =
        serde_json::from_str(text).map_err(Error::corrupt("data is not a JSON object"))?;
    Ok(map
        .into_iter()
        .map(|(key, raw)| (key, Value::String(raw.get().to_owned())))
        .collect())
}

/// Rebuilds a session from its row: the id it was looked up by, its data and expiry.
fn into_session(
    id: String,
    data: Map<String, Value>,
    expires: DateTime<Utc>,
) -> Result<Session, Error> {
    // `Session` has no constructor taking an id; it derives `Deserialize` from exactly
    // these three fields (its cookie value and flags are skipped and start empty).
    let whole = serde_json::json!({
        "id": id,
        "expiry": expires.to_rfc3339_opts(SecondsFormat::Micros, true),
        "data": data,
    });
    serde_json::from_value(whole)
        .map_err(Error::corrupt("row does not make an async-session Session"))
}

#[cfg(test)]
mod tests {
    use super::StrictJson;

    #[test]
    fn strict_json_accepts_what_value_accepts_and_nothing_else() {
        for text in [
            r#"{"a":[1,-2,3.5e10,"x\u00e9\n",null,true,{"b":{}}]}"#,
            "18446744073709551615",
            r#""\ud83d\ude00""#,
            " 1 ",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_ok(),
                "{text}"
            );
            assert!(serde_json::from_str::<StrictJson>(text).is_ok(), "{text}");
        }
        for text in [
            "1E400",
            "-1e999",
            "[1E400]",
            r#""\ud800""#,
            r#"{"a":"\udc00"}"#,
            "{",
            "nan",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text}"
            );
            assert!(serde_json::from_str::<StrictJson>(text).is_err(), "{text}");
        }
    }
}
