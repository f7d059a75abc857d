//! Common connector mistakes, each one case with a message saying what to change:
//!
//! - a tool input schema with no properties that is not a deliberate empty input;
//! - an upstream 401 reported as a plain upstream error instead of an auth error (the gateway
//!   then cannot refresh, re-authorize or alert);
//! - a tool that needs a scope it does not declare (the provider refuses it for insufficient
//!   scope when the connection holds exactly the tool's `required_scopes`);
//! - a request to a host outside the connector's allowlist (seen by the egress tap even when
//!   the connector swallows the refusal).

use std::collections::BTreeSet;

use serde_json::Value;

use super::scenarios::calls::oauth_user_with;
use super::scenarios::oauth::missing_scopes;
use super::scenarios::{Fail, Run, ScenarioResult, Verdict};
use latchkey::egress::Origin;
use latchkey::plugin::AuthScheme;

/// Every mistake check, as cases.
pub async fn all(run: &Run<'_>) {
    run.case(
        "lint.input_schemas",
        "every tool describes its input (an empty input is declared closed)",
        async { input_schemas(run) },
    )
    .await;
    run.case(
        "lint.auth_errors",
        "an upstream 401 is reported as an auth error, never as a plain upstream error",
        async { auth_errors(run) },
    )
    .await;
    run.case(
        "lint.declared_scopes",
        "each tool works with exactly its declared required_scopes",
        declared_scopes(run),
    )
    .await;
    run.case(
        "lint.egress_allowlist",
        "the connector only asks for hosts in its allowlist",
        async { egress_allowlist(run) },
    )
    .await;
}

fn findings(found: Vec<String>, passed: Vec<String>) -> ScenarioResult {
    if found.is_empty() {
        Ok(Verdict::Pass(passed))
    } else {
        Err(Fail(found.join("; ")))
    }
}

/// Whether `schema` is an object schema that names no properties and is not closed.
pub fn schema_is_vague(schema: &Value) -> bool {
    let no_properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_none_or(|p| p.is_empty());
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    let composed = ["anyOf", "oneOf", "allOf", "$ref"]
        .iter()
        .any(|k| schema.get(*k).is_some());
    no_properties && !closed && !composed
}

fn input_schemas(run: &Run<'_>) -> ScenarioResult {
    let found: Vec<String> = run
        .tools
        .iter()
        .filter(|t| schema_is_vague(&t.input_schema))
        .map(|t| {
            format!(
                "tool `{}` has an input schema without properties: describe its input (derive JsonSchema on a struct), or declare that it takes none with \"additionalProperties\": false (the SDK's NoInput)",
                t.name
            )
        })
        .collect();
    findings(found, vec![format!("{} tool schemas", run.tools.len())])
}

fn auth_errors(run: &Run<'_>) -> ScenarioResult {
    let mut seen = BTreeSet::new();
    let found: Vec<String> = run
        .observed()
        .into_iter()
        .filter(|o| o.code == "upstream_error" && o.upstream_status == Some(401))
        .filter(|o| seen.insert(o.tool.clone()))
        .map(|o| {
            format!(
                "tool `{}` reported the upstream's 401 as a plain upstream error (in {}): return an auth error instead (CallError::Auth, e.g. expired; the SDK's error_for_status maps 401 so) so the gateway can refresh the token, or mark the connection for re-authorization and alert",
                o.tool, o.during
            )
        })
        .collect();
    findings(
        found,
        vec![format!("{} calls looked at", run.observed().len())],
    )
}

