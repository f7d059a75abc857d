//! How each way a tool call can fail looks to an agent: a stable problem type, a detail a
//! model can relay, and — when a human must act — what they must do.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::problem::Problem;
use crate::auth::connect::ConnectLink;
use crate::plugin::{AuthScheme, CallFailure, LoadedPlugin};
use crate::toolcall::ToolCallError;

/// What an end user needs to connect this connector: its name, end-user instructions and
/// methods.
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
        // What an agent may relay to its user: never the operator's part.
        "instructions": super::pages::instructions::split(&plugin.manifest.setup_instructions).for_end_users(),
    })
}

/// Where an agent can wait for the user to finish connecting.
pub fn authorization(link: &ConnectLink) -> Value {
    json!({
        "id": link.session.id,
        "status_url": format!("/v1/authorizations/{}", link.session.id),
        "expires_at": link.session.expires_at,
    })
}

impl From<ToolCallError> for Problem {
    fn from(e: ToolCallError) -> Problem {
        let detail = e.to_string();
        match e {
            ToolCallError::ToolNotFound(name) => {
                Problem::new(StatusCode::NOT_FOUND, "tool_not_found", "No such tool", detail).with("tool", json!(name))
            }
            ToolCallError::ToolNotAllowed(name) => Problem::new(
                StatusCode::FORBIDDEN,
                "tool_not_allowed",
                "This caller may not use that tool",
                detail,
            )
            .with("tool", json!(name)),
            ToolCallError::InvalidInput(errors) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "The input does not match the tool's schema",
                detail,
            )
            .with("errors", json!(errors)),
            ToolCallError::AuthorizationRequired { plugin, user, link } => Problem::new(
                StatusCode::FORBIDDEN,
                "authorization_required",
                "The user must connect this app first",
                format!(
                    "{user:?} has not connected {}. Send them to connect_url, then retry (or wait on authorization.status_url).",
                    plugin.manifest.name
                ),
            )
            .with("connect_url", json!(link.url))
            .with("authorization", authorization(&link))
            .with("connector", connect_info(&plugin)),
            ToolCallError::ReauthorizationRequired {
                plugin,
                connection_id,
                reason,
                link,
            } => {
                let mut p = Problem::new(
                    StatusCode::FORBIDDEN,
                    "reauthorization_required",
                    "The user must reconnect this app",
                    format!(
                        "The {} connection no longer works ({reason}); {}.",
                        plugin.manifest.name,
                        if link.is_some() { "send its owner to connect_url" } else { "an operator must replace it" }
                    ),
                )
                .with("connector", connect_info(&plugin))
                .with("connection_id", json!(connection_id))
                .with("reason", json!(reason));
                if let Some(link) = link {
                    p = p.with("connect_url", json!(link.url)).with("authorization", authorization(&link));
                }
                p
            }
            ToolCallError::InsufficientScope {
                plugin,
                connection_id,
                missing,
                link,
            } => {
                let mut p = Problem::new(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    "The connection lacks permissions this tool needs",
                    format!("{detail}; send the user to connect_url to grant just those."),
                )
                .with("connector", connect_info(&plugin))
                .with("connection_id", json!(connection_id))
                .with("missing_scopes", json!(missing));
                if let Some(link) = link {
                    p = p.with("connect_url", json!(link.url)).with("authorization", authorization(&link));
                }
                p
            }
            ToolCallError::TokenRefreshUnavailable { retry_after } => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "token_refresh_unavailable",
                    "The app's authorization server is unavailable",
                    detail,
                );
                p.retry_after = Some(u32::try_from(retry_after.as_secs().max(1)).unwrap_or(u32::MAX));
                p
            }
            ToolCallError::ProviderNotConfigured(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "provider_not_configured",
                "The operator has not configured this app's OAuth client",
                detail,
            ),
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
            // Nobody reads this answer (the caller left); it exists for completeness.
            ToolCallError::Cancelled => Problem::new(
                StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
                "cancelled",
                "The caller cancelled the call",
                detail,
            ),
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
                    e if e.retry_later() => Problem::new(
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
