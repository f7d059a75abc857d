//! The agent API: list the tools the caller may use, call one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::AgentCaller;
use super::problem::Problem;
use crate::app::App;
use crate::policy::{self, ToolScope};
use crate::toolcall::{self, ToolCall, ToolOutput};

/// The caller's tool scope (a storage failure is `storage_unavailable`, as everywhere).
pub async fn scope_of(app: &App, caller: &AgentCaller) -> Result<ToolScope, Problem> {
    policy::tool_scope(app, &caller.0)
        .await
        .map_err(Problem::from)
}

/// Every tool `scope` allows, as agents see them.
pub fn visible_tools(app: &App, scope: &ToolScope) -> Vec<Value> {
    let snapshot = app.registry.snapshot();
    snapshot
        .values()
        .flat_map(|plugin| {
            plugin
                .manifest
                .tools
                .iter()
                .map(move |t| (format!("{}_{}", plugin.manifest.id, t.name), plugin, t))
        })
        .filter(|(name, _, _)| scope.allows(name))
        .map(|(name, plugin, t)| {
            json!({
                "name": name,
                "title": format!("{}: {}", plugin.manifest.name, humanize(&t.name)),
                "connector": plugin.manifest.id,
                "description": t.description,
                "input_schema": t.input_schema,
                "required_scopes": t.required_scopes,
                "read_only": t.read_only,
            })
        })
        .collect()
}

/// A tool name as words a person reads: `create_issue` → `Create issue`.
pub fn humanize(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `GET /v1/tools`: every tool the caller may use, with its JSON Schema.
pub async fn list(
    State(app): State<Arc<App>>,
    caller: AgentCaller,
) -> Result<Json<Value>, Problem> {
    let scope = scope_of(&app, &caller).await?;
    Ok(Json(json!({ "tools": visible_tools(&app, &scope) })))
}

/// Body of `POST /v1/tools/{tool}/call`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// The user the call acts for (agent keys); a user session brings its own.
    pub user_id: Option<String>,
    /// The tool's input object.
    #[serde(default = "empty_object")]
    pub input: Value,
}

fn empty_object() -> Value {
    json!({})
}

/// Whether `id` is acceptable as a user or group id: printable, bounded.
pub fn valid_principal_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && !id.chars().any(char::is_control)
}

/// The user a request acts for (a session's own, or the one an agent key names), checked.
pub fn acting_user(caller: &AgentCaller, from_body: Option<&str>) -> Result<String, Problem> {
    let user_id = policy::acting_user(&caller.0, from_body).map_err(|m| {
        if from_body.is_some() {
            Problem::new(
                axum::http::StatusCode::FORBIDDEN,
                "session_user_mismatch",
                "A session acts for one user",
                m,
            )
        } else {
            Problem::invalid_request(m)
        }
    })?;
    if !valid_principal_id(&user_id) {
        return Err(Problem::invalid_request(
            "user_id must be 1..256 printable characters",
        ));
    }
    Ok(user_id)
}

/// Run one tool for the caller: the shared path of the HTTP API and MCP. `cancel` stops it
/// (MCP's `notifications/cancelled`).
pub async fn call_as(
    app: &App,
    caller: &AgentCaller,
    tool: String,
    user_from_body: Option<&str>,
    input: Value,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<ToolOutput, Problem> {
    let user_id = acting_user(caller, user_from_body)?;
    if !input.is_object() {
        return Err(Problem::invalid_request("input must be a JSON object"));
    }
    let scope = scope_of(app, caller).await?;
    let actor = policy::accountable_agent(&caller.0).to_string();
    let span = tracing::info_span!("tool_call", agent = %actor, user = %user_id, tool = %tool);
    let call = ToolCall {
        tool,
        user_id,
        input,
        scope,
        actor,
        cancel,
    };
    let result = tracing::Instrument::instrument(toolcall::run(app, call), span.clone()).await;
    match &result {
        Ok(out) => {
            tracing::info!(parent: &span, connection = %out.connection.id, owner = ?out.connection.owner, "tool call succeeded")
        }
        Err(e) => tracing::info!(parent: &span, outcome = e.code(), "tool call refused or failed"),
    }
    result.map_err(Problem::from)
}

/// `POST /v1/tools/{tool}/call`.
pub async fn call(
    State(app): State<Arc<App>>,
    caller: AgentCaller,
    Path(tool): Path<String>,
    JsonBody(body): JsonBody<CallBody>,
) -> Result<Json<ToolOutput>, Problem> {
    // An HTTP caller that disconnects drops this future: nothing to cancel beyond that.
    let cancel = tokio_util::sync::CancellationToken::new();
    call_as(
        &app,
        &caller,
        tool,
        body.user_id.as_deref(),
        body.input,
        cancel,
    )
    .await
    .map(Json)
}
