//! A save's changes applied to the data as it is now, per top-level key: the merge a save
//! makes when another save of the same session came between its load and its write.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::base::{name_of, Diff, Name, Shape, BASE_KEY};
use super::digest::Digest;
use super::payload::object_text;
use crate::error::{Error, Result};

/// The stored data's top-level entries, each value as its JSON text (parsed once per merge).
pub(crate) struct Stored<'t>(BTreeMap<String, &'t RawValue>);

impl<'t> Stored<'t> {
    /// The entries of `fresh`, the stored data's JSON text.
    pub(crate) fn parse(fresh: &'t str) -> Result<Self> {
        serde_json::from_str(fresh)
            .map(Self)
            .map_err(Error::corrupt("data is not a JSON object"))
    }
}

/// The stored data with `diff` applied: each key in `set` takes its value from `set` (JSON
/// text), each removed key goes. Keys neither set nor removed keep the value stored, so
/// what another save wrote to them stays. Keys come out in byte order, values as they were
/// written.
pub(crate) fn apply(stored: &Stored<'_>, diff: &Diff, set: &[(String, String)]) -> Result<String> {
    let mut merged: BTreeMap<&str, &str> = stored
        .0
        .iter()
        // A base some other writer stored is no data either.
        .filter(|(key, _)| key.as_str() != BASE_KEY && !named(&diff.removed, key))
        .map(|(key, value)| (key.as_str(), value.get()))
        .collect();
    for (key, value) in set {
        merged.insert(key, value);
    }
    object_text(merged.into_iter())
}

/// How many of the keys a save changed (`diff`, from `base` to `current`) another writer
/// changed too: keys whose stored value (its digest by `digest_of`) is neither the base's
/// nor the save's own.
pub(crate) fn contested(
    stored: &Stored<'_>,
    base: &Shape,
    current: &Shape,
    diff: &Diff,
    digest_of: impl Fn(&str) -> Result<Digest>,
) -> Result<usize> {
    let mut fresh_of: BTreeMap<Name, Digest> = BTreeMap::new();
    for (key, value) in &stored.0 {
        let name = name_of(key);
        if diff.set.contains(&name) || diff.removed.contains(&name) {
            fresh_of.insert(name, digest_of(value.get())?);
        }
    }
    Ok(diff
        .set
        .iter()
        .chain(&diff.removed)
        .filter(|name| {
            let now = fresh_of.get(*name);
            now != base.value_of(name) && now != current.value_of(name)
        })
        .count())
}

/// Whether `key` is one of `names`.
pub(crate) fn named(names: &[Name], key: &str) -> bool {
    !names.is_empty() && names.contains(&name_of(key))
}

#[cfg(test)]
mod tests {
    use super::super::base::Shape;
    use super::*;

    fn shape(entries: &[(&str, &str)]) -> Shape {
        Shape::of_texts(entries.iter().copied())
    }

    #[test]
    fn keeps_other_keys_applies_own_changes() {
        // Loaded {a:1, b:1, gone:1}; this save set b=2, added c, removed gone.
        let base = shape(&[("a", "1"), ("b", "1"), ("gone", "1")]);
        let now = shape(&[("a", "1"), ("b", "2"), ("c", "[3]")]);
        let diff = base.diff(&now);
        let set = vec![
            ("b".to_owned(), "2".to_owned()),
            ("c".to_owned(), "[3]".to_owned()),
        ];
        // Meanwhile another save set a=9 and added x.
        let fresh = r#"{"a":9,"b":1,"gone":1,"x":{"y":true}}"#;
        assert_eq!(
            apply(&Stored::parse(fresh).unwrap(), &diff, &set).unwrap(),
            r#"{"a":9,"b":2,"c":[3],"x":{"y":true}}"#
        );
    }

    #[test]
    fn contested_keys_are_those_another_writer_set_otherwise() {
        let base = shape(&[("a", "1"), ("b", "1"), ("c", "1")]);
        // This save: a=2, b removed, c=2.
        let now = shape(&[("a", "2"), ("c", "2")]);
        let diff = base.diff(&now);
        let digest = |t: &str| Ok(super::super::digest::digest(t.as_bytes()));
        // Another writer: a=3 (contested), b removed too (not), c=2 too (not), d added.
        let fresh = r#"{"a":3,"c":2,"d":1}"#;
        assert_eq!(
            contested(&Stored::parse(fresh).unwrap(), &base, &now, &diff, digest).unwrap(),
            1
        );
        // Another writer changed b, which this save removed: contested.
        let fresh = r#"{"a":1,"b":5,"c":1}"#;
        assert_eq!(
            contested(&Stored::parse(fresh).unwrap(), &base, &now, &diff, digest).unwrap(),
            1
        );
        assert_eq!(
            contested(
                &Stored::parse(r#"{"a":1,"b":1,"c":1,"x":0}"#).unwrap(),
                &base,
                &now,
                &diff,
                digest
            )
            .unwrap(),
            0
        );
    }

    #[test]
    fn a_non_object_row_is_corrupt() {
        let err = Stored::parse("[1]").err().unwrap();
        assert!(matches!(err, Error::CorruptRow { .. }), "{err:?}");
    }
}
