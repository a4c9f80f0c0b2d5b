//! The store's side of the front ends: loading a session for a framework (with its
//! [base](super::base)), saving it under the rules of `touch` when its data did not change,
//! merging it per top-level key when another save came between its load and its write, and
//! creating a new session under a fresh id when its id is taken. Both front ends call
//! these; all their semantics live here.

#[cfg(feature = "tower-sessions")]
use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
#[cfg(feature = "tower-sessions")]
use serde_json::Value;

use super::base::{Base, Diff, Name, Shape};
use super::digest::{digest, Digest};
use super::merge;
use super::payload::{object_text, trim_json, Payload};
use super::seen::SeenData;
use super::seen::{Key, Saved, Seen};
use super::{check_sid, ExpiryWrite, SqlStore, MERGE_ATTEMPTS};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::op::Op;

/// How many of a session's copies (loads) one instance remembers the last save of.
const SAVED_COPIES: usize = 4;

/// How many fresh ids a new session tries before giving up (two random ids of 128 bits or
/// more already collide vanishingly rarely; eight in a row means something is wrong).
pub(crate) const CREATE_ATTEMPTS: u32 = 8;

/// What a front end holds, at save time, of the session's data.
pub(crate) enum Change<'a> {
    /// The framework says the data is as it was loaded: refresh the expiry only.
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    Unchanged,
    /// The data, to compare with its base.
    Data(Data<'a>),
}

/// A session's data as a front end holds it at save time.
pub(crate) enum Data<'a> {
    /// `(key, JSON text)` entries in key order, the base key left out (async-session).
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    Texts(&'a [(String, String)]),
    /// The data map (tower-sessions); its base key is skipped.
    #[cfg(feature = "tower-sessions")]
    Map(&'a HashMap<String, Value>),
}

impl Data<'_> {
    /// The data's content by key.
    fn shape(&self) -> Shape {
        match self {
            Data::Texts(entries) => {
                Shape::of_texts(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
            #[cfg(feature = "tower-sessions")]
            Data::Map(map) => super::fingerprint::of_map(map),
        }
    }

    /// The whole data as written, remembered by `shape`.
    fn payload(&self, shape: Shape) -> Result<Payload<'static>> {
        match self {
            Data::Texts(entries) => {
                let text = object_text(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
                Ok(Payload::tracked(text, shape))
            }
            #[cfg(feature = "tower-sessions")]
            Data::Map(map) => Payload::canonical(map, shape),
        }
    }

    /// The digest of a value given as JSON text, as [`shape`](Self::shape) takes it.
    fn digest_of(&self, text: &str) -> Result<Digest> {
        match self {
            Data::Texts(_) => Ok(digest(trim_json(text).as_bytes())),
            #[cfg(feature = "tower-sessions")]
            Data::Map(_) => {
                let value: Value =
                    serde_json::from_str(text).map_err(Error::corrupt("data is not valid JSON"))?;
                Ok(super::fingerprint::of_value(&value))
            }
        }
    }

    /// `(key, JSON text)` of each key named in `names`.
    fn values(&self, names: &[Name]) -> Result<Vec<(String, String)>> {
        match self {
            Data::Texts(entries) => Ok(entries
                .iter()
                .filter(|(k, _)| merge::named(names, k))
                .cloned()
                .collect()),
            #[cfg(feature = "tower-sessions")]
            Data::Map(map) => map
                .iter()
                .filter(|(k, _)| k.as_str() != super::base::BASE_KEY && merge::named(names, k))
                .map(|(k, v)| Ok((k.clone(), super::payload::canonical_text(v)?)))
                .collect(),
        }
    }
}

/// How a front end's load tells the data's content, for the session's base.
pub(crate) enum ShapeFrom<T> {
    /// From the parsed data, each load; only the expiry is remembered (async-session,
    /// which has its own change flag).
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    EachLoad(fn(&T) -> Shape),
    /// From the parsed data, remembered with the digest of the row's text: a load of the
    /// same text again takes it from memory (tower-sessions).
    #[cfg_attr(not(feature = "tower-sessions"), allow(dead_code))]
    Remembered(fn(&T) -> Shape),
}

/// A session loaded for a front end.
pub(crate) struct Loaded<T> {
    pub data: T,
    pub expires: DateTime<Utc>,
    /// What its save starts from (`None` on a table without a version column).
    pub base: Option<Base>,
}

/// A save with a base, as its write and merge need it.
struct Merge<'s> {
    sid: &'s str,
    key: Key,
    /// The load the copy came from.
    load: u64,
    /// What the copy held when it was loaded, or when this instance last saved it.
    from: Shape,
    /// The version that content was written as, when the row held exactly it then (`None`
    /// after a merged write: the row held more than the copy).
    over: Option<i64>,
    /// What the save changed since `from`.
    diff: Diff,
    /// The content the copy holds now.
    shape: Shape,
    expires: DateTime<Utc>,
}

impl Merge<'_> {
    /// What this instance remembers of the save once written: as it is at `version`, or
    /// merged into more (`None`).
    fn saved(&self, version: Option<i64>) -> Saved {
        Saved {
            load: self.load,
            shape: self.shape.clone(),
            written: version,
        }
    }
}

