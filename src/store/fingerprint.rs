//! A digest of each top-level value's *content* in a session's data, for a front end that
//! must tell a changed session from an unchanged one, and which keys changed, itself
//! (tower-sessions' `Record` carries no change flag).
//!
//! The tree of JSON values is walked once and an unambiguous encoding of it is streamed
//! into BLAKE3: every node is a tag and a length (or an integer, each self-delimiting)
//! followed by its bytes or children, so no two different trees encode alike. Object keys
//! go in byte order at every depth, so equal data gives the same digest whatever the map's
//! iteration order, and whether or not serde_json's `preserve_order` is on somewhere in
//! the build. Nothing is serialized to JSON: walking the tree costs about half a
//! serialization of it (typical session data, 4 KiB to 1 MiB). What is allocated: one
//! buffer, the list of top-level digests, nested maps' entry lists only under
//! `preserve_order`, and the text of each float.

use serde_json::{Number, Value};
use std::collections::HashMap;

use super::base::{name_of, KeyDigest, Shape, BASE_KEY};
use super::digest::{truncated, Digest};
use super::payload::{maps_are_sorted, sorted_entries};

/// The content of a session's data map: the content digest of each top-level value, by
/// its key (the base key left out).
pub(crate) fn of_map(data: &HashMap<String, Value>) -> Shape {
    let mut encoder = Encoder::new();
    Shape::new(
        data.iter()
            .filter(|(key, _)| key.as_str() != BASE_KEY)
            .map(|(key, value)| KeyDigest {
                name: name_of(key),
                value: encoder.digest_of(value),
            })
            .collect(),
    )
}

/// The content digest of one value.
pub(crate) fn of_value(value: &Value) -> Digest {
    Encoder::new().digest_of(value)
}

// Node tags.
const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UNSIGNED: u8 = 3;
const NEGATIVE: u8 = 4;
const OTHER_NUMBER: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;
const KEY: u8 = 9;

/// How much encoding is gathered before it is handed to the hasher (large enough for
/// BLAKE3's SIMD paths, which work on several 1 KiB chunks at once).
const BUFFER: usize = 16 * 1024;

struct Encoder {
    buffer: Vec<u8>,
    hasher: blake3::Hasher,
}

impl Encoder {
    fn new() -> Self {
        Self {
            buffer: Vec::with_capacity(1024),
            hasher: blake3::Hasher::new(),
        }
    }

    /// The digest of one value; the encoder is then ready for the next.
    fn digest_of(&mut self, value: &Value) -> Digest {
        self.value(value);
        self.flush();
        let digest = truncated(&self.hasher.finalize());
        self.hasher.reset();
        digest
    }

    fn flush(&mut self) {
        self.hasher.update(&self.buffer);
        self.buffer.clear();
    }

    fn make_room(&mut self, bytes: usize) {
        if self.buffer.len() + bytes > BUFFER {
            self.flush();
        }
    }

    /// A tag and a 64-bit word (a length or an integer), the word in LEB128: seven bits a
    /// byte, low bits first, the high bit set on every byte but the last. Most words are
    /// small lengths, one byte instead of eight: less to hash.
    fn head(&mut self, tag: u8, mut word: u64) {
        self.make_room(11);
        self.buffer.push(tag);
        while word >= 0x80 {
            let [low, ..] = word.to_le_bytes();
            self.buffer.push(low | 0x80);
            word >>= 7;
        }
        let [last, ..] = word.to_le_bytes();
        self.buffer.push(last);
    }

