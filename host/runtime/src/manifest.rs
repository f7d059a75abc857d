//! Manifest validation: a connector's self-description is untrusted input.

use std::collections::HashSet;

use super::types::{AuthScheme, Manifest, Placement};
use latchkey_egress::{check_header_placement, check_query_placement};

const MAX_TOOLS: usize = 256;
const MAX_TEXT: usize = 4 << 10;
const MAX_INSTRUCTIONS: usize = 64 << 10;
const MAX_SCHEMA: usize = 64 << 10;

/// The naming rules, shared with the SDK (which checks them in a connector's own tests).
pub use latchkey_contract::{valid_connector_id, valid_tool_name};

fn valid_scope(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_placement(p: &Placement) -> Result<(), String> {
    match p {
        Placement::Bearer | Placement::Basic => Ok(()),
        Placement::Header { name, prefix } => {
            check_header_placement(name, prefix).map_err(|e| e.to_string())
        }
        Placement::Query { name } => check_query_placement(name).map_err(|e| e.to_string()),
    }
}

/// Where a connector writes its OAuth URLs relative to the deployment's base URL (set by the
/// operator): `{base}/oauth/authorize`. Only at the start, and only in OAuth URLs.
const BASE: &str = "{base}";

fn check_url(what: &str, raw: &str) -> Result<(), String> {
    // A per-deployment URL is checked as it would be under a base URL with no path.
    let concrete = match raw.strip_prefix(BASE) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("https://deployment.invalid{rest}")
        }
        _ => raw.to_string(),
    };
    let url =
        url::Url::parse(&concrete).map_err(|e| format!("{what} {raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http")
        || url.host_str().is_none()
        || !url.username().is_empty()
    {
        return Err(format!(
            "{what} {raw:?} must be an http(s) URL without credentials"
        ));
    }
    Ok(())
}

fn check_auth(scheme: &AuthScheme) -> Result<(), String> {
    match scheme {
        AuthScheme::Oauth2(o) => {
            check_url("authorize-url", &o.authorize_url)?;
            check_url("token-url", &o.token_url)?;
            if let Some(r) = &o.revoke_url {
                check_url("revoke-url", r)?;
            }
            if let Some(i) = &o.issuer {
                check_url("issuer", i)?;
            }
            if let Some(bad) = o.default_scopes.iter().find(|s| !valid_scope(s)) {
                return Err(format!("scope {bad:?} is invalid"));
            }
            for (k, v) in &o.extra_authorize_params {
                const RESERVED: &[&str] = &[
                    "client_id",
                    "redirect_uri",
                    "state",
                    "code_challenge",
                    "code_challenge_method",
                    "response_type",
                    "scope",
                ];
                if RESERVED.contains(&k.as_str())
                    || k.is_empty()
                    || v.chars().any(|c| c.is_control())
                {
                    return Err(format!(
                        "authorize parameter {k:?} may not be set by a connector"
                    ));
                }
            }
            for pointer in [
                &o.token_response.access_token,
                &o.token_response.refresh_token,
                &o.token_response.expires_in,
                &o.token_response.scope,
                &o.token_response.error,
            ]
            .into_iter()
            .flatten()
            {
                if !pointer.starts_with('/') {
                    return Err(format!(
                        "token response pointer {pointer:?} must be a JSON pointer"
                    ));
                }
            }
            check_placement(&o.placement)
        }
        AuthScheme::ApiKey(k) => {
            if k.label.trim().is_empty() || k.label.len() > 100 {
                return Err("api-key label must be 1..100 characters".into());
            }
            check_placement(&k.placement)
        }
        AuthScheme::Basic(_) => Ok(()),
        AuthScheme::ServiceAccount(s) => {
            if s.token_url.starts_with(BASE) {
                return Err("a service account's token-url cannot be per deployment".into());
            }
            check_url("token-url", &s.token_url)?;
            if let Some(bad) = s.scopes.iter().find(|s| !valid_scope(s)) {
                return Err(format!("scope {bad:?} is invalid"));
            }
            check_placement(&s.placement)
        }
    }
}