/// Whether `stored` is within `window` of `wanted`, on either side (the rule of `touch`).
fn within(stored: DateTime<Utc>, wanted: DateTime<Utc>, window: TimeDelta) -> bool {
    (stored - wanted).abs() <= window
}

impl<DB: Dialect> SqlStore<DB> {
    /// The live row `sid` for a front end, its data parsed by `parse`, with its base and
    /// remembering the stored expiry (and, under [`ShapeFrom::Remembered`], the content).
    ///
    /// The content is of the data, never of the row's text as the database returns it: a
    /// JSONB (or MySQL `JSON`) column, or a row written by another writer, gives equal data
    /// in another text. The text's own digest is remembered beside it: when the next load
    /// returns the same text, the remembered content is reused without a walk of the data.
    /// (A float whose text does not parse back to exactly the value written, possible
    /// without serde_json's `float_roundtrip`, then makes the next save a full write: never
    /// a skipped one.)
    pub(crate) async fn load_tracked<T>(
        &self,
        sid: &str,
        parse: impl FnOnce(&str) -> Result<T>,
        track: ShapeFrom<T>,
    ) -> Result<Option<Loaded<T>>> {
        let key = Key::of(sid);
        let Some(row) = self.fetch_row(Op::Load, sid).await? else {
            self.inner.seen.forget(key);
            return Ok(None);
        };
        let data = parse(&row.text)?;
        let seen = self.inner.seen.get(key);
        let (shape, tracked) = match track {
            ShapeFrom::EachLoad(shape_of) => (row.version.map(|_| shape_of(&data)), None),
            ShapeFrom::Remembered(shape_of) => {
                let text = digest(row.text.as_bytes());
                let shape = match &seen {
                    Some(Seen {
                        data: Some(seen), ..
                    }) if seen.text == text => seen.shape.clone(),
                    _ => shape_of(&data),
                };
                (Some(shape.clone()), Some(SeenData { text, shape }))
            }
        };
        self.inner.seen.put(
            key,
            Seen {
                data: tracked,
                expires: row.expires,
                saved: seen.map(|s| s.saved).unwrap_or_default(),
            },
        );
        let base = row
            .version
            .zip(shape)
            .map(|(version, shape)| Base::new(version, shape));
        Ok(Some(Loaded {
            data,
            expires: row.expires,
            base,
        }))
    }

