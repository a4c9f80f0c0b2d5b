//! Session data on its way to the database: JSON text written once, and, where a front end
//! needs to tell a changed session from an unchanged one (tower-sessions), what the store
//! remembers of it: digests of the text written and of the data's content.

use std::borrow::Cow;

use serde::ser::Serialize;
#[cfg(feature = "tower-sessions")]
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
#[cfg(feature = "tower-sessions")]
use std::collections::HashMap;

#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
use super::base::Shape;
use super::base::BASE_KEY;
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
use super::digest::digest;
use super::seen::SeenData;
use crate::error::{Error, Result};

/// Session data serialized for a write.
pub(crate) struct Payload<'a> {
    /// The JSON text stored in the data column.
    pub text: String,
    /// The data as a `Value`, when the caller already has one (for the custom-columns hook).
    pub value: Option<&'a Value>,
    /// What the store remembers of this data once written, when the front end compares
    /// data to tell a change (tower-sessions).
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    pub tracked: Option<SeenData>,
}

impl<'a> Payload<'a> {
    /// Plain JSON text, without change detection.
    pub(crate) fn text(text: String) -> Self {
        Self {
            text,
            value: None,
            tracked: None,
        }
    }

    /// `value` serialized as it is (the core `set` API), but for a base a front end put
    /// into a loaded session's data (a record's data passed back to `set`), which is never
    /// stored.
    pub(crate) fn value(value: &'a Value) -> Result<Self> {
        if let Some(map) = value.as_object().filter(|m| m.contains_key(BASE_KEY)) {
            let mut map = map.clone();
            map.remove(BASE_KEY);
            let text = serde_json::to_string(&map).map_err(Error::serialize)?;
            return Ok(Self::text(text));
        }
        let text = serde_json::to_string(value).map_err(Error::serialize)?;
        Ok(Self {
            text,
            value: Some(value),
            tracked: None,
        })
    }

    /// Any serializable data, as it serializes.
    pub(crate) fn serialize<T: Serialize + ?Sized>(data: &T) -> Result<Self> {
        Ok(Self::text(
            serde_json::to_string(data).map_err(Error::serialize)?,
        ))
    }

    /// A tower-sessions data map written in canonical form (object keys sorted at every
    /// depth, whatever the map's iteration order or serde_json's `preserve_order`; the base
    /// key left out), with what the store remembers of it: the digest of that text and
    /// `shape`, the map's [content](super::fingerprint::of_map).
    #[cfg(feature = "tower-sessions")]
    pub(crate) fn canonical(data: &HashMap<String, Value>, shape: Shape) -> Result<Self> {
        let entries = data.iter().filter(|(key, _)| key.as_str() != BASE_KEY);
        let text = serde_json::to_string(&SortedMap::new(entries)).map_err(Error::serialize)?;
        Ok(Self::tracked(text, shape))
    }

    /// `text`, with what the store remembers of it once written: its digest and `shape`.
    #[cfg(any(feature = "tower-sessions", feature = "async-session"))]
    pub(crate) fn tracked(text: String, shape: Shape) -> Self {
        Self {
            tracked: Some(SeenData {
                text: digest(text.as_bytes()),
                shape,
            }),
            text,
            value: None,
        }
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

/// A JSON text without the whitespace JSON allows around it.
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
pub(crate) fn trim_json(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r'])
}

/// A JSON object's text from its entries, given in key order, each value as JSON text.
#[cfg(any(feature = "tower-sessions", feature = "async-session"))]
pub(crate) fn object_text<'e>(
    entries: impl ExactSizeIterator<Item = (&'e str, &'e str)>,
) -> Result<String> {
    let mut text = String::with_capacity(2 + entries.len() * 16);
    text.push('{');
    for (i, (key, raw)) in entries.enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(key).map_err(Error::serialize)?);
        text.push(':');
        text.push_str(raw);
    }
    text.push('}');
    Ok(text)
}

/// A value's canonical JSON text (object keys sorted at every depth), as the tower-sessions
/// front end writes it.
#[cfg(feature = "tower-sessions")]
pub(crate) fn canonical_text(value: &Value) -> Result<String> {
    serde_json::to_string(&Canonical(value)).map_err(Error::serialize)
}

/// Whether `serde_json::Map` iterates in key order in this build: it does unless
/// `preserve_order` is on, which any crate in the build can switch on.
#[cfg(feature = "tower-sessions")]
pub(crate) fn maps_are_sorted() -> bool {
    static SORTED: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        let mut map = serde_json::Map::new();
        map.insert("b".to_owned(), Value::Null);
        map.insert("a".to_owned(), Value::Null);
        map.keys().next().is_some_and(|k| k == "a")
    });
    *SORTED
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
        Self(sorted_entries(entries))
    }
}

/// Map entries in byte order of their keys (a `BTreeMap`-backed `serde_json::Map` is in
/// that order already: checked before sorting).
#[cfg(feature = "tower-sessions")]
pub(crate) fn sorted_entries<'m, I>(entries: I) -> Vec<(&'m str, &'m Value)>
where
    I: IntoIterator<Item = (&'m String, &'m Value)>,
{
    let mut entries: Vec<(&str, &Value)> =
        entries.into_iter().map(|(k, v)| (k.as_str(), v)).collect();
    if !entries.is_sorted_by(|a, b| a.0 <= b.0) {
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }
    entries
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
            // Every map in the tree iterates in key order: the value is canonical as it is.
            value if maps_are_sorted() => value.serialize(serializer),
            Value::Object(map) => SortedMap::new(map).serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Canonical)),
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(all(test, feature = "tower-sessions"))]
mod tests {
    use super::super::fingerprint;
    use super::*;
    use serde_json::json;

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
        let content = fingerprint::of_map(&a);
        assert_eq!(content, fingerprint::of_map(&b));
        let (pa, pb) = (
            Payload::canonical(&a, content.clone()).unwrap(),
            Payload::canonical(&b, content).unwrap(),
        );
        assert_eq!(pa.text, r#"{"a":"é\"\n","b":{"x":[{"p":2,"q":1}],"y":1}}"#);
        assert_eq!(pa.text, pb.text);
        let text_digest = |p: &Payload<'_>| p.tracked.as_ref().map(|t| t.text);
        assert_eq!(text_digest(&pa), text_digest(&pb));
        assert_eq!(text_digest(&pa), Some(digest(pa.text.as_bytes())));

        b.insert("a".to_owned(), json!("e"));
        let pc = Payload::canonical(&b, fingerprint::of_map(&b)).unwrap();
        assert_ne!(pc.text, pa.text);
        assert_ne!(text_digest(&pc), text_digest(&pa));
        assert_ne!(pc.tracked.map(|t| t.shape), pa.tracked.map(|t| t.shape));
        // The base key is never written.
        b.insert(BASE_KEY.to_owned(), json!("1.0000000000000000."));
        let pd = Payload::canonical(&b, fingerprint::of_map(&b)).unwrap();
        assert_eq!(pd.text, pc.text);
    }
}
