//! The operator's plugin endpoints: list, upload, approve or reject a widening update, roll
//! back, unload; and per-connector metrics as Prometheus text.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::caller::AdminCaller;
use super::problem::Problem;
use crate::app::App;
use crate::hotload::{Applied, ManageError};
use crate::plugin::metrics::LATENCY_BUCKETS_MS;

/// Largest plugin upload accepted.
pub const MAX_UPLOAD: usize = 64 << 20;

fn problem(e: ManageError) -> Problem {
    let detail = e.to_string();
    match e {
        ManageError::Rejected(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "plugin_rejected",
            "The plugin was rejected; the serving version is unchanged",
            detail,
        ),
        ManageError::NotFound(_) => Problem::new(
            StatusCode::NOT_FOUND,
            "plugin_not_found",
            "No such plugin",
            detail,
        ),
        ManageError::NothingPending(_)
        | ManageError::NoPrevious(_)
        | ManageError::Conflict { .. } => Problem::new(
            StatusCode::CONFLICT,
            "plugin_conflict",
            "Not possible in the plugin's current state",
            detail,
        ),
        ManageError::Io { .. } => {
            tracing::error!(error = %detail, "plugin operation failed on disk");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The plugins folder cannot be written",
                "the serving version is unchanged; see the gateway's logs",
            )
        }
    }
}

fn entry_json(app: &App, id: &str) -> Value {
    app.plugins
        .overview()
        .get(id)
        .map(|e| e.json())
        .unwrap_or(Value::Null)
}

fn applied(app: &App, result: Applied) -> (StatusCode, Json<Value>) {
    let (status, body) = match &result {
        Applied::Activated { id, .. } => (
            StatusCode::CREATED,
            json!({ "result": "activated", "plugin": entry_json(app, id) }),
        ),
        Applied::Unchanged { id } => (
            StatusCode::OK,
            json!({ "result": "unchanged", "plugin": entry_json(app, id) }),
        ),
        Applied::Pending { id, widening } => (
            StatusCode::ACCEPTED,
            json!({ "result": "pending_approval", "widening": widening, "plugin": entry_json(app, id) }),
        ),
    };
    (status, Json(body))
}

/// `GET /v1/admin/plugins`: every connector with its serving, previous and pending versions,
/// state, last error and metrics; and folder files that were refused.
pub async fn list(State(app): State<Arc<App>>, _admin: AdminCaller) -> Json<Value> {
    Json(app.plugins.overview().json())
}

/// `POST /v1/admin/plugins` (body: the `.wasm` bytes): validate and swap in, or hold for
/// approval when it widens permissions.
pub async fn upload(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if body.is_empty() {
        return Err(Problem::invalid_request(
            "send the plugin's .wasm bytes as the request body",
        ));
    }
    let result = app.plugins.upload(body.to_vec()).await.map_err(problem)?;
    tracing::info!(admin = %admin.id, ?result, "plugin uploaded");
    Ok(applied(&app, result))
}

/// `POST /v1/admin/plugins/{id}/approve`: activate the update waiting for approval.
pub async fn approve(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let result = app.plugins.approve(&id).await.map_err(problem)?;
    tracing::info!(admin = %admin.id, connector = %id, "plugin update approved");
    Ok(applied(&app, result))
}

/// `POST /v1/admin/plugins/{id}/reject`: drop the update waiting for approval.
pub async fn reject(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    app.plugins.reject(&id).await.map_err(problem)?;
    tracing::info!(admin = %admin.id, connector = %id, "plugin update rejected");
    Ok(Json(
        json!({ "result": "rejected", "plugin": entry_json(&app, &id) }),
    ))
}

/// `POST /v1/admin/plugins/{id}/rollback`: serve the previous version again.
pub async fn rollback(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let result = app.plugins.rollback(&id).await.map_err(problem)?;
    tracing::info!(admin = %admin.id, connector = %id, "plugin rolled back");
    let (_, body) = applied(&app, result);
    Ok((StatusCode::OK, body))
}

/// `DELETE /v1/admin/plugins/{id}`: stop serving it (running calls finish).
pub async fn unload(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    app.plugins.unload(&id).await.map_err(problem)?;
    tracing::info!(admin = %admin.id, connector = %id, "plugin unloaded");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/admin/metrics`: per-connector call metrics in the Prometheus text format.
pub async fn prometheus(State(app): State<Arc<App>>, _admin: AdminCaller) -> Response {
    let overview = app.plugins.overview();
    let mut out = String::new();
    let counters: [(&str, &str); 8] = [
        ("calls", "Plugin invocations."),
        ("errors", "Invocations that did not produce output."),
        ("tool_errors", "Errors the connector reported itself."),
        ("traps", "Invocations that crashed."),
        ("timeouts", "Invocations stopped at their time limit."),
        (
            "memory_limits",
            "Invocations stopped at their memory limit.",
        ),
        ("busy", "Invocations refused at the concurrency limit."),
        (
            "bad_output",
            "Output refused: too large, not JSON, too deep.",
        ),
    ];
    let snapshots: Vec<(String, crate::plugin::MetricsSnapshot)> = overview
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.metrics.snapshot()))
        .collect();
    for (name, help) in counters {
        let _ = writeln!(out, "# HELP latchkey_plugin_{name}_total {help}");
        let _ = writeln!(out, "# TYPE latchkey_plugin_{name}_total counter");
        for (id, s) in &snapshots {
            let v = match name {
                "calls" => s.calls,
                "errors" => s.errors,
                "tool_errors" => s.tool_errors,
                "traps" => s.traps,
                "timeouts" => s.timeouts,
                "memory_limits" => s.memory_limits,
                "busy" => s.busy,
                _ => s.bad_output,
            };
            let _ = writeln!(
                out,
                "latchkey_plugin_{name}_total{{connector=\"{id}\"}} {v}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP latchkey_plugin_call_duration_seconds Plugin invocation latency."
    );
    let _ = writeln!(
        out,
        "# TYPE latchkey_plugin_call_duration_seconds histogram"
    );
    for (id, s) in &snapshots {
        for (i, count) in s.latency_buckets.iter().enumerate() {
            let le = LATENCY_BUCKETS_MS
                .get(i)
                .map(|ms| format!("{}", *ms as f64 / 1000.0))
                .unwrap_or_else(|| "+Inf".into());
            let _ = writeln!(
                out,
                "latchkey_plugin_call_duration_seconds_bucket{{connector=\"{id}\",le=\"{le}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "latchkey_plugin_call_duration_seconds_sum{{connector=\"{id}\"}} {}",
            s.latency_sum_ms / 1000.0
        );
        let _ = writeln!(
            out,
            "latchkey_plugin_call_duration_seconds_count{{connector=\"{id}\"}} {}",
            s.calls
        );
    }
    let _ = writeln!(
        out,
        "# HELP latchkey_plugin_in_flight Calls running now, all versions."
    );
    let _ = writeln!(out, "# TYPE latchkey_plugin_in_flight gauge");
    for e in &overview.entries {
        let running = e
            .active
            .as_ref()
            .map_or(0, |_| app.registry.get(&e.id).map_or(0, |p| p.in_flight()))
            + e.draining();
        let _ = writeln!(
            out,
            "latchkey_plugin_in_flight{{connector=\"{}\"}} {running}",
            e.id
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
