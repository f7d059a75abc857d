//! Opaque identifiers for stored records: a readable prefix plus 128 random bits.

use rand::RngCore;

/// A fresh identifier such as `conn_5f0c…`; the prefix says what kind of record it names.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// Whether `s` could be an identifier made by [`new_id`] with this prefix (cheap input check).
pub fn looks_like(prefix: &str, s: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_recognisable() {
        let a = new_id("conn");
        let b = new_id("conn");
        assert_ne!(a, b);
        assert!(looks_like("conn", &a));
        assert!(!looks_like("key", &a));
        assert!(!looks_like("conn", "conn_../../etc"));
    }
}