/// Check everything the host relies on. Returns a message naming the first problem.
pub fn validate(m: &Manifest) -> Result<(), String> {
    if let Some(problem) = latchkey_contract::connector_id_problem(&m.id) {
        return Err(problem);
    }
    if m.name.trim().is_empty() || m.name.len() > 100 {
        return Err("name must be 1..100 characters".into());
    }
    if m.version.trim().is_empty() || m.version.len() > 64 {
        return Err("version must be 1..64 characters".into());
    }
    if m.description.len() > MAX_TEXT {
        return Err("description is too long".into());
    }
    if m.setup_instructions.len() > MAX_INSTRUCTIONS {
        return Err("setup instructions are too long".into());
    }
    if m.allowed_hosts.len() > 64 {
        return Err("too many allowed hosts".into());
    }
    for scheme in &m.auth {
        check_auth(scheme)?;
    }
    if m.tools.len() > MAX_TOOLS {
        return Err(format!("more than {MAX_TOOLS} tools"));
    }
    let mut seen = HashSet::new();
    for tool in &m.tools {
        if let Some(problem) = latchkey_contract::tool_name_problem(&tool.name) {
            return Err(problem);
        }
        if !seen.insert(tool.name.as_str()) {
            return Err(format!("tool {:?} is declared twice", tool.name));
        }
        if tool.description.trim().is_empty() || tool.description.len() > MAX_TEXT {
            return Err(format!(
                "tool {:?} needs a description (at most 4 KiB)",
                tool.name
            ));
        }
        if let Some(bad) = tool.required_scopes.iter().find(|s| !valid_scope(s)) {
            return Err(format!("tool {:?}: scope {bad:?} is invalid", tool.name));
        }
        if tool.input_schema.to_string().len() > MAX_SCHEMA {
            return Err(format!("tool {:?}: input schema is too large", tool.name));
        }
        if tool.input_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
            return Err(format!(
                "tool {:?}: input schema must describe an object (\"type\": \"object\")",
                tool.name
            ));
        }
        jsonschema::validator_for(&tool.input_schema).map_err(|e| {
            format!(
                "tool {:?}: input schema is not a valid JSON Schema: {e}",
                tool.name
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::types::{ApiKeyScheme, ToolSpec};

    fn manifest() -> Manifest {
        Manifest {
            id: "notion".into(),
            name: "Notion".into(),
            version: "0.1.0".into(),
            description: "Pages".into(),
            auth: vec![AuthScheme::ApiKey(ApiKeyScheme {
                label: "Internal integration secret".into(),
                placement: Placement::Bearer,
            })],
            allowed_hosts: vec!["https://api.notion.com".into()],
            setup_instructions: "Create an integration.".into(),
            tools: vec![ToolSpec {
                name: "search".into(),
                description: "Search pages".into(),
                input_schema: json!({"type": "object", "properties": {"query": {"type": "string"}}}),
                required_scopes: vec![],
                read_only: true,
            }],
        }
    }

    #[test]
    fn a_good_manifest_passes() {
        validate(&manifest()).expect("valid");
    }

    #[test]
    fn bad_manifests_are_named_precisely() {
        type Mutation = Box<dyn Fn(&mut Manifest)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (Box::new(|m| m.id = "Not_Valid".into()), "id"),
            (
                Box::new(|m| m.tools[0].name = "bad name".into()),
                "tool name",
            ),
            (
                Box::new(|m| m.tools.push(m.tools[0].clone())),
                "declared twice",
            ),
            (
                Box::new(|m| m.tools[0].input_schema = json!({"type": "string"})),
                "must describe an object",
            ),
            (
                Box::new(|m| {
                    m.tools[0].input_schema = json!({"type": "object", "minProperties": "x"})
                }),
                "not a valid JSON Schema",
            ),
            (
                Box::new(|m| m.tools[0].required_scopes = vec!["a b".into()]),
                "scope",
            ),
            (
                Box::new(|m| {
                    m.auth = vec![AuthScheme::ApiKey(ApiKeyScheme {
                        label: "k".into(),
                        placement: Placement::Header {
                            name: "Host".into(),
                            prefix: String::new(),
                        },
                    })]
                }),
                "cannot be placed in header",
            ),
        ];
        for (mutate, expected) in cases {
            let mut m = manifest();
            mutate(&mut m);
            let err = validate(&m).expect_err(expected);
            assert!(
                err.contains(expected),
                "{err:?} should mention {expected:?}"
            );
        }
    }

    #[test]
    fn ids_and_tool_names() {
        assert!(valid_connector_id("google-drive"));
        assert!(!valid_connector_id("google_drive"));
        assert!(!valid_connector_id("-x"));
        assert!(valid_tool_name("create_issue"));
        assert!(!valid_tool_name("Create"));
    }
}
