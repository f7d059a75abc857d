//! One tool call, end to end: resolve the tool, validate the input, pick the connection (own,
//! then shared), check scopes, keep tokens fresh, build the credential, run the plugin with
//! egress bound to that credential; refresh once and retry once if the upstream says expired.

pub mod credential;
pub mod deployment;
pub mod error;
pub mod outbound;
pub mod select;
pub mod tap;

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use error::ToolCallError;

use crate::app::App;
use crate::auth::connect::{self, ConnectLink};
use crate::auth::oauth::provider::scheme_of;
use crate::auth::oauth::refresh::{self, RefreshError};
use crate::health::{self, Reason};
use crate::plugin::{AuthError, CallContext, CallError, LoadedPlugin, ToolSpec};
use crate::policy::{ToolScope, consent_scopes};
use crate::vault::audit;
use crate::vault::{ConnectionRecord, ConnectionStatus, Owner, SchemeKind};

use credential::CredentialError;
use outbound::CallOutbound;

/// A request to run one tool for one user.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// Agent-facing name: `<connector>_<tool>`.
    pub tool: String,
    pub user_id: String,
    pub input: Value,
    /// What the caller may use (its packs).
    pub scope: ToolScope,
    /// The agent key accountable for the call (for the audit log).
    pub actor: String,
    /// Cancelled when the caller gives up (MCP `notifications/cancelled`): the call stops, its
    /// plugin may send no further request, and the audit log says `cancelled`.
    pub cancel: CancellationToken,
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

/// The scopes `tool` needs that `connection` was not granted. API keys and basic credentials
/// carry no OAuth scopes: the upstream's own permissions on the key decide.
pub fn missing_scopes(tool: &ToolSpec, connection: &ConnectionRecord) -> Vec<String> {
    if matches!(connection.scheme, SchemeKind::ApiKey | SchemeKind::Basic) {
        return Vec::new();
    }
    tool.required_scopes
        .iter()
        .filter(|s| !connection.granted_scopes.contains(s))
        .cloned()
        .collect()
}

/// A link for the connection's owner to (re)connect, asking for `scopes` (empty: defaults).
/// When no user could finish it (an OAuth app whose client the operator never configured),
/// the answer is `provider_not_configured` rather than a link to a dead end.
async fn link_for(
    app: &App,
    plugin: &LoadedPlugin,
    owner: &Owner,
    scopes: Vec<String>,
) -> Result<ConnectLink, ToolCallError> {
    crate::auth::connectable::check(app, plugin).await?;
    Ok(connect::find_or_create(app, &plugin.manifest.id, owner.clone(), scopes).await?)
}

/// Scopes for an incremental-consent link: just the missing ones where the provider keeps
/// earlier grants (`include_granted_scopes`), otherwise everything the connection needs.
fn incremental_scopes(
    plugin: &LoadedPlugin,
    connection: &ConnectionRecord,
    missing: &[String],
) -> Vec<String> {
    let keeps_grants = scheme_of(plugin).is_some_and(|s| s.include_granted_scopes);
    let mut scopes: Vec<String> = if keeps_grants {
        Vec::new()
    } else {
        connection.granted_scopes.clone()
    };
    for m in missing {
        if !scopes.contains(m) {
            scopes.push(m.clone());
        }
    }
    scopes
}

async fn reauth(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    connection: &ConnectionRecord,
    reason: String,
) -> ToolCallError {
    let link = match connection.scheme {
        // Keep asking for what the connection had.
        SchemeKind::Oauth2 | SchemeKind::ApiKey | SchemeKind::Basic => link_for(
            app,
            plugin,
            &connection.owner,
            connection.granted_scopes.clone(),
        )
        .await
        .ok(),
        // Service accounts are fixed by the operator, not reconnected by a user.
        SchemeKind::ServiceAccount => None,
    };
    ToolCallError::ReauthorizationRequired {
        plugin: plugin.clone(),
        connection_id: connection.id.clone(),
        reason,
        link,
    }
}

