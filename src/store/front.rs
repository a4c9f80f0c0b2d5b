//! The store's side of the front ends: loading a session for a framework, saving it under
//! the rules of `touch` when its data did not change, and creating a new session under a
//! fresh id when its id is taken. Both front ends call these; all their semantics live here.

#[cfg(feature = "tower-sessions")]
use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
#[cfg(feature = "tower-sessions")]
use serde_json::Value;

use super::known::{Key, Seen};
use super::payload::{digest, Digest, Payload, Tracked};
use super::{check_sid, SqlStore};
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// How many fresh ids a new session tries before giving up (two random ids of 128 bits or
/// more already collide vanishingly rarely; eight in a row means something is wrong).
pub(crate) const CREATE_ATTEMPTS: u32 = 8;

/// What a front end knows, at save time, about the session's data.
pub(crate) enum Change<'a> {
    /// The framework says the data changed: write it.
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    Changed(Payload<'a>),
    /// The framework says the data is as it was loaded: refresh the expiry only.
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    Unchanged,
    /// The framework cannot tell (tower-sessions): write the data map unless its content
    /// digest is the one this instance last loaded or wrote for the session.
    #[cfg(feature = "tower-sessions")]
    Compare(&'a HashMap<String, Value>),
}

/// How a front end's load remembers the data it parsed.
pub(crate) enum Track<T> {
    /// Only the expiry (the front end has its own change flag).
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    ExpiryOnly,
    /// The data too, by this content digest of the parsed data (tower-sessions).
    #[cfg_attr(not(feature = "tower-sessions"), allow(dead_code))]
    Content(fn(&T) -> Digest),
}

/// Whether `stored` is within `window` of `wanted`, on either side (the rule of `touch`).
fn within(stored: DateTime<Utc>, wanted: DateTime<Utc>, window: TimeDelta) -> bool {
    (stored - wanted).abs() <= window
}

impl<DB: Dialect> SqlStore<DB> {
    /// The live row `sid` for a front end, its data parsed by `parse`, remembering the
    /// stored expiry and, under [`Track::Content`], what the data is, for the session's
    /// next save.
    ///
    /// The content digest is of the data, never of the row's text as the database returns
    /// it: a JSONB (or MySQL `JSON`) column, or a row written by another writer, gives equal
    /// data in another text. The text's own digest is remembered beside it: when the next
    /// load returns the same text, the remembered content digest is reused without a walk
    /// of the data. (A float whose text does not parse back to exactly the value written,
    /// possible without serde_json's `float_roundtrip`, then makes the next save a full
    /// write: never a skipped one.)
    pub(crate) async fn load_tracked<T>(
        &self,
        sid: &str,
        parse: impl FnOnce(&str) -> Result<T>,
        track: Track<T>,
    ) -> Result<Option<(T, DateTime<Utc>)>> {
        let key = Key::of(sid);
        let Some((text, expires)) = self.fetch_row("load", sid).await? else {
            self.inner.known.forget(key);
            return Ok(None);
        };
        let data = parse(&text)?;
        let tracked = match track {
            Track::ExpiryOnly => None,
            Track::Content(content_of) => {
                let text = digest(text.as_bytes());
                let content = match self.inner.known.get(key) {
                    Some(Seen {
                        data: Some(seen), ..
                    }) if seen.text == text => seen.content,
                    _ => content_of(&data),
                };
                Some(Tracked { text, content })
            }
        };
        self.inner.known.put(
            key,
            Seen {
                data: tracked,
                expires,
            },
        );
        Ok(Some((data, expires)))
    }

    /// A framework's save of a session it loaded. In one statement at most:
    /// - changed data is written (only to a live row: a destroyed session stays destroyed),
    ///   with the new expiry unless the stored one is already within `touch_after` of it;
    /// - unchanged data is not written; the expiry is refreshed as `touch` does (never under
    ///   `disable_touch`, and not while the stored expiry is within `touch_after` of the new
    ///   one: when this instance knows the stored expiry, no statement is run at all).
    pub(crate) async fn save_tracked(
        &self,
        sid: &str,
        change: Change<'_>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        check_sid(sid)?;
        let key = Key::of(sid);
        let seen = self.inner.known.get(key);
        let opts = &self.inner.options;
        let expires = expires.unwrap_or_else(|| self.default_expiry(Utc::now()));
        let expiry_is_fresh = seen.is_some_and(|s| within(s.expires, expires, opts.touch_after));
        let data = match change {
            Change::Changed(data) => data,
            Change::Unchanged => {
                return self
                    .refresh_expiry(sid, key, expires, expiry_is_fresh)
                    .await
            }
            #[cfg(feature = "tower-sessions")]
            Change::Compare(map) => {
                let content = super::fingerprint::of_map(map);
                if seen
                    .and_then(|s| s.data)
                    .is_some_and(|d| d.content == content)
                {
                    return self
                        .refresh_expiry(sid, key, expires, expiry_is_fresh)
                        .await;
                }
                Payload::canonical(map, content)?
            }
        };
        let tracked = data.tracked;
        let values = self.row_values(sid, data, Some(expires))?;
        // A stored expiry inside the window stays: the write then leaves the expiry index
        // alone (and PostgreSQL can update the row in place).
        let rows_updated = self.update_row(values, !expiry_is_fresh).await?;
        if rows_updated == 0 {
            self.inner.known.forget(key);
            return Ok(());
        }
        // The row now holds this data, and the expiry the write left there.
        let stored_expires = match seen {
            Some(s) if expiry_is_fresh => s.expires,
            _ => expires,
        };
        self.inner.known.put(
            key,
            Seen {
                data: tracked,
                expires: stored_expires,
            },
        );
        Ok(())
    }

    /// The save of unchanged data: the expiry refreshed as `touch` does it, or nothing
    /// at all under `disable_touch` or while the stored expiry is known to be fresh.
    async fn refresh_expiry(
        &self,
        sid: &str,
        key: Key,
        expires: DateTime<Utc>,
        expiry_is_fresh: bool,
    ) -> Result<()> {
        if self.inner.options.disable_touch || expiry_is_fresh {
            self.trace("save_unchanged", std::time::Instant::now(), 0);
            return Ok(());
        }
        if self.touch_row(sid, expires).await? {
            self.inner.known.set_expires(key, expires);
        }
        Ok(())
    }

    /// Inserts a new session, never over an existing row: `next_id(0)` gives its id, and
    /// on a collision `next_id(n)` must give a fresh one (the front end regenerates its
    /// session id), up to [`CREATE_ATTEMPTS`] tries; then [`Error::IdCollision`].
    pub(crate) async fn create_tracked(
        &self,
        data: Payload<'_>,
        expires: Option<DateTime<Utc>>,
        mut next_id: impl FnMut(u32) -> String + Send,
    ) -> Result<()> {
        let expires = expires.unwrap_or_else(|| self.default_expiry(Utc::now()));
        let tracked = data.tracked;
        let first = next_id(0);
        // The hook runs once; only the id changes between attempts.
        let row = self.plain_row_values(data, Some(expires))?;
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
                };
                self.inner.known.put(Key::of(&sid), seen);
                return Ok(());
            }
        }
        Err(Error::IdCollision {
            attempts: CREATE_ATTEMPTS,
        })
    }
}
