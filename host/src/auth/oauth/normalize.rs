//! Turning a provider's token response into RFC 6749 shape, per the connector's declared
//! quirks (errors with HTTP 200, tokens nested in the body, comma-separated scopes), and
//! keeping a secret-free copy for the connector's metadata extraction.

use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::plugin::TokenResponseShape;

/// A token response after normalisation (its body holds the tokens: no `Debug`).
pub struct Normalized {
    pub status: u16,
    pub body: Vec<u8>,
    /// The original JSON with every token and secret removed (for `connection-metadata`).
    pub public: Option<Value>,
    /// Named further tokens the connector declared (`extra-tokens`).
    pub extra_tokens: Vec<(String, SecretString)>,
    /// Further granted scopes, already prefixed (`extra-scopes`).
    pub extra_scopes: Vec<String>,
}

fn pointer<'a>(body: &'a Value, configured: &Option<String>, default: &str) -> Option<&'a Value> {
    body.pointer(configured.as_deref().unwrap_or(default))
        .filter(|v| !v.is_null())
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Scopes as a provider wrote them (a string with its separator, or an array) → a list.
pub fn split_scopes(v: &Value, separator: &str) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(separator)
            .flat_map(|part| part.split_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "password",
    "secret",
    "assertion",
    // Slack: a webhook URL is a credential (anyone holding it can post).
    "incoming_webhook",
];

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&k.as_str())
        || (k.ends_with("_token") && k != "token_type")
        || k.ends_with("_secret")
        || k.ends_with("_key")
}

/// A copy of `v` without any field that could hold a credential.
pub fn strip_secrets(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, val) in map {
                if !is_secret_key(k) {
                    out.insert(k.clone(), strip_secrets(val));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strip_secrets).collect()),
        other => other.clone(),
    }
}