async fn refreshed(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    connection: &ConnectionRecord,
    force: bool,
) -> Result<ConnectionRecord, ToolCallError> {
    match refresh::ensure_fresh(app, plugin, connection, force).await {
        Ok(c) => Ok(c),
        Err(RefreshError::NeedsReauth(reason)) => {
            Err(reauth(app, plugin, connection, reason).await)
        }
        Err(RefreshError::Transient { retry_after }) => {
            Err(ToolCallError::TokenRefreshUnavailable { retry_after })
        }
        Err(RefreshError::Provider(e)) => Err(e.into()),
        Err(RefreshError::Vault(e)) => Err(e.into()),
    }
}

/// Run `call` and record it in the audit log. A request that names no tool or breaks the
/// tool's schema is refused first and leaves no trace (it changes nothing and uses no
/// credential); everything from the policy decision on is recorded, refusals and
/// cancellations included.
pub async fn run(app: &App, call: ToolCall) -> Result<ToolOutput, ToolCallError> {
    let (plugin, tool) = app
        .registry
        .resolve_tool(&call.tool)
        .ok_or_else(|| ToolCallError::ToolNotFound(call.tool.clone()))?;
    let allowed = call.scope.allows(&call.tool);
    if allowed {
        plugin
            .validate_input(&tool.name, &call.input)
            .map_err(ToolCallError::InvalidInput)?;
    }
    let result = if allowed {
        tokio::select! {
            r = run_unaudited(app, &call, plugin.clone(), tool.clone()) => r,
            () = call.cancel.cancelled() => Err(ToolCallError::Cancelled),
        }
    } else {
        Err(ToolCallError::ToolNotAllowed(call.tool.clone()))
    };
    let (outcome, connection) = match &result {
        Ok(out) => ("ok".to_string(), Some(out.connection.id.clone())),
        Err(e) => (e.code().to_string(), e.connection_id().map(str::to_string)),
    };
    let event = audit::Event {
        event: "tool_call".into(),
        actor: Some(call.actor.clone()),
        user_id: Some(call.user_id.clone()),
        connector: Some(plugin.manifest.id.clone()),
        tool: Some(call.tool.clone()),
        connection,
        scopes: tool.required_scopes.clone(),
        outcome,
        detail: None,
    };
    crate::audit::record(app, event).await;
    result
}

async fn run_unaudited(
    app: &App,
    call: &ToolCall,
    plugin: Arc<LoadedPlugin>,
    tool: ToolSpec,
) -> Result<ToolOutput, ToolCallError> {
    let Some(mut connection) =
        select::connection_for(app, &plugin.manifest.id, &call.user_id).await?
    else {
        let scopes = consent_scopes(
            &app.registry,
            &call.scope,
            &plugin.manifest.id,
            &tool.required_scopes,
        );
        let link = link_for(app, &plugin, &Owner::User(call.user_id.clone()), scopes).await?;
        return Err(ToolCallError::AuthorizationRequired {
            plugin: plugin.clone(),
            user: call.user_id.clone(),
            link,
        });
    };
    if connection.status != ConnectionStatus::Active {
        let reason = connection
            .status_reason
            .clone()
            .unwrap_or_else(|| "revoked".into());
        return Err(reauth(app, &plugin, &connection, reason).await);
    }
    let missing = missing_scopes(&tool, &connection);
    if !missing.is_empty() {
        let scopes = incremental_scopes(&plugin, &connection, &missing);
        let link = link_for(app, &plugin, &connection.owner, scopes).await.ok();
        return Err(ToolCallError::InsufficientScope {
            plugin: plugin.clone(),
            connection_id: connection.id.clone(),
            missing,
            link,
        });
    }
    connection = refreshed(app, &plugin, &connection, false).await?;
    tracing::info!(connection = %connection.id, owner = ?connection.owner, "using connection");

    let mut retried = false;
    loop {
        let result = invoke(app, &plugin, &tool, call, &connection).await?;
        match result {
            Ok(output) => {
                return Ok(ToolOutput {
                    output,
                    connection: UsedConnection {
                        id: connection.id.clone(),
                        owner: connection.owner.clone(),
                    },
                });
            }
            // One refresh and one retry when the upstream says the token expired.
            Err(CallError::Auth(AuthError::Expired))
                if !retried
                    && matches!(
                        connection.scheme,
                        SchemeKind::Oauth2 | SchemeKind::ServiceAccount
                    ) =>
            {
                retried = true;
                tracing::info!(connection = %connection.id, "upstream says the token expired: refreshing once");
                connection = refreshed(app, &plugin, &connection, true).await?;
            }
            Err(e) => return Err(call_error(app, &plugin, &connection, e).await),
        }
    }
}

