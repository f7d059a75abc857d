//! PKCE (RFC 7636), S256 only: `plain` is refused at the authorize endpoint.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Whether `challenge` looks like an S256 challenge: 43 base64url characters.
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(is_base64url)
}

/// Whether `verifier` is 43 to 128 unreserved characters (RFC 7636 §4.1).
pub fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(verifier))`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well-formed and hashes to `challenge`.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    is_verifier(verifier) && s256(verifier) == challenge
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned();
        assert_eq!(s256(verifier), challenge);
        assert!(is_s256_challenge(&challenge));
        assert!(verifies(verifier, &challenge));
        assert!(!verifies("short", &challenge));
        assert!(!verifies(&"a".repeat(43), &challenge));
        assert!(!is_s256_challenge("plain-text-challenge"));
    }
}
