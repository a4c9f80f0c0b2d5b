//! The one definition of how sealed (encrypted) data begins: `crypt` writes it, `at_rest`
//! tells sealed data from plain data by it.

/// How sealed data begins, inside its JSON string quotes: the format (AES-256-GCM) and its
/// version.
pub(crate) const SEALED_PREFIX: &str = "$gcm1$";
