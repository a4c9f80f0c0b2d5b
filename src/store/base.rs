//! What a session loaded through a front end carries to its save: its *base*, the version
//! of the row it was loaded from and a digest of each top-level value it held then.
//!
//! A framework hands the store only the session's data at save time, with no trace of the
//! load it came from, and two overlapping requests of one session hold two copies. So the
//! load puts the base into the data itself, under [`BASE_KEY`], and every write strips it
//! again: it is never stored. At save time the base tells, exactly and for this copy
//! alone, which keys the request set or removed (those whose digest differs from the
//! base's, or that are gone), and the version tells whether the row is still the one the
//! request loaded (one conditional write) or another save came in between (re-read, apply
//! this request's keys to what is there now, write again).
//!
//! The base is text (`1.<version>.<load>.<entries>[.<loaded id>]`, hex), about 50 bytes per
//! top-level key, and lives only in the request's copy of the session.

// Without a front end only the content type (`Shape`) and `BASE_KEY` are used.
#![cfg_attr(
    not(any(feature = "tower-sessions", feature = "async-session")),
    allow(dead_code)
)]

use std::sync::Arc;

use super::digest::{digest, Digest};

/// The reserved data key under which a loaded session carries its base (see the
/// [concurrency guide](https://docs.rs/sqlx-session-store/latest/sqlx_session_store/guide/concurrency/index.html)). The store strips it from every write; an application must not
/// use this key for its own data. Removing it (tower-sessions' `Session::clear` does)
/// makes the next save replace the whole stored data instead of merging into it.
pub const BASE_KEY: &str = "__sqlx_session_store_base";

/// The format tag that starts every encoded base.
const FORMAT: &str = "1";

/// A top-level key's name digest and its value's digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct KeyDigest {
    pub name: Name,
    pub value: Digest,
}

/// The digest of a top-level key's name.
pub(crate) type Name = [u8; 8];

/// The first 8 bytes of the BLAKE3 hash of a key's name.
pub(crate) fn name_of(key: &str) -> Name {
    let mut out = [0; 8];
    out.copy_from_slice(&digest(key.as_bytes())[..8]);
    out
}

/// The digests of a data map's top-level entries (the base key left out), in name-digest
/// order: equal data gives an equal shape whatever the map's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Shape(Arc<[KeyDigest]>);

impl Shape {
    pub(crate) fn new(mut entries: Vec<KeyDigest>) -> Self {
        entries.sort_unstable();
        Self(entries.into())
    }

    /// The shape of `(key, JSON text)` entries (async-session keeps each value as text).
    #[cfg_attr(not(feature = "async-session"), allow(dead_code))]
    pub(crate) fn of_texts<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self::new(
            entries
                .into_iter()
                .filter(|(key, _)| *key != BASE_KEY)
                .map(|(key, text)| KeyDigest {
                    name: name_of(key),
                    value: digest(text.as_bytes()),
                })
                .collect(),
        )
    }

    /// The value digest of the key named `name`, if the data has it.
    pub(crate) fn value_of(&self, name: &Name) -> Option<&Digest> {
        let i = self.0.binary_search_by(|e| e.name.cmp(name)).ok()?;
        self.0.get(i).map(|e| &e.value)
    }

    /// What `current` changed from this shape: the names it set (new, or with another
    /// value) and the names it no longer has.
    pub(crate) fn diff(&self, current: &Shape) -> Diff {
        let (mut set, mut removed) = (Vec::new(), Vec::new());
        let (mut base, mut now) = (self.0.iter().peekable(), current.0.iter().peekable());
        loop {
            match (base.peek(), now.peek()) {
                (None, None) => break,
                (Some(b), None) => {
                    removed.push(b.name);
                    base.next();
                }
                (None, Some(n)) => {
                    set.push(n.name);
                    now.next();
                }
                (Some(b), Some(n)) if b.name < n.name => {
                    removed.push(b.name);
                    base.next();
                }
                (Some(b), Some(n)) if b.name > n.name => {
                    set.push(n.name);
                    now.next();
                }
                (Some(b), Some(n)) => {
                    if b.value != n.value {
                        set.push(n.name);
                    }
                    base.next();
                    now.next();
                }
            }
        }
        Diff { set, removed }
    }
}

/// The top-level keys a save changed relative to its base, by name digest.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Diff {
    /// Keys set: new, or holding another value than in the base.
    pub set: Vec<Name>,
    /// Keys of the base the save no longer holds.
    pub removed: Vec<Name>,
}

/// A loaded session's base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Base {
    /// The row's version when it was loaded.
    pub version: i64,
    /// A random number naming the load: two loads of one row (two requests) never share
    /// one, so a save can tell its own earlier save from another request's.
    pub load: u64,
    /// The data's shape when it was loaded.
    pub shape: Shape,
    /// The id the session was loaded under, where a front end can change a session's id
    /// without telling the store (async-session's `regenerate`).
    pub loaded_id: Option<String>,
}

