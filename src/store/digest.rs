//! The one digest of the store: 128 bits of BLAKE3, for session ids (the keys of what an
//! instance remembers), data texts and data contents.

/// A 128-bit (truncated) BLAKE3 digest: of a data text, of a data content (see
/// `fingerprint`), or of a session id (the key of a remembered session).
pub(crate) type Digest = [u8; 16];

/// The first 16 bytes of the BLAKE3 hash of `bytes`.
pub(crate) fn digest(bytes: &[u8]) -> Digest {
    truncated(&blake3::hash(bytes))
}

/// The first 16 bytes of a BLAKE3 hash.
pub(crate) fn truncated(hash: &blake3::Hash) -> Digest {
    let mut out = [0; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    out
}