    /// A tag, a length, and that many bytes.
    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.head(tag, bytes.len() as u64);
        if bytes.len() > BUFFER / 2 {
            self.flush();
            self.hasher.update(bytes);
        } else {
            self.make_room(bytes.len());
            self.buffer.extend_from_slice(bytes);
        }
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.head(NULL, 0),
            Value::Bool(false) => self.head(FALSE, 0),
            Value::Bool(true) => self.head(TRUE, 0),
            Value::Number(n) => self.number(n),
            Value::String(s) => self.bytes(STRING, s.as_bytes()),
            Value::Array(items) => {
                self.head(ARRAY, items.len() as u64);
                for item in items {
                    self.value(item);
                }
            }
            Value::Object(map) if maps_are_sorted() => {
                self.object(map.len(), map.iter().map(|(k, v)| (k.as_str(), v)));
            }
            Value::Object(map) => {
                let entries = sorted_entries(map);
                self.object(entries.len(), entries.into_iter());
            }
        }
    }

    /// Integers by value; any other number (a float, or under serde_json's
    /// `arbitrary_precision` an integer beyond 64 bits) by its exact JSON text, so that no
    /// two different numbers ever encode alike.
    fn number(&mut self, n: &Number) {
        if let Some(u) = n.as_u64() {
            self.head(UNSIGNED, u);
        } else if let Some(i) = n.as_i64() {
            self.head(NEGATIVE, i.cast_unsigned());
        } else {
            self.bytes(OTHER_NUMBER, n.to_string().as_bytes());
        }
    }

    /// An object of `len` entries, given in key order.
    fn object<'m>(&mut self, len: usize, entries: impl Iterator<Item = (&'m str, &'m Value)>) {
        self.head(OBJECT, len as u64);
        for (key, value) in entries {
            self.bytes(KEY, key.as_bytes());
            self.value(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn map(value: Value) -> HashMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn equal_content_in_any_order_gives_one_digest() {
        let a = map(json!({ "b": { "y": 1, "x": [ { "q": 1, "p": 2 } ] }, "a": "é\"\n" }));
        let mut b: HashMap<String, Value> = HashMap::with_capacity(64);
        b.insert("a".to_owned(), json!("é\"\n"));
        let mut inner = Map::new();
        inner.insert("y".to_owned(), json!(1));
        inner.insert("x".to_owned(), json!([ { "p": 2, "q": 1 } ]));
        b.insert("b".to_owned(), Value::Object(inner));
        assert_eq!(of_map(&a), of_map(&b));
    }

    #[test]
    fn any_difference_changes_the_digest() {
        let base = json!({ "a": [1, "x", null, true, { "k": -1 }], "b": 1.5, "c": "" });
        let variants = [
            json!({ "a": [1, "x", null, true, { "k": -2 }], "b": 1.5, "c": "" }),
            json!({ "a": [1, "x", null, false, { "k": -1 }], "b": 1.5, "c": "" }),
            json!({ "a": [1, "x", { "k": -1 }, null, true], "b": 1.5, "c": "" }),
            json!({ "a": [1, "x", null, true, { "k": -1 }], "b": 1.25, "c": "" }),
            json!({ "a": [1, "x", null, true, { "k": -1 }], "b": 1.5, "c": " " }),
            json!({ "a": [1, "x", null, true, { "k": -1 }], "b": 1.5, "d": "" }),
            json!({ "a": [1, "x", null, true, { "k": -1 }], "b": 1.5 }),
            json!({ "a": [1.0, "x", null, true, { "k": -1 }], "b": 1.5, "c": "" }),
            json!({ "a": ["1", "x", null, true, { "k": -1 }], "b": 1.5, "c": "" }),
            json!({ "a": [[1, "x"], null, true, { "k": -1 }], "b": 1.5, "c": "" }),
            // Lengths keep bytes from sliding between neighbours.
            json!({ "a": [1, "x", null, true, { "k": -1 }], "b": 1.5, "c": "", "": "" }),
        ];
        let digest = of_map(&map(base));
        for variant in variants {
            assert_ne!(of_map(&map(variant.clone())), digest, "{variant}");
        }
        assert_ne!(
            of_map(&map(json!({ "ab": "c" }))),
            of_map(&map(json!({ "a": "bc" })))
        );
        assert_ne!(
            of_map(&map(json!({ "a": u64::MAX }))),
            of_map(&map(json!({ "a": -1 })))
        );
        // Words across the boundaries of their one-, two- and three-byte forms.
        let numbers = [
            0u64,
            1,
            127,
            128,
            255,
            16_383,
            16_384,
            u64::MAX - 1,
            u64::MAX,
        ];
        let lengths = [0usize, 1, 127, 128, 16_383, 16_384];
        let digests: std::collections::HashSet<Shape> = numbers
            .iter()
            .map(|&n| of_map(&map(json!({ "a": n }))))
            .chain(
                lengths
                    .iter()
                    .map(|&n| of_map(&map(json!({ "a": "x".repeat(n) })))),
            )
            .collect();
        assert_eq!(digests.len(), numbers.len() + lengths.len());
    }

    #[test]
    fn words_are_leb128() {
        // Self-delimiting: seven bits a byte, the high bit set on all but the last.
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (word, bytes) in cases {
            let mut encoder = Encoder::new();
            encoder.head(STRING, word);
            assert_eq!(encoder.buffer[0], STRING);
            assert_eq!(&encoder.buffer[1..], bytes, "{word}");
        }
    }

    #[test]
    fn long_strings_hash_the_same_as_they_would_buffered() {
        // Strings past half the buffer go to the hasher directly; the digest must only
        // depend on the content.
        let long = "x".repeat(BUFFER * 3 + 7);
        let a = map(json!({ "s": long.clone(), "t": [long.clone(), 1] }));
        let b = map(json!({ "t": [long.clone(), 1], "s": long.clone() }));
        assert_eq!(of_map(&a), of_map(&b));
        let c = map(json!({ "s": long.clone(), "t": [format!("{long}y"), 1] }));
        assert_ne!(of_map(&a), of_map(&c));
    }
}