impl Base {
    /// The base of a load (or create) of the row at `version`, holding `shape`.
    pub(crate) fn new(version: i64, shape: Shape) -> Self {
        Self {
            version,
            load: rand::random(),
            shape,
            loaded_id: None,
        }
    }

    /// The base as the text kept under [`BASE_KEY`].
    pub(crate) fn encode(&self) -> String {
        let mut text = String::with_capacity(40 + self.shape.0.len() * 48);
        text.push_str(FORMAT);
        text.push('.');
        push_hex(&mut text, &self.version.to_be_bytes());
        text.push('.');
        push_hex(&mut text, &self.load.to_be_bytes());
        text.push('.');
        for entry in self.shape.0.iter() {
            push_hex(&mut text, &entry.name);
            push_hex(&mut text, &entry.value);
        }
        if let Some(id) = &self.loaded_id {
            text.push('.');
            text.push_str(id);
        }
        text
    }

    /// A base from its text; `None` for anything this store did not write (the save is
    /// then a replace, as when the data was cleared).
    pub(crate) fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(5, '.');
        if parts.next()? != FORMAT {
            return None;
        }
        let version = i64::from_be_bytes(from_hex(parts.next()?)?);
        let load = u64::from_be_bytes(from_hex(parts.next()?)?);
        let entries = parts.next()?.as_bytes();
        if entries.len() % 48 != 0 {
            return None;
        }
        let shape = entries
            .chunks_exact(48)
            .map(|chunk| {
                let (name, value) = chunk.split_at(16);
                Some(KeyDigest {
                    name: from_hex(std::str::from_utf8(name).ok()?)?,
                    value: from_hex(std::str::from_utf8(value).ok()?)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            version,
            load,
            shape: Shape::new(shape),
            loaded_id: parts.next().map(str::to_owned),
        })
    }
}

fn push_hex(text: &mut String, bytes: &[u8]) {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 });
    for &b in bytes {
        text.push(digit(b >> 4));
        text.push(digit(b & 0xf));
    }
}

/// `N` bytes from `2 * N` hex digits (either case; nothing else, not even a sign).
///
/// By nibble, not through `u8::from_str_radix`: every save of a loaded session decodes its
/// base this way, and the generic parse cost about 50 instructions per byte.
fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let [high, low] = pair else {
            return None;
        };
        *byte = (nibble(*high)? << 4) | nibble(*low)?;
    }
    Some(out)
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(entries: &[(&str, &str)]) -> Shape {
        Shape::of_texts(entries.iter().copied())
    }

    #[test]
    fn hex_is_decoded_by_nibble_and_nothing_else() {
        assert_eq!(from_hex::<2>("00ff"), Some([0, 255]));
        assert_eq!(from_hex::<2>("A0fF"), Some([0xa0, 0xff]));
        for bad in ["", "0", "00f", "00fff", "+f00", "0g00", " 0ff", "0x0f"] {
            assert_eq!(from_hex::<2>(bad), None, "{bad:?}");
        }
        let all: String = (0..=255u8).map(|b| format!("{b:02x}")).collect();
        let bytes = from_hex::<256>(&all).unwrap();
        assert!(bytes.iter().enumerate().all(|(i, &b)| usize::from(b) == i));
    }

    #[test]
    fn a_base_reads_back_as_written() {
        for loaded_id in [None, Some("aB+/x=".to_owned())] {
            let base = Base {
                loaded_id,
                ..Base::new(-42, shape(&[("a", "1"), ("b", "[2]")]))
            };
            assert_eq!(Base::decode(&base.encode()), Some(base));
        }
        let empty = Base::new(i64::MAX, Shape::default());
        assert_ne!(empty.load, Base::new(i64::MAX, Shape::default()).load);
        assert_eq!(Base::decode(&empty.encode()), Some(empty));
    }

    #[test]
    fn foreign_text_is_no_base() {
        for text in [
            "",
            "1",
            "2.0000000000000000.",
            "1.zz00000000000000.",
            "1.00.",
            "1.0000000000000000.abc",
        ] {
            assert_eq!(Base::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn diff_names_what_was_set_and_removed() {
        let base = shape(&[("keep", "1"), ("change", "1"), ("gone", "1")]);
        let now = shape(&[("keep", "1"), ("change", "2"), ("new", "3")]);
        let mut diff = base.diff(&now);
        diff.set.sort_unstable();
        let mut set = vec![name_of("change"), name_of("new")];
        set.sort_unstable();
        assert_eq!(diff.set, set);
        assert_eq!(diff.removed, vec![name_of("gone")]);
        assert_eq!(now.diff(&now), Diff::default());
        assert_eq!(
            shape(&[("a", "1"), (BASE_KEY, "x")]),
            shape(&[("a", "1")]),
            "the base key is no data"
        );
    }
}
