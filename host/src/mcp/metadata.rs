//! OAuth 2.0 Protected Resource Metadata (RFC 9728) for the gateway and its MCP endpoint, and
//! the `WWW-Authenticate` challenge that points at it.
//!
//! Latchkey's bearer tokens (agent keys, user sessions) are opaque and minted by this gateway
//! for itself: their audience is this gateway's resource, so no authorization server is
//! advertised. Agent keys come from the operator; user sessions from the agent's host app
//! (`POST /v1/sessions`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ENDPOINT;
use crate::app::App;

/// Path of the metadata for the whole gateway.
pub const ROOT_PATH: &str = "/.well-known/oauth-protected-resource";

/// The resource identifier of the MCP endpoint: `<public base>/mcp`.
pub fn mcp_resource(app: &App) -> String {
    format!("{}{ENDPOINT}", app.public_base())
}

/// Where the MCP endpoint's metadata lives (RFC 9728 §3.1: the path is suffixed).
pub fn mcp_metadata_url(app: &App) -> String {
    format!("{}{ROOT_PATH}{ENDPOINT}", app.public_base())
}

/// The `WWW-Authenticate` value for a 401 from `/mcp`; `invalid` adds RFC 6750's
/// `error="invalid_token"` (only when a token was presented).
pub fn challenge(app: &App, invalid: bool) -> String {
    let error = if invalid {
        "error=\"invalid_token\", error_description=\"the token is unknown, expired, revoked or not for this resource\", "
    } else {
        ""
    };
    format!(
        "Bearer {error}resource_metadata=\"{}\"",
        mcp_metadata_url(app)
    )
}

fn document(resource: String, name: &str) -> Value {
    json!({
        "resource": resource,
        "resource_name": name,
        "bearer_methods_supported": ["header"],
    })
}

fn cacheable(body: Value) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// `GET /.well-known/oauth-protected-resource`: the gateway as a whole (`/v1` and `/mcp`).
pub async fn root(State(app): State<Arc<App>>) -> Response {
    cacheable(document(app.public_base().to_string(), "Latchkey gateway"))
}

/// `GET /.well-known/oauth-protected-resource/mcp`: the MCP endpoint.
pub async fn mcp(State(app): State<Arc<App>>) -> Response {
    cacheable(document(mcp_resource(&app), "Latchkey MCP endpoint"))
}