async fn declared_scopes(run: &Run<'_>) -> ScenarioResult {
    if !run
        .schemes()
        .iter()
        .any(|s| matches!(s, AuthScheme::Oauth2(_)))
    {
        return Ok(Verdict::Skip(
            "scopes are checked through OAuth consent; the connector has no OAuth scheme".into(),
        ));
    }
    let mut found = Vec::new();
    let mut lines = Vec::new();
    // Refusals already seen: the provider named (or did not name) a scope the tool does not
    // declare, although the gateway's own check of the declared scopes had passed.
    let mut flagged = BTreeSet::new();
    for o in run.observed() {
        let Some(tool) = run.tools.iter().find(|t| t.name == o.tool) else {
            continue;
        };
        let undeclared: Vec<&String> = o
            .missing_scopes
            .iter()
            .filter(|s| !tool.required_scopes.contains(s))
            .collect();
        if o.code == "insufficient_scope"
            && (o.missing_scopes.is_empty() || !undeclared.is_empty())
            && flagged.insert(tool.name.clone())
        {
            found.push(format!(
                "tool `{}` declares required_scopes {:?}, but the provider refused it for insufficient scope{} (in {}): declare every scope the tool uses",
                tool.name,
                tool.required_scopes,
                if undeclared.is_empty() {
                    String::new()
                } else {
                    format!(" naming {undeclared:?}")
                },
                o.during
            ));
        }
    }
    let working = run.working.lock().map(|w| w.clone()).unwrap_or_default();
    if working.is_empty() && found.is_empty() {
        return Ok(Verdict::Skip(
            "no tool call worked (see the tools.* cases)".into(),
        ));
    }
    run.set_current("lint.declared_scopes");
    for w in working {
        if flagged.contains(&w.tool.name) {
            continue;
        }
        if w.tool.required_scopes.is_empty() {
            lines.push(format!(
                "{}: declares no scopes (consent then asks for the connector's defaults)",
                w.tool.name
            ));
            continue;
        }
        let user = format!("check-least-{}", w.tool.name.replace('_', "-"));
        if let Err(Fail(why)) = oauth_user_with(run, &user, &w.tool.required_scopes).await {
            lines.push(format!(
                "{}: could not connect with its scopes: {why}",
                w.tool.name
            ));
            continue;
        }
        let answer = run
            .call(&run.stack.agent_key, &user, &w.tool.name, &w.input)
            .await?;
        if answer.code() == "insufficient_scope" {
            let missing = missing_scopes(&answer.body);
            found.push(format!(
                "tool `{}` declares required_scopes {:?}, but the provider refused it for insufficient scope when granted exactly those{}: declare every scope the tool uses",
                w.tool.name,
                w.tool.required_scopes,
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" (it needs {missing:?})")
                }
            ));
        } else {
            lines.push(format!(
                "{} with {:?}: {}",
                w.tool.name,
                w.tool.required_scopes,
                answer.summary()
            ));
        }
    }
    findings(found, lines)
}

fn egress_allowlist(run: &Run<'_>) -> ScenarioResult {
    let allow = &run.stack.plugin.allow;
    let mut seen = BTreeSet::new();
    let total = run.stack.egress.seen().len();
    let found: Vec<String> = run
        .stack
        .egress
        .seen()
        .into_iter()
        .filter(|s| s.denied.is_some())
        .filter(|s| {
            url::Url::parse(&s.url)
                .ok()
                .and_then(|u| Origin::of(&u))
                .is_none_or(|o| !allow.permits(&o))
        })
        .filter(|s| seen.insert(s.url.clone()))
        .map(|s| {
            format!(
                "in {}, the connector asked for {} {}, outside its allowed hosts {:?}: declare the origin (allow_host; operators approve the change) or stop calling it",
                s.during, s.method, s.url, run.stack.plugin.manifest.allowed_hosts
            )
        })
        .collect();
    findings(found, vec![format!("{total} requests looked at")])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vague_schemas() {
        assert!(schema_is_vague(&json!({"type": "object"})));
        assert!(schema_is_vague(
            &json!({"type": "object", "additionalProperties": true})
        ));
        assert!(schema_is_vague(
            &json!({"type": "object", "properties": {}})
        ));
        assert!(!schema_is_vague(
            &json!({"type": "object", "additionalProperties": false})
        ));
        assert!(!schema_is_vague(
            &json!({"type": "object", "properties": {"q": {"type": "string"}}})
        ));
        assert!(!schema_is_vague(
            &json!({"type": "object", "oneOf": [{"required": ["a"]}]})
        ));
    }
}
