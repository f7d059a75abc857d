//! Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature:
//! v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>` with a `whsec_`-prefixed,
//! base64-encoded secret.
//!
//! Not the `standardwebhooks` crate (1.0.1): it would add a second base64 (0.21) and a
//! second HMAC-SHA-256 implementation (`hmac-sha256`) beside the `hmac`/`sha2` the gateway
//! already uses, and keeps the key in a plain `Vec<u8>`; signing is these few lines, checked
//! against the specification's own test vector below.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

/// A receiver's signing secret, decoded.
pub struct SigningSecret(SecretBox<Vec<u8>>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret([REDACTED])")
    }
}

/// Why a secret is unusable.
#[derive(Debug, thiserror::Error)]
#[error("a webhook secret must be `whsec_` followed by base64 (at least 24 bytes)")]
pub struct BadSecret;

impl SigningSecret {
    /// Parse `whsec_<base64>` (the prefix is optional, as in the reference libraries).
    pub fn parse(text: &str) -> Result<Self, BadSecret> {
        let body = text.trim();
        let body = body.strip_prefix("whsec_").unwrap_or(body);
        let bytes = STANDARD.decode(body).map_err(|_| BadSecret)?;
        if bytes.len() < 24 {
            return Err(BadSecret);
        }
        Ok(SigningSecret(SecretBox::new(Box::new(bytes))))
    }

    /// The `webhook-signature` header value for one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &str) -> Result<String, BadSecret> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret()).map_err(|_| BadSecret)?;
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        Ok(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_specification_example() {
        // The example from the Standard Webhooks specification and its reference libraries.
        let secret =
            SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let sig = secret
            .sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#,
            )
            .expect("sign");
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn junk_secrets_are_refused() {
        assert!(SigningSecret::parse("whsec_!!!").is_err());
        assert!(SigningSecret::parse("whsec_c2hvcnQ=").is_err());
    }
}
