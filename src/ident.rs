//! Validation of SQL identifiers (table, schema and column names).
//!
//! Names are checked once, when the store is built, and then quoted by the dialect
//! everywhere they appear, so a name can never change the meaning of a statement.

use crate::error::{Error, Result};

/// Longest table, schema or column name accepted, in bytes.
///
/// PostgreSQL truncates identifiers at 63 bytes and MySQL refuses more than 64;
/// the store also derives an index name from the table name, which must fit.
pub const MAX_IDENTIFIER_LEN: usize = max_identifier_len!();

/// The one place the limit is written: a macro, so that messages can spell it with `concat!`.
macro_rules! max_identifier_len {
    () => {
        48
    };
}
use max_identifier_len;

/// A validated identifier: 1 to [`MAX_IDENTIFIER_LEN`] ASCII letters, digits or
/// underscores, not starting with a digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident(String);

impl Ident {
    pub(crate) fn new(kind: &'static str, name: &str) -> Result<Self> {
        let refuse = |reason| {
            Err(Error::InvalidIdentifier {
                kind,
                name: name.to_owned(),
                reason,
            })
        };
        let Some(first) = name.chars().next() else {
            return refuse("it is empty");
        };
        if name.len() > MAX_IDENTIFIER_LEN {
            return refuse(concat!(
                "it is longer than ",
                max_identifier_len!(),
                " bytes"
            ));
        }
        if first.is_ascii_digit() {
            return refuse("it starts with a digit");
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return refuse("only ASCII letters, digits and '_' are allowed");
        }
        Ok(Self(name.to_owned()))
    }

    /// A name known to be valid (a literal in this crate), without re-checking it.
    pub(crate) fn trusted(name: &'static str) -> Self {
        debug_assert!(Self::new("name", name).is_ok());
        Self(name.to_owned())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for ok in [
            "sessions",
            "_s",
            "Sessions_2",
            &"a".repeat(MAX_IDENTIFIER_LEN),
        ] {
            assert_eq!(Ident::new("table name", ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_hostile_names() {
        let too_long = "a".repeat(MAX_IDENTIFIER_LEN + 1);
        for bad in [
            "",
            "x; drop table y",
            "a\"b",
            "a`b",
            "a'b",
            "1abc",
            "sch.tbl",
            "sp ace",
            "é",
            &too_long,
        ] {
            let err = Ident::new("table name", bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidIdentifier { kind: "table name", ref name, .. } if name == bad),
                "{bad:?} gave {err:?}"
            );
        }
    }
}
