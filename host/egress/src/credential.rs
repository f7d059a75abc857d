//! What the host attaches to an outgoing request, and the placement checks that keep a
//! manifest from aiming the secret at a dangerous header.

use std::fmt;

use reqwest::header::HeaderName;
use secrecy::SecretString;

use super::error::PlacementError;
use super::headers::{is_forbidden, shown};

/// A secret from the vault and where it goes (the WIT `placement`, with the secret).
pub enum Credential {
    /// `Authorization: Bearer <secret>`.
    Bearer(SecretString),
    /// `<name>: <prefix><secret>`.
    Header {
        /// Header name; checked by [`check_header_placement`].
        name: String,
        /// Text before the secret (`"Token "`, or empty).
        prefix: String,
        /// The secret.
        secret: SecretString,
    },
    /// `?<name>=<url-encoded secret>` appended to the query.
    Query {
        /// Query parameter name; checked by [`check_query_placement`].
        name: String,
        /// The secret.
        secret: SecretString,
    },
    /// `Authorization: Basic base64(<username>:<password>)`.
    Basic {
        /// Not treated as a secret for redaction (it is often the user's e-mail), but
        /// kept out of Debug output because some APIs put a key there.
        username: String,
        /// The secret.
        password: SecretString,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Credential::Bearer([REDACTED])"),
            Self::Header { name, prefix, .. } => f
                .debug_struct("Credential::Header")
                .field("name", name)
                .field("prefix", prefix)
                .field("secret", &"[REDACTED]")
                .finish(),
            Self::Query { name, .. } => f
                .debug_struct("Credential::Query")
                .field("name", name)
                .field("secret", &"[REDACTED]")
                .finish(),
            Self::Basic { .. } => f
                .debug_struct("Credential::Basic")
                .field("username", &"[hidden]")
                .field("password", &"[REDACTED]")
                .finish(),
        }
    }
}

impl Credential {
    /// Checks the placement (not the secret); `send` refuses a credential that fails this.
    pub fn check_placement(&self) -> Result<(), PlacementError> {
        match self {
            Self::Bearer(_) => Ok(()),
            Self::Header { name, prefix, .. } => check_header_placement(name, prefix),
            Self::Query { name, .. } => check_query_placement(name),
            Self::Basic { username, .. } => {
                if username.contains(':') {
                    return Err(PlacementError("a Basic username cannot contain ':'".into()));
                }
                Ok(())
            }
        }
    }

    /// The header this credential occupies, if any (lower-case).
    pub(super) fn header_name(&self) -> Option<HeaderName> {
        match self {
            Self::Bearer(_) | Self::Basic { .. } => Some(reqwest::header::AUTHORIZATION),
            Self::Header { name, .. } => HeaderName::from_bytes(name.as_bytes()).ok(),
            Self::Query { .. } => None,
        }
    }

    /// The query parameter this credential occupies, if any.
    pub(super) fn query_name(&self) -> Option<&str> {
        match self {
            Self::Query { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// Headers a secret must never be placed in, beyond the ones a plugin may not set.
const DANGEROUS_TARGETS: &[&str] = &["cookie", "cookie2", "set-cookie", "set-cookie2", "location"];

/// Validates a `header(name, prefix)` placement; the host calls this at manifest load.
pub fn check_header_placement(name: &str, prefix: &str) -> Result<(), PlacementError> {
    let header = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| PlacementError(format!("{} is not a valid header name", shown(name))))?;
    let n = header.as_str();
    if is_forbidden(&header) || DANGEROUS_TARGETS.contains(&n) || n.starts_with("content-") {
        return Err(PlacementError(format!(
            "a secret cannot be placed in header {}",
            shown(name)
        )));
    }
    if prefix.len() > 256 || prefix.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(PlacementError(
            "the prefix must be at most 256 bytes without control characters".into(),
        ));
    }
    Ok(())
}

/// Validates a `query(name)` placement; the host calls this at manifest load.
pub fn check_query_placement(name: &str) -> Result<(), PlacementError> {
    if name.is_empty() || name.len() > 256 || name.chars().any(|c| c.is_control()) {
        return Err(PlacementError(
            "a query parameter name must be 1 to 256 bytes without control characters".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sk_live_TOPSECRET";

    fn all() -> Vec<Credential> {
        vec![
            Credential::Bearer(SECRET.into()),
            Credential::Header {
                name: "X-Api-Key".into(),
                prefix: "Token ".into(),
                secret: SECRET.into(),
            },
            Credential::Query {
                name: "api_key".into(),
                secret: SECRET.into(),
            },
            Credential::Basic {
                username: "sk_user_TOPSECRET".into(),
                password: SECRET.into(),
            },
        ]
    }

    #[test]
    fn debug_never_prints_secrets() {
        for c in all() {
            let shown = format!("{c:?} {c:#?}");
            assert!(!shown.contains("TOPSECRET"), "{shown}");
            assert!(shown.contains("[REDACTED]"));
        }
    }

    #[test]
    fn header_placement_refuses_dangerous_names() {
        for name in [
            "Host",
            "Cookie",
            "Set-Cookie",
            "Content-Type",
            "Content-Length",
            "Transfer-Encoding",
            "Connection",
            "Proxy-Authorization",
            "Location",
            "X Bad",
            "X-Bad\r\n",
            "",
        ] {
            assert!(check_header_placement(name, "").is_err(), "{name:?}");
        }
        assert!(check_header_placement("Authorization", "").is_ok());
        assert!(check_header_placement("X-Api-Key", "Token ").is_ok());
        assert!(check_header_placement("X-Api-Key", "a\r\nb").is_err());
    }

    #[test]
    fn query_and_basic_placements_are_checked() {
        assert!(check_query_placement("api_key").is_ok());
        assert!(check_query_placement("").is_err());
        assert!(check_query_placement("a\nb").is_err());
        let basic = Credential::Basic {
            username: "a:b".into(),
            password: SECRET.into(),
        };
        assert!(basic.check_placement().is_err());
        for c in all() {
            assert!(c.check_placement().is_ok(), "{c:?}");
        }
    }
}
