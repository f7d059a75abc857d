//! One tool call, end to end: resolve the tool, validate the input, find the user's
//! connection, build the credential, run the plugin with egress bound to that credential.

pub mod credential;
pub mod outbound;

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::app::App;
use crate::plugin::{AuthError, CallContext, CallError, CallFailure, LoadedPlugin, ToolSpec};
use crate::vault::{ConnectionRecord, ConnectionStatus, Owner, VaultError};

use credential::CredentialError;
use outbound::CallOutbound;

/// A request to run one tool for one user.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// Agent-facing name: `<connector>_<tool>`.
    pub tool: String,
    pub user_id: String,
    pub input: Value,
}

/// Which stored credential a call used (never the credential itself).
#[derive(Debug, Clone, Serialize)]
pub struct UsedConnection {
    pub id: String,
    pub owner: Owner,
}

/// A successful call.
#[derive(Debug, Clone, Serialize)]
pub struct ToolOutput {
    pub output: Value,
    pub connection: UsedConnection,
}

/// Why a call did not produce output. Each maps to one stable problem type.
#[derive(Debug, thiserror::Error)]
pub enum ToolCallError {
    #[error("no tool named {0:?}")]
    ToolNotFound(String),
    #[error("the input does not match the tool's schema")]
    InvalidInput(Vec<String>),
    #[error("user {user:?} has not connected {}", .plugin.manifest.id)]
    AuthorizationRequired {
        plugin: Arc<LoadedPlugin>,
        user: String,
    },
    #[error("the {connector} connection must be re-authorized: {reason}")]
    ReauthorizationRequired {
        plugin: Arc<LoadedPlugin>,
        connector: String,
        connection_id: String,
        reason: String,
    },
    #[error("the connection lacks scopes {missing:?}")]
    InsufficientScope {
        plugin: Arc<LoadedPlugin>,
        connection_id: String,
        missing: Vec<String>,
    },
    #[error("the upstream API answered {status}: {message}")]
    Upstream { status: u16, message: String },
    #[error("the upstream API is rate limiting")]
    RateLimited { retry_after_secs: Option<u32> },
    #[error("the connector reported an error: {0}")]
    ConnectorError(String),
    #[error(transparent)]
    PluginFailed(#[from] CallFailure),
    #[error(transparent)]
    Storage(#[from] VaultError),
}

impl ToolCallError {
    fn reauth(
        plugin: &Arc<LoadedPlugin>,
        connection: &ConnectionRecord,
        reason: impl Into<String>,
    ) -> Self {
        ToolCallError::ReauthorizationRequired {
            plugin: plugin.clone(),
            connector: plugin.manifest.id.clone(),
            connection_id: connection.id.clone(),
            reason: reason.into(),
        }
    }
}

/// The scopes `tool` needs that `connection` was not granted. API keys and basic credentials
/// carry no OAuth scopes: the upstream's own permissions on the key decide.
pub fn missing_scopes(tool: &ToolSpec, connection: &ConnectionRecord) -> Vec<String> {
    use crate::vault::SchemeKind;
    if matches!(connection.scheme, SchemeKind::ApiKey | SchemeKind::Basic) {
        return Vec::new();
    }
    tool.required_scopes
        .iter()
        .filter(|s| !connection.granted_scopes.contains(s))
        .cloned()
        .collect()
}

/// Run `call`. Nothing is written to storage on any error path of this function.
pub async fn run(app: &App, call: ToolCall) -> Result<ToolOutput, ToolCallError> {
    let (plugin, tool) = app
        .registry
        .resolve_tool(&call.tool)
        .ok_or_else(|| ToolCallError::ToolNotFound(call.tool.clone()))?;
    plugin
        .validate_input(&tool.name, &call.input)
        .map_err(ToolCallError::InvalidInput)?;

    let connector = plugin.manifest.id.clone();
    let owner = Owner::User(call.user_id.clone());
    let connection = app
        .vault
        .find_connection(&connector, &owner)
        .await?
        .ok_or_else(|| ToolCallError::AuthorizationRequired {
            plugin: plugin.clone(),
            user: call.user_id.clone(),
        })?;
    match connection.status {
        ConnectionStatus::Active => {}
        ConnectionStatus::NeedsReauth | ConnectionStatus::Revoked => {
            let reason = connection
                .status_reason
                .clone()
                .unwrap_or_else(|| "revoked".into());
            return Err(ToolCallError::reauth(&plugin, &connection, reason));
        }
    }
    let missing = missing_scopes(&tool, &connection);
    if !missing.is_empty() {
        return Err(ToolCallError::InsufficientScope {
            plugin: plugin.clone(),
            connection_id: connection.id.clone(),
            missing,
        });
    }

    let credential =
        match credential::for_connection(&app.vault, &plugin.manifest, &connection).await {
            Ok(c) => c,
            Err(CredentialError::Vault(e)) => return Err(e.into()),
            Err(e) => return Err(ToolCallError::reauth(&plugin, &connection, e.to_string())),
        };
    let outbound = Arc::new(CallOutbound::new(
        app.egress.clone(),
        plugin.allow.clone(),
        Some(credential),
        tokio::runtime::Handle::current(),
        app.config.egress.max_requests_per_call,
    ));
    let ctx = CallContext {
        user_id: call.user_id.clone(),
        connection_id: connection.id.clone(),
        metadata: connection.metadata.clone(),
        granted_scopes: connection.granted_scopes.clone(),
    };
    let input = call.input.to_string();
    let result = app
        .runtime
        .call_tool(&plugin, &ctx, &tool.name, input, outbound)
        .await?;
    let used = UsedConnection {
        id: connection.id.clone(),
        owner: connection.owner.clone(),
    };
    match result {
        Ok(output) => Ok(ToolOutput {
            output,
            connection: used,
        }),
        Err(CallError::InvalidInput(m)) => Err(ToolCallError::InvalidInput(vec![m])),
        Err(CallError::Auth(AuthError::InsufficientScope(missing))) => {
            Err(ToolCallError::InsufficientScope {
                plugin: plugin.clone(),
                connection_id: connection.id.clone(),
                missing,
            })
        }
        Err(CallError::Auth(AuthError::Expired)) => {
            Err(ToolCallError::reauth(&plugin, &connection, "expired"))
        }
        Err(CallError::Auth(AuthError::Revoked)) => {
            Err(ToolCallError::reauth(&plugin, &connection, "revoked"))
        }
        Err(CallError::Auth(AuthError::Invalid(m))) => Err(ToolCallError::reauth(
            &plugin,
            &connection,
            format!("the upstream rejected the credential: {m}"),
        )),
        Err(CallError::Upstream { status, message }) => {
            Err(ToolCallError::Upstream { status, message })
        }
        Err(CallError::RateLimited { retry_after_secs }) => {
            Err(ToolCallError::RateLimited { retry_after_secs })
        }
        Err(CallError::Internal(m)) => Err(ToolCallError::ConnectorError(m)),
    }
}