async fn invoke(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    tool: &ToolSpec,
    call: &ToolCall,
    connection: &ConnectionRecord,
) -> Result<Result<Value, CallError>, ToolCallError> {
    let credential =
        match credential::for_connection(&app.vault, &plugin.manifest, connection).await {
            Ok(c) => c,
            Err(CredentialError::Vault(e)) => return Err(e.into()),
            Err(e) => return Err(reauth(app, plugin, connection, e.to_string()).await),
        };
    let outbound = tap::observed(
        app,
        &plugin.manifest.id,
        Arc::new(
            CallOutbound::new(
                app.egress.clone(),
                deployment::allow(app, plugin),
                Some(credential),
                tokio::runtime::Handle::current(),
                app.config.egress.max_requests_per_call,
            )
            .cancelled_by(call.cancel.clone()),
        ),
    );
    let ctx = CallContext {
        user_id: call.user_id.clone(),
        connection_id: connection.id.clone(),
        metadata: connection.metadata.clone(),
        granted_scopes: connection.granted_scopes.clone(),
    };
    let ctx = deployment::context(app, plugin, &ctx);
    Ok(app
        .runtime
        .call_tool(plugin, &ctx, &tool.name, call.input.to_string(), outbound)
        .await?)
}

async fn call_error(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    connection: &ConnectionRecord,
    e: CallError,
) -> ToolCallError {
    match e {
        CallError::InvalidInput(m) => ToolCallError::InvalidInput(vec![m]),
        CallError::Auth(AuthError::InsufficientScope(missing)) => {
            let scopes = incremental_scopes(plugin, connection, &missing);
            let link = link_for(app, plugin, &connection.owner, scopes).await.ok();
            ToolCallError::InsufficientScope {
                plugin: plugin.clone(),
                connection_id: connection.id.clone(),
                missing,
                link,
            }
        }
        CallError::Auth(e @ (AuthError::Expired | AuthError::Revoked | AuthError::Invalid(_))) => {
            // The upstream refused the credential (after one refresh for OAuth): only the user
            // can fix it. Mark it, alert once, and hand back a link.
            let (reason, text) = match &e {
                AuthError::Expired => (Reason::Expired, "expired".to_string()),
                AuthError::Revoked => (Reason::Revoked, "revoked".to_string()),
                AuthError::Invalid(m) => (
                    Reason::Revoked,
                    format!("the upstream rejected the credential: {m}"),
                ),
                AuthError::InsufficientScope(_) => (Reason::Revoked, "revoked".to_string()),
            };
            if let Err(err) =
                health::needs_reauth(app, connection, reason, Some(text.clone())).await
            {
                tracing::error!(connection = %connection.id, error = %err, "cannot record needs_reauth");
            }
            reauth(app, plugin, connection, text).await
        }
        CallError::Upstream { status, message } => ToolCallError::Upstream { status, message },
        CallError::RateLimited { retry_after_secs } => {
            ToolCallError::RateLimited { retry_after_secs }
        }
        CallError::Internal(m) => ToolCallError::ConnectorError(m),
    }
}

/// Ask a connector who `credentials` belong to (its `verify`), through the same egress path a
/// tool call takes.
pub async fn verify_with(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    credentials: credential::CallCredentials,
    ctx: &CallContext,
) -> Result<Result<crate::plugin::Identity, CallError>, crate::plugin::CallFailure> {
    let outbound = tap::observed(
        app,
        &plugin.manifest.id,
        Arc::new(CallOutbound::new(
            app.egress.clone(),
            deployment::allow(app, plugin),
            Some(credentials),
            tokio::runtime::Handle::current(),
            app.config.egress.max_requests_per_call,
        )),
    );
    let ctx = deployment::context(app, plugin, ctx);
    app.runtime.verify(plugin, &ctx, outbound).await
}
