//! Why a tool call did not produce output. Each variant maps to one stable problem type.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::connect::{ConnectLink, LinkError};
use crate::auth::oauth::provider::ProviderError;
use crate::plugin::{CallFailure, LoadedPlugin};
use crate::vault::VaultError;

/// A tool call's failure.
#[derive(Debug, thiserror::Error)]
pub enum ToolCallError {
    #[error("no tool named {0:?}")]
    ToolNotFound(String),
    #[error("tool {0:?} is not in this caller's tool packs")]
    ToolNotAllowed(String),
    #[error("the input does not match the tool's schema")]
    InvalidInput(Vec<String>),
    #[error("user {user:?} has not connected {}", .plugin.manifest.id)]
    AuthorizationRequired {
        plugin: Arc<LoadedPlugin>,
        user: String,
        link: ConnectLink,
    },
    #[error("the {} connection must be re-authorized: {reason}", .plugin.manifest.id)]
    ReauthorizationRequired {
        plugin: Arc<LoadedPlugin>,
        connection_id: String,
        reason: String,
        link: Option<ConnectLink>,
    },
    #[error("the connection lacks scopes {missing:?}")]
    InsufficientScope {
        plugin: Arc<LoadedPlugin>,
        connection_id: String,
        missing: Vec<String>,
        link: Option<ConnectLink>,
    },
    #[error("the app's authorization server is unavailable; the stored token was kept")]
    TokenRefreshUnavailable { retry_after: Duration },
    #[error("{0}")]
    ProviderNotConfigured(String),
    #[error("the upstream API answered {status}: {message}")]
    Upstream { status: u16, message: String },
    #[error("the upstream API is rate limiting")]
    RateLimited { retry_after_secs: Option<u32> },
    #[error("the connector reported an error: {0}")]
    ConnectorError(String),
    #[error("the caller cancelled the call")]
    Cancelled,
    #[error(transparent)]
    PluginFailed(#[from] CallFailure),
    #[error(transparent)]
    Storage(#[from] VaultError),
}

impl From<LinkError> for ToolCallError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Vault(v) => ToolCallError::Storage(v),
            other => ToolCallError::Storage(VaultError::Malformed(other.to_string())),
        }
    }
}

impl From<crate::auth::connectable::NotConnectable> for ToolCallError {
    fn from(e: crate::auth::connectable::NotConnectable) -> Self {
        match e {
            crate::auth::connectable::NotConnectable::Provider(p) => p.into(),
            other => ToolCallError::ProviderNotConfigured(other.to_string()),
        }
    }
}

impl From<ProviderError> for ToolCallError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Vault(v) => ToolCallError::Storage(v),
            other => ToolCallError::ProviderNotConfigured(other.to_string()),
        }
    }
}

impl ToolCallError {
    /// The stable problem code (also what the audit log records as the outcome).
    pub fn code(&self) -> &'static str {
        match self {
            ToolCallError::ToolNotFound(_) => "tool_not_found",
            ToolCallError::ToolNotAllowed(_) => "tool_not_allowed",
            ToolCallError::InvalidInput(_) => "invalid_input",
            ToolCallError::AuthorizationRequired { .. } => "authorization_required",
            ToolCallError::ReauthorizationRequired { .. } => "reauthorization_required",
            ToolCallError::InsufficientScope { .. } => "insufficient_scope",
            ToolCallError::TokenRefreshUnavailable { .. } => "token_refresh_unavailable",
            ToolCallError::ProviderNotConfigured(_) => "provider_not_configured",
            ToolCallError::Upstream { .. } => "upstream_error",
            ToolCallError::RateLimited { .. } => "rate_limited",
            ToolCallError::ConnectorError(_) => "connector_error",
            ToolCallError::Cancelled => "cancelled",
            ToolCallError::PluginFailed(CallFailure::Busy) => "connector_busy",
            ToolCallError::PluginFailed(_) => "plugin_failed",
            ToolCallError::Storage(_) => "storage_unavailable",
        }
    }

    /// The connection involved, when one was.
    pub fn connection_id(&self) -> Option<&str> {
        match self {
            ToolCallError::ReauthorizationRequired { connection_id, .. }
            | ToolCallError::InsufficientScope { connection_id, .. } => Some(connection_id),
            _ => None,
        }
    }

    /// The connector involved, when known.
    pub fn connector(&self) -> Option<&str> {
        match self {
            ToolCallError::AuthorizationRequired { plugin, .. }
            | ToolCallError::ReauthorizationRequired { plugin, .. }
            | ToolCallError::InsufficientScope { plugin, .. } => Some(&plugin.manifest.id),
            _ => None,
        }
    }
}
