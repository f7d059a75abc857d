//! Canned API answers of the generic app, matched by method, host and path.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One canned answer.
///
/// JSON (`POST /_fake/generic/responses`): `{"method": "GET", "host": "api.acme.test",
/// "path": "/v1/items/*", "status": 200, "body": {...}, "headers": {"x-a": "b"},
/// "scopes": ["items:read"], "public": false}`; only `path` is required. `*` in `path`
/// matches one segment, a final `**` the rest; `method` and `host` match anything when absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canned {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    pub path: String,
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default = "empty_object")]
    pub body: Value,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Scopes an access token's grant must hold (API keys carry no scopes).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Answered without any credential.
    #[serde(default)]
    pub public: bool,
}

fn ok() -> u16 {
    200
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl Canned {
    /// A `200` answer with `body` for any method on `path`.
    pub fn new(path: &str, body: Value) -> Self {
        Canned {
            method: None,
            host: None,
            path: path.to_owned(),
            status: 200,
            body,
            headers: BTreeMap::new(),
            scopes: Vec::new(),
            public: false,
        }
    }

    /// Whether this answers `method` on `host` at `path` (query excluded).
    pub fn matches(&self, method: &str, host: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .host
                .as_deref()
                .is_none_or(|h| h.eq_ignore_ascii_case(host))
            && path_matches(&self.path, path)
    }
}

/// `*` matches one segment, a final `**` any rest (even none).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (Some("**"), _) => return true,
            (Some(w), Some(g)) if w == "*" || w == g => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns() {
        assert!(path_matches("/v1/items", "/v1/items"));
        assert!(path_matches("/v1/items/", "/v1/items"));
        assert!(path_matches("/v1/items/*", "/v1/items/42"));
        assert!(!path_matches("/v1/items/*", "/v1/items/42/x"));
        assert!(path_matches("/v1/**", "/v1/items/42/x"));
        assert!(path_matches("/v1/**", "/v1"));
        assert!(!path_matches("/v1/items", "/v1/other"));
        assert!(path_matches("/", "/"));
    }

    #[test]
    fn matching_and_json() {
        let c: Canned = serde_json::from_value(
            json!({"method": "post", "host": "api.acme.test", "path": "/items"}),
        )
        .unwrap();
        assert_eq!(c.status, 200);
        assert_eq!(c.body, json!({}));
        assert!(c.matches("POST", "API.acme.test", "/items"));
        assert!(!c.matches("GET", "api.acme.test", "/items"));
        assert!(!c.matches("POST", "other.test", "/items"));
        assert!(serde_json::from_value::<Canned>(json!({"path": "/", "bogus": 1})).is_err());
    }
}