    /// A framework's save of a session it loaded, from `base`:
    /// - unchanged data (the same content as its base, or as this copy's last save by this
    ///   instance) is not written; the expiry is refreshed as `touch` does (never under
    ///   `disable_touch`, and not while the stored expiry is within `touch_after` of the new
    ///   one: when this instance knows the stored expiry, no statement is run at all);
    /// - changed data is written in one statement, only over the row version it was loaded
    ///   (or last saved) as, and only to a live row (a destroyed session stays destroyed),
    ///   with the new expiry unless the stored one is already within `touch_after` of it;
    /// - when another save came first, the row is read again and this save's changes (the
    ///   keys it set or removed since its load, or since its own last save) are applied to
    ///   it and written, over the version just read; up to [`MERGE_ATTEMPTS`] times, then
    ///   [`Error::Conflict`].
    ///
    /// Without a base (its data was cleared) changed data replaces the stored data; on a
    /// table without a version column, the data is compared with what this instance last
    /// saw of the session, and written whole when it differs.
    pub(crate) async fn save_tracked(
        &self,
        sid: &str,
        change: Change<'_>,
        base: Option<Base>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        check_sid(sid)?;
        let key = Key::of(sid);
        let seen = self.inner.seen.get(key);
        let expires = expires.unwrap_or_else(|| self.default_expiry(Utc::now()));
        let stored_expires = seen.as_ref().map(|s| s.expires);
        let Change::Data(data) = change else {
            return self.refresh_expiry(sid, key, expires, stored_expires).await;
        };
        let shape = data.shape();
        let versioned = self.inner.table.version.is_some();
        let Some(base) = base.filter(|_| versioned) else {
            // Without a version column, data equal to what this instance last saw is taken
            // for unchanged; a cleared session (no base) always replaces what is stored.
            let last_seen = seen
                .as_ref()
                .and_then(|s| s.data.as_ref())
                .map(|d| &d.shape);
            if !versioned && last_seen == Some(&shape) {
                return self.refresh_expiry(sid, key, expires, stored_expires).await;
            }
            return self
                .replace(sid, key, &data, shape, expires, stored_expires)
                .await;
        };
        // A copy this instance saved before (a request that saves twice) goes on from what
        // it saved; any other from its load.
        let saved = seen
            .as_ref()
            .and_then(|s| s.saved.iter().find(|saved| saved.load == base.load));
        let (from, over) = match saved {
            Some(saved) => (saved.shape.clone(), saved.written),
            None => (base.shape, Some(base.version)),
        };
        if from == shape {
            return self.refresh_expiry(sid, key, expires, stored_expires).await;
        }
        let merge = Merge {
            sid,
            key,
            load: base.load,
            diff: from.diff(&shape),
            from,
            over,
            shape,
            expires,
        };
        let Some(over) = merge.over else {
            // Its last save was merged into more than the copy holds: merge again.
            return self.merge_and_write(&merge, &data).await;
        };
        let payload = data.payload(merge.shape.clone())?;
        let tracked = payload.tracked.clone();
        match self
            .write_data(sid, payload, expires, stored_expires, Some(over))
            .await?
        {
            Some((stored, written)) => {
                self.remember(&merge, tracked, stored, Some(written));
                Ok(())
            }
            // No row at that version: destroyed or expired (then nothing is written), or
            // another save came first.
            None => self.merge_and_write(&merge, &data).await,
        }
    }

    /// A save without a base: its data replaces the stored data (a live row only).
    async fn replace(
        &self,
        sid: &str,
        key: Key,
        data: &Data<'_>,
        shape: Shape,
        expires: DateTime<Utc>,
        stored_expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let payload = data.payload(shape)?;
        let tracked = payload.tracked.clone();
        match self
            .write_data(sid, payload, expires, stored_expires, None)
            .await?
        {
            Some((stored, _)) => {
                let seen = Seen {
                    data: tracked,
                    expires: stored,
                    saved: Vec::new(),
                };
                self.inner.seen.put(key, seen);
            }
            None => self.inner.seen.forget(key),
        }
        Ok(())
    }

    /// Remembers a save: what the row holds now (`tracked`, when it is this copy's data),
    /// its expiry, and the save among the session's recent ones.
    fn remember(
        &self,
        merge: &Merge<'_>,
        tracked: Option<SeenData>,
        expires: DateTime<Utc>,
        written: Option<i64>,
    ) {
        let mut saved = self
            .inner
            .seen
            .get(merge.key)
            .map(|s| s.saved)
            .unwrap_or_default();
        saved.retain(|s| s.load != merge.load);
        if saved.len() >= SAVED_COPIES {
            saved.remove(0);
        }
        saved.push(merge.saved(written));
        let seen = Seen {
            data: tracked,
            expires,
            saved,
        };
        self.inner.seen.put(merge.key, seen);
    }

