//! The store's side of the front ends: loading a session for a framework, saving it under
//! the rules of `touch` when its data did not change, and creating a new session under a
//! fresh id when its id is taken. Both front ends call these; all their semantics live here.

use chrono::{DateTime, TimeDelta, Utc};

use super::known::{Key, Seen};
use super::payload::{Digest, Payload};
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
    /// The framework cannot tell: write the data unless its digest is the one this
    /// instance last loaded or wrote for the session. `Payload::canonical` gives the digest.
    #[cfg_attr(not(feature = "tower-sessions"), allow(dead_code))]
    Compare(Payload<'a>),
}

/// Whether `stored` is within `window` of `wanted`, on either side (the rule of `touch`).
fn within(stored: DateTime<Utc>, wanted: DateTime<Utc>, window: TimeDelta) -> bool {
    (stored - wanted).abs() <= window
}

impl<DB: Dialect> SqlStore<DB> {
    /// The live row `sid` for a front end, its data parsed by `parse`, remembering the
    /// stored expiry and the digest `parse` gives (of the data's canonical form; `None`
    /// when the front end has its own change flag), for the session's next save.
    ///
    /// The digest is of the canonical form of what was parsed, never of the row's text
    /// as the database returns it: a JSONB (or MySQL `JSON`) column, or a row written by
    /// another writer, gives equal data in another text.
    pub(crate) async fn load_tracked<T>(
        &self,
        sid: &str,
        parse: impl FnOnce(&str) -> Result<(T, Option<Digest>)>,
    ) -> Result<Option<(T, DateTime<Utc>)>> {
        let key = Key::of(sid);
        let Some((text, expires)) = self.fetch_row("load", sid).await? else {
            self.inner.known.forget(key);
            return Ok(None);
        };
        let (data, digest) = parse(&text)?;
        self.inner.known.put(
            key,
            Seen {
                data: digest,
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
            Change::Compare(data) if !matches!((seen, data.digest), (Some(Seen { data: Some(a), .. }), Some(b)) if a == b) => {
                data
            }
            Change::Compare(_) | Change::Unchanged => {
                if opts.disable_touch || expiry_is_fresh {
                    self.trace("save_unchanged", std::time::Instant::now(), 0);
                    return Ok(());
                }
                if self.touch_row(sid, expires).await? {
                    self.inner.known.set_expires(key, expires);
                }
                return Ok(());
            }
        };
        let data_digest = data.digest;
        let values = self.row_values(sid, data, Some(expires))?;
        // A stored expiry inside the window stays: the write then leaves the expiry index
        // alone (and PostgreSQL can update the row in place).
        let written = self.update_row(values, !expiry_is_fresh).await?;
        match seen {
            _ if written == 0 => self.inner.known.forget(key),
            Some(s) if expiry_is_fresh => self.inner.known.put(
                key,
                Seen {
                    data: data_digest,
                    expires: s.expires,
                },
            ),
            _ => self.inner.known.put(
                key,
                Seen {
                    data: data_digest,
                    expires,
                },
            ),
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
        let data_digest = data.digest;
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
                    data: data_digest,
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
