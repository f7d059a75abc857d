//! RS256 JSON Web Tokens (RFC 7515/7519), as much as RFC 7523 assertions need: split and
//! decode, verify against a PEM public key, and sign (for tests that play the client).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{PrivateKey, PublicKey};
use serde_json::{Value, json};

/// Why a JWT or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a JWS compact serialization (three base64url parts)")]
    Malformed,
    #[error("the JOSE header or the claims are not a JSON object")]
    NotJson,
    #[error("unsupported alg `{0}`: only RS256 is accepted")]
    Algorithm(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the key is not an RSA key in PEM (SPKI, PKCS#1 or PKCS#8)")]
    BadKey,
}

/// A decoded, not yet verified, JWT.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Value,
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

/// Splits and decodes a compact JWS; the signature is not checked yet.
pub fn decode(token: &str) -> Result<Jwt, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let json_part = |part: &str| -> Result<Value, JwtError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed)?;
        match serde_json::from_slice(&bytes) {
            Ok(value @ Value::Object(_)) => Ok(value),
            _ => Err(JwtError::NotJson),
        }
    };
    Ok(Jwt {
        header: json_part(header)?,
        claims: json_part(claims)?,
        signing_input: format!("{header}.{claims}"),
        signature: URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?,
    })
}

impl Jwt {
    /// Checks `alg` is RS256 and the signature verifies with `public_key_pem`.
    pub fn verify_rs256(&self, public_key_pem: &str) -> Result<(), JwtError> {
        match self.header["alg"].as_str() {
            Some("RS256") => {}
            other => return Err(JwtError::Algorithm(other.unwrap_or("").to_owned())),
        }
        let key = VerifyingKey::<Sha256>::new(public_key(public_key_pem)?);
        let signature =
            Signature::try_from(self.signature.as_slice()).map_err(|_| JwtError::BadSignature)?;
        key.verify(self.signing_input.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)
    }
}

/// An RSA public key from SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
pub fn public_key(pem: &str) -> Result<PublicKey, JwtError> {
    let pem = pem.trim();
    PublicKey::from_public_key_pem(pem)
        .or_else(|_| PublicKey::from_pkcs1_pem(pem))
        .map_err(|_| JwtError::BadKey)
}

/// Signs `claims` as an RS256 JWT with a PKCS#8 or PKCS#1 PEM private key (header
/// `{"alg":"RS256","typ":"JWT"}`, plus `kid` when given).
pub fn sign_rs256(
    private_key_pem: &str,
    kid: Option<&str>,
    claims: &Value,
) -> Result<String, JwtError> {
    let pem = private_key_pem.trim();
    let key = PrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| PrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| JwtError::BadKey)?;
    let mut header = json!({ "alg": "RS256", "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key)
        .try_sign(signing_input.as_bytes())
        .map_err(|_| JwtError::BadKey)?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_vec())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys;

    #[test]
    fn round_trip_and_tampering() {
        let claims = json!({ "iss": "a@b", "scope": "s" });
        let token = sign_rs256(keys::SERVICE_ACCOUNT_PRIVATE_KEY, Some("k1"), &claims).unwrap();
        let jwt = decode(&token).unwrap();
        assert_eq!(jwt.claims, claims);
        assert_eq!(jwt.header["kid"], "k1");
        assert_eq!(jwt.verify_rs256(keys::SERVICE_ACCOUNT_PUBLIC_KEY), Ok(()));
        assert_eq!(
            jwt.verify_rs256(keys::OTHER_PUBLIC_KEY),
            Err(JwtError::BadSignature)
        );

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({ "iss": "evil" }).to_string());
        parts[1] = &forged;
        let tampered = decode(&parts.join(".")).unwrap();
        assert_eq!(
            tampered.verify_rs256(keys::SERVICE_ACCOUNT_PUBLIC_KEY),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn refuses_other_algorithms_and_garbage() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"iss":"a"}"#)
        );
        let jwt = decode(&none).unwrap();
        assert_eq!(
            jwt.verify_rs256(keys::SERVICE_ACCOUNT_PUBLIC_KEY),
            Err(JwtError::Algorithm("none".into()))
        );
        assert_eq!(decode("a.b").err(), Some(JwtError::Malformed));
        assert_eq!(decode("a.b.c.d").err(), Some(JwtError::Malformed));
        assert_eq!(decode("!!.!!.!!").err(), Some(JwtError::Malformed));
        let not_object = format!("{0}.{0}.", URL_SAFE_NO_PAD.encode("[1]"));
        assert_eq!(decode(&not_object).err(), Some(JwtError::NotJson));
        assert!(public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
        assert!(sign_rs256("nope", None, &json!({})).is_err());
    }
}
