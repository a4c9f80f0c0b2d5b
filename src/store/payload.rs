//! Session data on its way to the database: JSON text written once, and, where a front end
//! needs to tell a changed session from an unchanged one, a digest of its canonical form.

use std::borrow::Cow;

use serde::ser::Serialize;
#[cfg(feature = "tower-sessions")]
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// A 128-bit BLAKE3 digest of a session's canonical JSON text.
pub(crate) type Digest = [u8; 16];

/// The first 16 bytes of the BLAKE3 hash of `bytes`.
pub(crate) fn digest(bytes: &[u8]) -> Digest {
    let hash = blake3::hash(bytes);
    let mut out = [0; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    out
}

/// Session data serialized for a write.
pub(crate) struct Payload<'a> {
    /// The JSON text stored in the data column.
    pub text: String,
    /// The data as a `Value`, when the caller already has one (for the custom-columns hook).
    pub value: Option<&'a Value>,
    /// Digest of `text`, when `text` is canonical and the caller wants change detection.
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    pub digest: Option<Digest>,
}

impl<'a> Payload<'a> {
    /// Plain JSON text, without change detection.
    pub(crate) fn text(text: String) -> Self {
        Self {
            text,
            value: None,
            digest: None,
        }
    }

    /// `value` serialized as it is (the core `set` API).
    pub(crate) fn value(value: &'a Value) -> Result<Self> {
        let text = serde_json::to_string(value).map_err(Error::serialize)?;
        Ok(Self {
            text,
            value: Some(value),
            digest: None,
        })
    }

    /// Any serializable data, as it serializes.
    pub(crate) fn serialize<T: Serialize + ?Sized>(data: &T) -> Result<Self> {
        Ok(Self::text(
            serde_json::to_string(data).map_err(Error::serialize)?,
        ))
    }

    #[cfg(feature = "tower-sessions")]
    /// A map of JSON values written in canonical form (object keys sorted at every depth,
    /// whatever the map's iteration order or serde_json's `preserve_order`), with its
    /// digest: two maps with the same content give the same text and the same digest.
    pub(crate) fn canonical<'m, I>(entries: I) -> Result<Self>
    where
        I: IntoIterator<Item = (&'m String, &'m Value)>,
    {
        let text = serde_json::to_string(&SortedMap::new(entries)).map_err(Error::serialize)?;
        Ok(Self {
            digest: Some(digest(text.as_bytes())),
            text,
            value: None,
        })
    }

    /// The digest [`canonical`](Self::canonical) would give for these entries, without
    /// building the text: the canonical JSON is streamed into the hash.
    #[cfg(feature = "tower-sessions")]
    pub(crate) fn canonical_digest<'m, I>(entries: I) -> Result<Digest>
    where
        I: IntoIterator<Item = (&'m String, &'m Value)>,
    {
        use std::io::Write;
        let mut hasher = blake3::Hasher::new();
        {
            let mut sink = std::io::BufWriter::with_capacity(64 * 1024, &mut hasher);
            serde_json::to_writer(&mut sink, &SortedMap::new(entries)).map_err(Error::serialize)?;
            sink.flush()
                .map_err(|e| Error::serialize(serde_json::Error::io(e)))?;
        }
        let mut out = [0; 16];
        out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        Ok(out)
    }

    /// The data as a `Value`, for the custom-columns hook: borrowed when the caller had
    /// one, else parsed from the text (only ever called when a hook is configured).
    pub(crate) fn parsed(&self) -> Result<Cow<'_, Value>> {
        match self.value {
            Some(v) => Ok(Cow::Borrowed(v)),
            None => serde_json::from_str(&self.text)
                .map(Cow::Owned)
                .map_err(Error::serialize),
        }
    }
}

/// Serializes map entries with their keys in byte order.
#[cfg(feature = "tower-sessions")]
struct SortedMap<'m>(Vec<(&'m str, &'m Value)>);

#[cfg(feature = "tower-sessions")]
impl<'m> SortedMap<'m> {
    fn new<I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (&'m String, &'m Value)>,
    {
        let mut entries: Vec<(&str, &Value)> =
            entries.into_iter().map(|(k, v)| (k.as_str(), v)).collect();
        // A `BTreeMap`-backed `serde_json::Map` is sorted already: check before sorting.
        if !entries.is_sorted_by(|a, b| a.0 <= b.0) {
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        }
        Self(entries)
    }
}

#[cfg(feature = "tower-sessions")]
impl Serialize for SortedMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, &Canonical(value))?;
        }
        map.end()
    }
}

/// A `Value` serialized with sorted object keys at every depth.
#[cfg(feature = "tower-sessions")]
struct Canonical<'v>(&'v Value);

#[cfg(feature = "tower-sessions")]
impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => SortedMap::new(map).serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Canonical)),
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(all(test, feature = "tower-sessions"))]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    #[test]
    fn canonical_text_ignores_map_order_at_every_depth() {
        let a: HashMap<String, Value> = [
            (
                "b".to_owned(),
                json!({ "y": 1, "x": [ { "q": 1, "p": 2 } ] }),
            ),
            ("a".to_owned(), json!("é\"\n")),
        ]
        .into_iter()
        .collect();
        let mut b: HashMap<String, Value> = HashMap::with_capacity(64);
        b.insert("a".to_owned(), json!("é\"\n"));
        b.insert(
            "b".to_owned(),
            json!({ "x": [ { "p": 2, "q": 1 } ], "y": 1 }),
        );
        let (pa, pb) = (
            Payload::canonical(&a).unwrap(),
            Payload::canonical(&b).unwrap(),
        );
        assert_eq!(pa.text, r#"{"a":"é\"\n","b":{"x":[{"p":2,"q":1}],"y":1}}"#);
        assert_eq!(pa.text, pb.text);
        assert_eq!(pa.digest, pb.digest);
        assert_eq!(pa.digest, Some(Payload::canonical_digest(&b).unwrap()));

        b.insert("a".to_owned(), json!("e"));
        assert_ne!(Payload::canonical(&b).unwrap().digest, pa.digest);
    }
}
