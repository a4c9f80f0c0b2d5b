//! What this store instance last saw of each session row it loaded or wrote: the stored
//! expiry and, for tower-sessions, digests of the data's text and content. It lets a load
//! whose row text is the one last seen skip the walk of the data, a save inside
//! `touch_after` skip its statement, and (for a session that carries no base) a save of
//! unchanged data skip the data write, all without a read first.
//!
//! Bounded: at most `capacity` sessions are remembered, in two generations of at most half
//! the capacity each. New and recently used entries go to the young one; when it is half full it becomes the old one,
//! and the old one is dropped. A session that is forgotten is simply written in full on its
//! next save, exactly as if the store did no change detection.
//!
//! Keys are BLAKE3 digests of the session id, so no session id is kept in memory here.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::base::Shape;
use super::digest::{digest, Digest};

/// What is remembered of a session's data, for a front end that compares data to tell a
/// change (tower-sessions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeenData {
    /// Digest of the data column's text as last loaded or written: a load that returns the
    /// same text has the same content, and needs no walk of the data to know it.
    pub text: Digest,
    /// The data's content by top-level key (`fingerprint::of_map` under tower-sessions),
    /// compared with the content of what is saved.
    pub shape: Shape,
}

/// What was last seen of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    /// What is known of the data; `None` when only the expiry is known (the async-session
    /// front end, which has its own change flag).
    pub data: Option<SeenData>,
    /// The stored expiry.
    pub expires: DateTime<Utc>,
    /// This instance's last saves of the session's copies (a few, the newest last). A later
    /// save of the same copy (a request that saves twice) writes what changed since.
    pub saved: Vec<Saved>,
}

/// A save of one copy of a session: the load the copy came from, the content it held, and
/// the version the save wrote when the row then held exactly that content (`None` when the
/// save was merged into more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Saved {
    pub load: u64,
    pub shape: Shape,
    pub written: Option<i64>,
}

/// The key of a session id in the table.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key(Digest);

impl Key {
    pub(crate) fn of(sid: &str) -> Self {
        Key(digest(sid.as_bytes()))
    }
}

pub(crate) struct SeenCache {
    /// Most sessions remembered; 0 turns change detection off.
    capacity: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Key, Seen>,
    old: HashMap<Key, Seen>,
}

impl SeenCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            generations: Mutex::default(),
        }
    }

    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    pub(crate) fn get(&self, key: Key) -> Option<Seen> {
        if self.capacity == 0 {
            return None;
        }
        let mut g = self.lock();
        if let Some(seen) = g.young.get(&key) {
            return Some(seen.clone());
        }
        let seen = g.old.remove(&key)?;
        self.insert_young(&mut g, key, seen.clone());
        Some(seen)
    }

    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    pub(crate) fn put(&self, key: Key, seen: Seen) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.lock();
        g.old.remove(&key);
        self.insert_young(&mut g, key, seen);
    }

    /// Records a new expiry for a row whose data is still as last seen.
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    pub(crate) fn set_expires(&self, key: Key, expires: DateTime<Utc>) {
        if let Some(seen) = self.get(key) {
            self.put(key, Seen { expires, ..seen });
        }
    }

    pub(crate) fn forget(&self, key: Key) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.lock();
        g.young.remove(&key);
        g.old.remove(&key);
    }

    /// How many sessions are remembered (tests and `Debug`).
    pub(crate) fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    fn insert_young(&self, g: &mut Generations, key: Key, seen: Seen) {
        // Each generation holds at most half the capacity (a capacity of 1: one entry, no
        // old generation), so both together never hold more than `capacity`.
        let half = self.capacity / 2;
        if g.young.len() >= half.max(1) && !g.young.contains_key(&key) {
            if half == 0 {
                g.young.clear();
            } else {
                g.old = std::mem::take(&mut g.young);
            }
        }
        g.young.insert(key, seen);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // Nothing panics while the lock is held; a poisoned lock still holds valid maps.
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(n: u8) -> Seen {
        Seen {
            data: Some(SeenData {
                text: [n; 16],
                shape: Shape::of_texts([("k", n.to_string().as_str())]),
            }),
            saved: Vec::new(),
            expires: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn holds_at_most_capacity_and_keeps_what_is_used() {
        let known = SeenCache::new(4);
        for n in 0..4u8 {
            known.put(Key::of(&n.to_string()), seen(n));
        }
        assert_eq!(known.len(), 4);
        // "0" is in the old generation; using it moves it to the young one.
        assert_eq!(known.get(Key::of("0")), Some(seen(0)));
        for n in 4..40u8 {
            known.put(Key::of(&n.to_string()), seen(n));
            assert!(known.len() <= 4, "bounded");
        }
        assert_eq!(known.get(Key::of("1")), None, "forgotten");
        assert_eq!(known.get(Key::of("39")), Some(seen(39)));
        known.forget(Key::of("39"));
        assert_eq!(known.get(Key::of("39")), None);
    }

    #[test]
    fn odd_and_tiny_capacities_stay_bounded() {
        for capacity in [1, 2, 3, 5] {
            let known = SeenCache::new(capacity);
            for n in 0..50u8 {
                known.put(Key::of(&n.to_string()), seen(n));
                assert!(known.len() <= capacity, "{} of {capacity}", known.len());
                assert_eq!(known.get(Key::of(&n.to_string())), Some(seen(n)));
            }
        }
    }

    #[test]
    fn capacity_zero_remembers_nothing() {
        let known = SeenCache::new(0);
        known.put(Key::of("a"), seen(1));
        assert_eq!(known.get(Key::of("a")), None);
        assert_eq!(known.len(), 0);
    }
}
