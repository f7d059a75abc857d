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

impl From<ProviderError> for ToolCallError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Vault(v) => ToolCallError::Storage(v),
            other => ToolCallError::ProviderNotConfigured(other.to_string()),
        }
    }
}
