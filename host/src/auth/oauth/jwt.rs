//! RS256 JWT assertions for RFC 7523 service accounts, signed by the host with the stored
//! private key (ring, already the TLS provider; the `rsa` crate is avoided for its timing
//! advisory). The key never enters the sandbox.
//!
//! Not `jsonwebtoken`: its current releases (10–12) sign RSA only with `aws-lc-rs` (a second,
//! C-built crypto stack beside ring) or `rust_crypto` (the `rsa` crate, RUSTSEC-2023-0071); the
//! last ring-based line (9.x) is no longer the maintained one. One RS256 signature over two
//! JSON objects is what this file does.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Why an assertion could not be made.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("the service account key is not a PKCS#8 PEM private key")]
    BadPem,
    #[error("the service account key is not a usable RSA key")]
    BadKey,
    #[error("signing failed")]
    Sign,
}

/// Longest assertion lifetime RFC 7523 servers accept (Google: 1 hour).
pub const MAX_LIFETIME_SECS: i64 = 3600;

/// The claims of one assertion.
#[derive(Debug, Clone)]
pub struct Claims {
    pub issuer: String,
    pub audience: String,
    pub scope: String,
    pub subject: Option<String>,
    pub issued_at: i64,
}

/// Check a PEM key without signing anything (for input validation).
pub fn check_key(pem: &SecretString) -> Result<(), JwtError> {
    key_pair(pem).map(|_| ())
}

fn key_pair(pem: &SecretString) -> Result<RsaKeyPair, JwtError> {
    let der = PrivatePkcs8KeyDer::from_pem_slice(pem.expose_secret().as_bytes())
        .map_err(|_| JwtError::BadPem)?;
    RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).map_err(|_| JwtError::BadKey)
}

/// A signed RS256 assertion valid for [`MAX_LIFETIME_SECS`].
pub fn assertion(pem: &SecretString, claims: &Claims) -> Result<SecretString, JwtError> {
    let key = key_pair(pem)?;
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let mut body = json!({
        "iss": claims.issuer,
        "aud": claims.audience,
        "scope": claims.scope,
        "iat": claims.issued_at,
        "exp": claims.issued_at + MAX_LIFETIME_SECS,
    });
    if let Some(sub) = &claims.subject {
        body["sub"] = json!(sub);
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(body.to_string())
    );
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| JwtError::Sign)?;
    Ok(SecretString::from(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_keys_are_refused() {
        assert!(matches!(
            check_key(&SecretString::from("nope")),
            Err(JwtError::BadPem)
        ));
        let not_rsa = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIGlv1ry0Z6Wl2mk3j1WQ0k6FYqXWrcG0mvQv1Ywq6Mkq\n-----END PRIVATE KEY-----\n";
        assert!(check_key(&SecretString::from(not_rsa)).is_err());
    }
}
