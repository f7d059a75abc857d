//! The jobs API: submit a tool call to run asynchronously, and follow it.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::body::JsonBody;
use super::caller::AgentCaller;
use super::problem::Problem;
use super::tools::scope_of;
use crate::app::App;
use crate::policy;
use crate::vault::jobs::{Job, NewJob};

/// Body of `POST /v1/jobs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJobBody {
    pub tool: String,
    pub user_id: Option<String>,
    #[serde(default = "empty")]
    pub input: Value,
    /// Alternatively the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

fn empty() -> Value {
    serde_json::json!({})
}

/// `POST /v1/jobs`: queue a tool call; the same idempotency key returns the same job.
pub async fn submit(
    State(app): State<Arc<App>>,
    caller: AgentCaller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewJobBody>,
) -> Result<(StatusCode, Json<Job>), Problem> {
    let user_id = super::tools::acting_user(&caller, body.user_id.as_deref())?;
    if !body.input.is_object() {
        return Err(Problem::invalid_request("input must be a JSON object"));
    }
    let header_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let idempotency_key = body.idempotency_key.or(header_key);
    if idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > 200)
    {
        return Err(Problem::invalid_request(
            "an idempotency key is 1..200 characters",
        ));
    }
    let Some((plugin, tool)) = app.registry.resolve_tool(&body.tool) else {
        return Err(crate::toolcall::ToolCallError::ToolNotFound(body.tool).into());
    };
    if !scope_of(&app, &caller).await?.allows(&body.tool) {
        return Err(crate::toolcall::ToolCallError::ToolNotAllowed(body.tool).into());
    }
    if let Err(errors) = plugin.validate_input(&tool.name, &body.input) {
        return Err(crate::toolcall::ToolCallError::InvalidInput(errors).into());
    }
    let new = NewJob {
        id: crate::ids::new_id("job"),
        actor: policy::accountable_agent(&caller.0).to_string(),
        idempotency_key,
        user_id,
        tool: body.tool,
        connector_id: Some(plugin.manifest.id.clone()),
        input: body.input,
    };
    let (job, created) = app.vault.jobs().submit(&new).await.map_err(Problem::from)?;
    if created {
        app.jobs_wake.notify_one();
    }
    Ok((
        if created {
            StatusCode::ACCEPTED
        } else {
            StatusCode::OK
        },
        Json(job),
    ))
}

/// Query of `GET /v1/jobs/{id}`.
#[derive(Deserialize)]
pub struct WaitQuery {
    #[serde(default)]
    wait: u64,
}

/// `GET /v1/jobs/{id}?wait=30`: a job as it stands; long-polls until it settles.
pub async fn get(
    State(app): State<Arc<App>>,
    caller: AgentCaller,
    Path(id): Path<String>,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Job>, Problem> {
    let Query(q) = query.map_err(|e| Problem::invalid_request(e.body_text()))?;
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "job_not_found",
            "No such job",
            format!("no job {id:?}"),
        )
    };
    if !crate::ids::looks_like("job", &id) {
        return Err(not_found());
    }
    let job = crate::jobs::wait(&app, &id, Duration::from_secs(q.wait.min(60)))
        .await
        .map_err(Problem::from)?
        .ok_or_else(not_found)?;
    // Only the agent that submitted it (or its sessions for that user) may see it.
    let same_agent = job.actor == policy::accountable_agent(&caller.0);
    let same_user = caller.0.user_id.as_ref().is_none_or(|u| *u == job.user_id);
    if !same_agent || !same_user {
        return Err(not_found());
    }
    Ok(Json(job))
}
