//! The agent API: list tools, call one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::AgentCaller;
use super::problem::Problem;
use crate::app::App;
use crate::toolcall::{self, ToolCall, ToolOutput};

/// `GET /v1/tools`: every tool the caller may use, with its JSON Schema.
pub async fn list(State(app): State<Arc<App>>, _caller: AgentCaller) -> Json<Value> {
    let snapshot = app.registry.snapshot();
    let tools: Vec<Value> = snapshot
        .values()
        .flat_map(|plugin| {
            plugin.manifest.tools.iter().map(move |t| {
                json!({
                    "name": format!("{}_{}", plugin.manifest.id, t.name),
                    "connector": plugin.manifest.id,
                    "description": t.description,
                    "input_schema": t.input_schema,
                    "required_scopes": t.required_scopes,
                    "read_only": t.read_only,
                })
            })
        })
        .collect();
    Json(json!({ "tools": tools }))
}

/// Body of `POST /v1/tools/{tool}/call`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// The user the call acts for.
    pub user_id: String,
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

/// `POST /v1/tools/{tool}/call`.
pub async fn call(
    State(app): State<Arc<App>>,
    AgentCaller(agent): AgentCaller,
    Path(tool): Path<String>,
    JsonBody(body): JsonBody<CallBody>,
) -> Result<Json<ToolOutput>, Problem> {
    if !valid_principal_id(&body.user_id) {
        return Err(Problem::invalid_request(
            "user_id must be 1..256 printable characters",
        ));
    }
    if !body.input.is_object() {
        return Err(Problem::invalid_request("input must be a JSON object"));
    }
    let span =
        tracing::info_span!("tool_call", agent = %agent.id, user = %body.user_id, tool = %tool);
    let call = ToolCall {
        tool,
        user_id: body.user_id,
        input: body.input,
    };
    let result = tracing::Instrument::instrument(toolcall::run(&app, call), span.clone()).await;
    match &result {
        Ok(out) => {
            tracing::info!(parent: &span, connection = %out.connection.id, "tool call succeeded")
        }
        Err(e) => tracing::info!(parent: &span, outcome = %e, "tool call refused or failed"),
    }
    result.map(Json).map_err(Problem::from)
}
