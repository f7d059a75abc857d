//! The HTTP API (axum): the agent face under `/v1`, the operator face under `/v1/admin`.

pub mod admin;
pub mod alerts;
pub mod audit;
pub mod authorizations;
pub mod binding_cookie;
pub mod body;
pub mod call_problem;
pub mod caller;
pub mod connect;
pub mod groups;
pub mod jobs;
pub mod packs;
pub mod pages;
pub mod plugins;
pub mod problem;
pub mod providers;
pub mod rejections;
pub mod sessions;
pub mod tools;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::app::App;
use caller::AgentCaller;
use problem::Problem;

/// Largest request body the API reads.
const MAX_BODY: usize = 1 << 20;

/// The whole API.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/tools", get(tools::list))
        .route("/v1/tools/{tool}/call", post(tools::call))
        .route("/v1/connectors", get(connectors))
        .route(
            "/v1/connect-sessions",
            post(authorizations::create_for_agent),
        )
        .route("/v1/sessions", post(sessions::mint))
        .route("/v1/jobs", post(jobs::submit))
        .route("/v1/jobs/{id}", get(jobs::get))
        .route("/v1/alerts", get(alerts::list))
        .route("/v1/admin/connections/{id}/probe", post(alerts::probe))
        .route("/reconnect/{alert}/{token}", get(alerts::reconnect))
        .route("/v1/pack-sessions", post(packs::create))
        .route("/connect/pack/{id}/{token}", get(packs::page))
        .route("/v1/admin/packs", get(packs::list))
        .route("/v1/admin/audit", get(audit::list))
        .route("/v1/admin/audit/verify", get(audit::verify))
        .route(
            "/v1/admin/packs/{name}",
            axum::routing::put(packs::put).delete(packs::delete),
        )
        .route(
            "/v1/authorizations/{id}",
            get(authorizations::authorization_status),
        )
        .route(
            "/v1/oauth/callback/{connector}",
            get(connect::oauth_callback),
        )
        .route("/connect/{id}/{token}", get(connect::page))
        .route("/connect/{id}/{token}/done", get(connect::done))
        .route("/connect/{id}/{token}/oauth", post(connect::start_oauth))
        .route(
            "/connect/{id}/{token}/credential",
            post(connect::submit_credential),
        )
        .route(
            "/v1/admin/connect-sessions",
            post(authorizations::create_for_admin),
        )
        .route(
            "/v1/admin/connections",
            post(admin::put_connection).get(admin::list_connections),
        )
        .route(
            "/v1/admin/connections/{id}",
            delete(admin::delete_connection),
        )
        .route(
            "/v1/admin/agent-keys",
            post(admin::create_agent_key).get(admin::list_agent_keys),
        )
        .route("/v1/admin/agent-keys/{id}", delete(admin::revoke_agent_key))
        .route(
            "/v1/admin/plugins",
            get(plugins::list)
                .post(plugins::upload)
                .layer(DefaultBodyLimit::max(plugins::MAX_UPLOAD)),
        )
        .route("/v1/admin/plugins/{id}", delete(plugins::unload))
        .route("/v1/admin/plugins/{id}/approve", post(plugins::approve))
        .route("/v1/admin/plugins/{id}/reject", post(plugins::reject))
        .route("/v1/admin/plugins/{id}/rollback", post(plugins::rollback))
        .route("/v1/admin/metrics", get(plugins::prometheus))
        .route("/v1/admin/providers", get(providers::list))
        .route(
            "/v1/admin/providers/{connector}",
            axum::routing::put(providers::put).delete(providers::delete),
        )
        .route(
            "/v1/admin/groups/{id}",
            axum::routing::put(groups::put)
                .get(groups::get)
                .delete(groups::delete),
        )
        .merge(crate::mcp::routes(&app))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(rejections::as_problem))
        .layer(middleware::from_fn(rejections::limits))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(record_status),
        )
        .with_state(app)
}

async fn healthz() -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok" }))
}

async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not found",
        "no such endpoint",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this endpoint does not accept that method",
    )
}

/// `GET /v1/connectors`: what can be connected and how (no secrets, no per-user state).
async fn connectors(State(app): State<Arc<App>>, _caller: AgentCaller) -> axum::Json<Value> {
    let list: Vec<Value> = app
        .registry
        .snapshot()
        .values()
        .map(|p| {
            let mut info = call_problem::connect_info(p);
            if let Value::Object(map) = &mut info {
                map.insert("version".into(), json!(p.manifest.version));
                map.insert("description".into(), json!(p.manifest.description));
                map.insert(
                    "tools".into(),
                    json!(
                        p.manifest
                            .tools
                            .iter()
                            .map(|t| format!("{}_{}", p.manifest.id, t.name))
                            .collect::<Vec<_>>()
                    ),
                );
            }
            info
        })
        .collect();
    axum::Json(json!({ "connectors": list }))
}

/// One span per request (tower-http's trace layer): method and route template only (never the
/// path's values, the query string or headers); `agent` and `admin` are filled in by the
/// caller extractors, `status` when the response is ready.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        agent = tracing::field::Empty,
        admin = tracing::field::Empty,
        status = tracing::field::Empty,
    )
}

/// The response's status on the request's span.
fn record_status(response: &Response, latency: std::time::Duration, span: &tracing::Span) {
    span.record("status", response.status().as_u16());
    tracing::debug!(latency_ms = latency.as_millis() as u64, "request handled");
}
