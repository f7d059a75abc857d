//! How a tool call's outcome looks to an MCP client: output as text and structured content;
//! a refusal to name or use a tool as a protocol error; a step a person must take (connect,
//! reconnect, grant scopes) as a link; every other failure as a tool error the model can read.

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use crate::api::problem::Problem;
use crate::toolcall::ToolOutput;

/// A link a person must open before the call can succeed.
#[derive(Debug, Clone)]
pub struct UserAction {
    /// The connect link.
    pub url: String,
    /// The connect session the link belongs to (what a caller can wait on).
    pub authorization_id: Option<String>,
    /// For the person, in an elicitation: what the link is for.
    pub message: String,
    /// For the model, in a tool result: what to do.
    pub instruction: String,
    /// The RFC 9457 problem the HTTP API would have answered.
    pub problem: Value,
}

/// A failed call, sorted by how MCP carries it.
#[derive(Debug)]
pub enum Failure {
    /// A person must act (follow a link), then the call can be retried.
    NeedsUser(Box<UserAction>),
    /// No such tool for this caller: a JSON-RPC error.
    Refused(McpError),
    /// Anything else: a tool result with `isError: true`.
    Tool(CallToolResult),
}

/// A successful call: the output as JSON text (for any client) and as structured content.
pub fn success(out: ToolOutput) -> CallToolResult {
    let text = serde_json::to_string_pretty(&out.output).unwrap_or_else(|_| "null".into());
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    if out.output.is_object() {
        result.structured_content = Some(out.output);
    }
    result
}

/// An error result whose text the model reads and whose structured content is the problem.
pub fn tool_error(text: String, problem: Value) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(problem);
    result
}

/// The tool result for a step the user must take: what to do, and the link.
pub fn link_result(action: &UserAction) -> CallToolResult {
    tool_error(
        format!("{}\n{}", action.instruction, action.url),
        action.problem.clone(),
    )
}

fn text_list(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Sort a failed call's problem for MCP.
pub fn classify(problem: Problem, tool: &str) -> Failure {
    let body = problem.body();
    let app = body["connector"]["name"]
        .as_str()
        .unwrap_or("the app")
        .to_string();
    let url = body["connect_url"].as_str().map(str::to_string);
    let authorization_id = body["authorization"]["id"].as_str().map(str::to_string);
    let needs = |message: String, instruction: String, url: String| {
        Failure::NeedsUser(Box::new(UserAction {
            url,
            authorization_id: authorization_id.clone(),
            message,
            instruction,
            problem: body.clone(),
        }))
    };
    match (problem.code, url) {
        ("tool_not_found" | "tool_not_allowed", _) => Failure::Refused(McpError::invalid_params(
            problem.detail.clone(),
            Some(json!({ "code": problem.code, "tool": tool })),
        )),
        ("authorization_required", Some(url)) => needs(
            format!("Connect {app} so the agent can use {tool} on your behalf."),
            format!(
                "{app} is not connected for this user. Ask the user to open this link and connect {app}, then call {tool} again:"
            ),
            url,
        ),
        ("insufficient_scope", Some(url)) => {
            let missing = text_list(&body["missing_scopes"]);
            needs(
                format!("Grant {app} the permissions {tool} needs: {missing}."),
                format!(
                    "The {app} connection lacks permissions {tool} needs ({missing}). Ask the user to open this link to grant just those, then call {tool} again:"
                ),
                url,
            )
        }
        ("reauthorization_required", Some(url)) => {
            let reason = body["reason"].as_str().unwrap_or("it was rejected");
            needs(
                format!("Reconnect {app}: the stored connection no longer works ({reason})."),
                format!(
                    "The {app} connection no longer works ({reason}). Ask the user to open this link and reconnect {app}, then call {tool} again:"
                ),
                url,
            )
        }
        _ => Failure::Tool(tool_error(
            format!("{} ({}): {}", problem.title, problem.code, problem.detail),
            body,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn a_missing_connection_becomes_a_link_for_the_user() {
        let p = Problem::new(
            StatusCode::FORBIDDEN,
            "authorization_required",
            "The user must connect this app first",
            "…",
        )
        .with("connect_url", json!("https://gw/connect/cs_1/t"))
        .with("authorization", json!({"id": "cs_1"}))
        .with("connector", json!({"name": "Linear"}));
        let Failure::NeedsUser(action) = classify(p, "linear_get_viewer") else {
            panic!("expected a link");
        };
        assert_eq!(action.url, "https://gw/connect/cs_1/t");
        assert_eq!(action.authorization_id.as_deref(), Some("cs_1"));
        let result = link_result(&action);
        assert_eq!(result.is_error, Some(true));
        let text = serde_json::to_value(&result.content)
            .expect("json")
            .to_string();
        assert!(text.contains("https://gw/connect/cs_1/t"), "{text}");
        assert!(text.contains("connect Linear"), "{text}");
        assert_eq!(
            result.structured_content.expect("problem")["code"],
            "authorization_required"
        );
    }

    #[test]
    fn an_unknown_or_forbidden_tool_is_a_protocol_error_and_others_are_tool_errors() {
        let p = Problem::new(StatusCode::FORBIDDEN, "tool_not_allowed", "t", "no");
        assert!(matches!(classify(p, "x"), Failure::Refused(_)));
        let p = Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "Upstream",
            "boom",
        );
        let Failure::Tool(result) = classify(p, "x") else {
            panic!("expected a tool error");
        };
        assert_eq!(result.is_error, Some(true));
    }
}