    /// Applies a save's changes to the row as it is now and writes the result over the
    /// version read; again, up to [`MERGE_ATTEMPTS`] times, while other writes come in
    /// between. A row gone meanwhile stays gone.
    async fn merge_and_write(&self, merge: &Merge<'_>, data: &Data<'_>) -> Result<()> {
        let set = data.values(&merge.diff.set)?;
        for _ in 0..MERGE_ATTEMPTS {
            let Some(fresh) = self.fetch_row(Op::Save, merge.sid).await? else {
                self.inner.seen.forget(merge.key);
                return Ok(());
            };
            let stored = merge::Stored::parse(&fresh.text)?;
            if self.inner.options.strict_merge {
                let keys =
                    merge::contested(&stored, &merge.from, &merge.shape, &merge.diff, |text| {
                        data.digest_of(text)
                    })?;
                if keys > 0 {
                    return Err(Error::KeyConflict { keys });
                }
            }
            let merged = Payload::text(merge::apply(&stored, &merge.diff, &set)?);
            let written = self
                .write_data(
                    merge.sid,
                    merged,
                    merge.expires,
                    Some(fresh.expires),
                    fresh.version,
                )
                .await?;
            if let Some((stored, _)) = written {
                // The row holds more than this copy: its content is not known.
                self.remember(merge, None, stored, None);
                return Ok(());
            }
            if fresh.version.is_none() {
                // Written without a version condition, and no row: gone meanwhile.
                self.inner.seen.forget(merge.key);
                return Ok(());
            }
        }
        Err(Error::Conflict {
            attempts: MERGE_ATTEMPTS,
        })
    }

    /// Writes `data` to the live row `sid` (over version `over`, when given): with the new
    /// expiry, or keeping the stored one when it is known and within `touch_after` of it.
    /// The stored expiry and the version after the write, or `None` when no row was written.
    async fn write_data(
        &self,
        sid: &str,
        data: Payload<'_>,
        expires: DateTime<Utc>,
        stored_expires: Option<DateTime<Utc>>,
        over: Option<i64>,
    ) -> Result<Option<(DateTime<Utc>, i64)>> {
        let window = self.inner.options.touch_after.around(expires, Utc::now());
        // A stored expiry inside the window stays: the write then leaves the expiry index
        // alone (and PostgreSQL can update the row in place).
        let (expiry, after) = match stored_expires {
            Some(stored) if within(stored, expires, window) => (ExpiryWrite::Kept, stored),
            _ => (ExpiryWrite::New, expires),
        };
        let values = self.row_values(sid, data, Some(expires))?;
        let version = values.version;
        let rows = self.update_row(values, expiry, over).await?;
        Ok((rows > 0).then_some((after, version)))
    }

    /// The save of unchanged data: the expiry refreshed as `touch` does it, or nothing
    /// at all under `disable_touch` or while the stored expiry is known to be fresh.
    async fn refresh_expiry(
        &self,
        sid: &str,
        key: Key,
        expires: DateTime<Utc>,
        stored_expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let window = self.inner.options.touch_after.around(expires, Utc::now());
        let fresh = stored_expires.is_some_and(|s| within(s, expires, window));
        if self.inner.options.disable_touch || fresh {
            self.counters().skipped_save();
            self.trace(Op::SaveUnchanged, std::time::Instant::now(), 0);
            return Ok(());
        }
        if self.touch_row(sid, expires).await? {
            self.inner.seen.set_expires(key, expires);
        }
        Ok(())
    }

    /// Inserts a new session, never over an existing row: `next_id(0)` gives its id, and
    /// on a collision `next_id(n)` must give a fresh one (the front end regenerates its
    /// session id), up to [`CREATE_ATTEMPTS`] tries; then [`Error::IdCollision`]. Returns
    /// the version written (`None` without a version column).
    pub(crate) async fn create_tracked(
        &self,
        data: Payload<'_>,
        expires: Option<DateTime<Utc>>,
        mut next_id: impl FnMut(u32) -> String + Send,
    ) -> Result<Option<i64>> {
        let expires = expires.unwrap_or_else(|| self.default_expiry(Utc::now()));
        let tracked = data.tracked.clone();
        let first = next_id(0);
        // The hook runs once; only the id changes between attempts.
        let row = self.plain_row_values(data, Some(expires))?;
        let version = self.inner.table.version.as_ref().map(|_| row.version);
        let mut sid = first;
        for attempt in 0..CREATE_ATTEMPTS {
            if attempt > 0 {
                sid = next_id(attempt);
            }
            // Each id is stored (and the data sealed to it) afresh.
            let values = self.seal_row(row.clone(), &sid)?;
            if self.insert_row(values).await? {
                let seen = Seen {
                    data: tracked,
                    expires,
                    saved: Vec::new(),
                };
                self.inner.seen.put(Key::of(&sid), seen);
                return Ok(version);
            }
        }
        Err(Error::IdCollision {
            attempts: CREATE_ATTEMPTS,
        })
    }
}
