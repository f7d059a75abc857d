//! How each way a tool call can fail looks to an agent: a stable problem type, a detail a
//! model can relay, and — when a human must act — what they must do.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::problem::Problem;
use crate::plugin::{AuthScheme, CallFailure, LoadedPlugin};
use crate::toolcall::ToolCallError;

/// What an end user needs to connect this connector: its name, instructions and methods.
pub fn connect_info(plugin: &LoadedPlugin) -> Value {
    let methods: Vec<Value> = plugin
        .manifest
        .auth
        .iter()
        .map(|s| match s {
            AuthScheme::Oauth2(_) => json!({"type": "oauth2"}),
            AuthScheme::ApiKey(k) => json!({"type": "api_key", "label": k.label}),
            AuthScheme::Basic(b) => json!({"type": "basic", "username_label": b.username_label, "password_label": b.password_label}),
            AuthScheme::ServiceAccount(_) => json!({"type": "service_account"}),
        })
        .collect();
    json!({
        "id": plugin.manifest.id,
        "name": plugin.manifest.name,
        "methods": methods,
        "instructions": plugin.manifest.setup_instructions,
    })
}

impl From<ToolCallError> for Problem {
    fn from(e: ToolCallError) -> Problem {
        let detail = e.to_string();
        match e {
            ToolCallError::ToolNotFound(name) => {
                Problem::new(StatusCode::NOT_FOUND, "tool_not_found", "No such tool", detail).with("tool", json!(name))
            }
            ToolCallError::InvalidInput(errors) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "The input does not match the tool's schema",
                detail,
            )
            .with("errors", json!(errors)),
            ToolCallError::AuthorizationRequired { plugin, user } => Problem::new(
                StatusCode::FORBIDDEN,
                "authorization_required",
                "The user must connect this app first",
                format!(
                    "{user:?} has not connected {}. Ask them to connect it (see `connector.instructions`), then retry.",
                    plugin.manifest.name
                ),
            )
            .with("connector", connect_info(&plugin)),
            ToolCallError::ReauthorizationRequired {
                plugin, connection_id, reason, ..
            } => Problem::new(
                StatusCode::FORBIDDEN,
                "reauthorization_required",
                "The user must reconnect this app",
                format!("The {} connection no longer works ({reason}); the user must reconnect it.", plugin.manifest.name),
            )
            .with("connector", connect_info(&plugin))
            .with("connection_id", json!(connection_id))
            .with("reason", json!(reason)),
            ToolCallError::InsufficientScope {
                plugin,
                connection_id,
                missing,
            } => Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "The connection lacks permissions this tool needs",
                detail,
            )
            .with("connector", connect_info(&plugin))
            .with("connection_id", json!(connection_id))
            .with("missing_scopes", json!(missing)),
            ToolCallError::Upstream { status, .. } => {
                Problem::new(StatusCode::BAD_GATEWAY, "upstream_error", "The app's API returned an error", detail)
                    .with("upstream_status", json!(status))
            }
            ToolCallError::RateLimited { retry_after_secs } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "The app's API is rate limiting",
                    detail,
                );
                p.retry_after = retry_after_secs;
                p
            }
            ToolCallError::ConnectorError(_) => {
                Problem::new(StatusCode::BAD_GATEWAY, "connector_error", "The connector reported an error", detail)
            }
            ToolCallError::PluginFailed(CallFailure::Busy) => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "connector_busy",
                    "The connector is at capacity",
                    detail,
                );
                p.retry_after = Some(1);
                p
            }
            ToolCallError::PluginFailed(_) => {
                Problem::new(StatusCode::BAD_GATEWAY, "plugin_failed", "The connector failed", detail)
            }
            ToolCallError::Storage(e) => {
                tracing::error!(error = %e, "storage failure during a tool call");
                match e {
                    crate::vault::VaultError::DiskFull(_) | crate::vault::VaultError::Closed => Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "storage_unavailable",
                        "The gateway's storage is unavailable",
                        "the gateway cannot use its storage right now; retry later",
                    ),
                    _ => Problem::internal(),
                }
            }
        }
    }
}
