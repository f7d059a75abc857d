//! Connection health: the one place a connection becomes `needs_reauth` (with a reason and one
//! alert per incident), drifts in scope, or comes back after the user reconnects (alerts
//! resolved, parked jobs resumed). Transient failures never come here.

pub mod probe;

use serde::Serialize;

use crate::alerts;
use crate::app::App;
use crate::vault::alerts::NewAlert;
use crate::vault::audit::Event;
use crate::vault::{ConnectionRecord, ConnectionStatus, Owner, VaultError};

/// Why a connection needs its user again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The credential expired and cannot be renewed without the user.
    Expired,
    /// The grant or key was revoked (or refused as invalid).
    Revoked,
    /// The provider grants fewer scopes than the user consented to.
    ScopeChanged,
    /// The operator's OAuth client was rejected.
    InvalidClient,
}

impl Reason {
    /// The stored (and API) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Expired => "expired",
            Reason::Revoked => "revoked",
            Reason::ScopeChanged => "scope_changed",
            Reason::InvalidClient => "invalid_client",
        }
    }
}

fn alert_for(
    connection: &ConnectionRecord,
    reason: Reason,
    missing: Vec<String>,
    detail: Option<String>,
) -> NewAlert {
    NewAlert {
        connection_id: connection.id.clone(),
        connector_id: connection.connector_id.clone(),
        owner: connection.owner.clone(),
        reason: reason.as_str().into(),
        missing_scopes: missing,
        detail,
    }
}

/// Mark `connection` as needing re-authentication and raise one alert for the incident.
pub async fn needs_reauth(
    app: &App,
    connection: &ConnectionRecord,
    reason: Reason,
    detail: Option<String>,
) -> Result<(), VaultError> {
    app.vault
        .connections()
        .set_status(
            &connection.id,
            ConnectionStatus::NeedsReauth,
            Some(reason.as_str()),
        )
        .await?;
    if alerts::open(
        app,
        alert_for(connection, reason, Vec::new(), detail.clone()),
    )
    .await?
    .is_some()
    {
        crate::audit::record(
            app,
            Event {
                event: "needs_reauth".into(),
                user_id: Some(connection.owner.id().to_string()),
                connector: Some(connection.connector_id.clone()),
                connection: Some(connection.id.clone()),
                outcome: reason.as_str().into(),
                detail,
                ..Default::default()
            },
        )
        .await;
    }
    Ok(())
}

/// The provider stopped granting `lost`: record it and alert, leaving the connection usable for
/// the tools whose scopes remain.
pub async fn scope_drift(
    app: &App,
    connection: &ConnectionRecord,
    lost: &[String],
) -> Result<(), VaultError> {
    tracing::warn!(connection = %connection.id, connector = %connection.connector_id, lost = ?lost, "scope drift: the provider no longer grants some scopes");
    app.vault
        .connections()
        .record_lost_scopes(&connection.id, lost)
        .await?;
    alerts::open(
        app,
        alert_for(connection, Reason::ScopeChanged, lost.to_vec(), None),
    )
    .await?;
    Ok(())
}

/// The user (re)connected: resolve the connection's alerts and resume jobs parked on it.
pub async fn connected(app: &App, connection: &ConnectionRecord) -> Result<(), VaultError> {
    alerts::resolve(app, &connection.id).await?;
    let connector = connection.connector_id.clone();
    let users = match &connection.owner {
        Owner::User(u) => vec![u.clone()],
        // A shared connection may unblock any of the users parked on this connector; those it
        // does not cover simply park again.
        Owner::Group(_) => app.vault.jobs().blocked_users(&connector).await?,
    };
    let resumed = app.vault.jobs().resume(&connector, &users).await?;
    if resumed > 0 {
        tracing::info!(connection = %connection.id, resumed, "resuming jobs parked on this connection");
        app.jobs_wake.notify_waiters();
        app.jobs_changed.notify_waiters();
    }
    Ok(())
}