/// Normalise one token-endpoint response.
pub fn normalize(
    status: u16,
    body: &[u8],
    shape: &TokenResponseShape,
    separator: &str,
) -> Normalized {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Normalized {
            status,
            body: body.to_vec(),
            public: None,
            extra_tokens: Vec::new(),
            extra_scopes: Vec::new(),
        };
    };
    let public = Some(strip_secrets(&json));
    if let Some(error) =
        pointer(&json, &shape.error, "/error").filter(|e| !matches!(e, Value::Bool(false)))
    {
        let code = as_text(error).unwrap_or_else(|| "invalid_request".into());
        let code = shape
            .error_aliases
            .iter()
            .find(|(from, _)| *from == code)
            .map(|(_, to)| to.clone())
            .unwrap_or(code);
        let mut out = json!({ "error": code });
        if let Some(d) = json.get("error_description").and_then(as_text) {
            out["error_description"] = Value::String(d);
        }
        let status = if (200..300).contains(&status) {
            400
        } else {
            status
        };
        return Normalized {
            status,
            body: out.to_string().into_bytes(),
            public,
            extra_tokens: Vec::new(),
            extra_scopes: Vec::new(),
        };
    }
    if !(200..300).contains(&status) {
        return Normalized {
            status,
            body: body.to_vec(),
            public,
            extra_tokens: Vec::new(),
            extra_scopes: Vec::new(),
        };
    }
    let mut out = Map::new();
    let primary = pointer(&json, &shape.access_token, "/access_token").and_then(as_text);
    // A grant of only secondary tokens (Slack with user scopes alone has no bot token): the
    // first of them stands in as the main token. Tools needing the missing grant's scopes are
    // refused by the scope check before any call, so it is never sent where it does not belong.
    let primary = primary.or_else(|| {
        shape
            .extra_tokens
            .iter()
            .find_map(|(_, ptr)| json.pointer(ptr).and_then(as_text))
    });
    if let Some(access) = primary {
        out.insert("access_token".into(), Value::String(access));
    }
    out.insert("token_type".into(), Value::String("Bearer".into()));
    if let Some(refresh) = pointer(&json, &shape.refresh_token, "/refresh_token").and_then(as_text)
    {
        out.insert("refresh_token".into(), Value::String(refresh));
    }
    if let Some(expires) = pointer(&json, &shape.expires_in, "/expires_in")
        .and_then(as_text)
        .and_then(|t| t.parse::<u64>().ok())
    {
        out.insert("expires_in".into(), json!(expires));
    }
    if let Some(scope) = pointer(&json, &shape.scope, "/scope") {
        out.insert(
            "scope".into(),
            Value::String(split_scopes(scope, separator).join(" ")),
        );
    }
    let extra_tokens = shape
        .extra_tokens
        .iter()
        .filter_map(|(name, ptr)| {
            json.pointer(ptr)
                .and_then(as_text)
                .map(|t| (name.clone(), SecretString::from(t)))
        })
        .collect();
    let extra_scopes = shape
        .extra_scopes
        .iter()
        .flat_map(|(prefix, ptr)| {
            json.pointer(ptr)
                .map(|v| split_scopes(v, separator))
                .unwrap_or_default()
                .into_iter()
                .map(move |s| format!("{prefix}{s}"))
        })
        .collect();
    Normalized {
        status,
        body: Value::Object(out).to_string().into_bytes(),
        public,
        extra_tokens,
        extra_scopes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(n: &Normalized) -> Value {
        serde_json::from_slice(&n.body).expect("json")
    }

    #[test]
    fn a_standard_response_passes_through_with_scopes_normalised() {
        let body = br#"{"access_token":"a","token_type":"bearer","expires_in":"3600","refresh_token":"r","scope":"repo,user"}"#;
        let n = normalize(200, body, &TokenResponseShape::default(), ",");
        let v = parse(&n);
        assert_eq!(n.status, 200);
        assert_eq!(v["access_token"], "a");
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3600);
        assert_eq!(v["scope"], "repo user");
        let public = n.public.expect("public copy");
        assert!(public.get("access_token").is_none() && public.get("refresh_token").is_none());
        assert_eq!(public["scope"], "repo,user");
    }

    #[test]
    fn an_error_with_http_200_becomes_a_400() {
        let body = br#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#;
        let n = normalize(200, body, &TokenResponseShape::default(), " ");
        assert_eq!(n.status, 400);
        assert_eq!(parse(&n)["error"], "bad_verification_code");
    }

    #[test]
    fn nested_tokens_are_found_by_pointer_and_stripped_everywhere() {
        let shape = TokenResponseShape {
            access_token: Some("/authed_user/access_token".into()),
            scope: Some("/authed_user/scope".into()),
            error: Some("/error".into()),
            ..Default::default()
        };
        let body = br#"{"ok":true,"access_token":"xoxb","team":{"name":"Acme"},"authed_user":{"id":"U1","access_token":"xoxp","scope":"chat:write,search:read"}}"#;
        let n = normalize(200, body, &shape, ",");
        let v = parse(&n);
        assert_eq!(v["access_token"], "xoxp");
        assert_eq!(v["scope"], "chat:write search:read");
        assert!(n.extra_tokens.is_empty());
        let public = n.public.expect("public").to_string();
        assert!(
            !public.contains("xoxb") && !public.contains("xoxp"),
            "{public}"
        );
        assert!(public.contains("Acme"));
    }

    #[test]
    fn provider_error_codes_map_to_rfc_6749_ones() {
        let shape = TokenResponseShape {
            error_aliases: vec![("bad_refresh_token".into(), "invalid_grant".into())],
            ..Default::default()
        };
        let n = normalize(200, br#"{"error":"bad_refresh_token"}"#, &shape, ",");
        assert_eq!(n.status, 400);
        assert_eq!(parse(&n)["error"], "invalid_grant");
    }

    #[test]
    fn extra_tokens_and_prefixed_scopes_are_collected() {
        let shape = TokenResponseShape {
            extra_tokens: vec![("user".into(), "/authed_user/access_token".into())],
            extra_scopes: vec![("user:".into(), "/authed_user/scope".into())],
            ..Default::default()
        };
        let body = br#"{"ok":true,"access_token":"xoxb","scope":"chat:write","authed_user":{"access_token":"xoxp","scope":"search:read"}}"#;
        let n = normalize(200, body, &shape, ",");
        assert_eq!(parse(&n)["access_token"], "xoxb");
        assert_eq!(n.extra_tokens.len(), 1);
        assert_eq!(n.extra_tokens[0].0, "user");
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&n.extra_tokens[0].1),
            "xoxp"
        );
        assert_eq!(n.extra_scopes, vec!["user:search:read".to_string()]);
    }

    #[test]
    fn a_grant_of_only_extra_tokens_still_has_a_main_token() {
        let shape = TokenResponseShape {
            extra_tokens: vec![("user".into(), "/authed_user/access_token".into())],
            ..Default::default()
        };
        let body = br#"{"ok":true,"authed_user":{"access_token":"xoxp","scope":"search:read"}}"#;
        let n = normalize(200, body, &shape, ",");
        assert_eq!(parse(&n)["access_token"], "xoxp");
        assert_eq!(n.extra_tokens.len(), 1);
    }

    #[test]
    fn slack_style_ok_false_is_an_error() {
        let n = normalize(
            200,
            br#"{"ok":false,"error":"invalid_code"}"#,
            &TokenResponseShape::default(),
            ",",
        );
        assert_eq!(n.status, 400);
        assert_eq!(parse(&n)["error"], "invalid_code");
    }

    #[test]
    fn non_json_is_left_alone() {
        let n = normalize(
            503,
            b"<html>busy</html>",
            &TokenResponseShape::default(),
            " ",
        );
        assert_eq!(n.status, 503);
        assert_eq!(n.body, b"<html>busy</html>");
    }

    #[test]
    fn the_public_copy_drops_every_credential_looking_field() {
        let response = json!({
            "access_token": "a", "token": "t", "bot_refresh_token": "r", "token_type": "bearer",
            "signing_secret": "s", "api_key": "k",
            "incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/x", "channel": "#c"},
            "team": {"id": "T1", "name": "Acme"}, "instance_url": "https://acme.my.salesforce.com",
        });
        let public = strip_secrets(&response);
        assert_eq!(
            public,
            json!({
                "token_type": "bearer",
                "team": {"id": "T1", "name": "Acme"},
                "instance_url": "https://acme.my.salesforce.com",
            })
        );
    }
}
