//! Health probes: on a schedule (per connector), ask each active connection's connector who
//! the credential belongs to (`verify`), and refresh tokens ahead of expiry, so a revoked
//! connection is found before a job hits it.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{Reason, needs_reauth, scope_drift};
use crate::app::App;
use crate::auth::oauth::refresh::{self, RefreshError};
use crate::clock::now_ms;
use crate::plugin::{AuthError, CallContext, CallError};
use crate::toolcall::{credential, verify_with};
use crate::vault::{ConnectionRecord, SchemeKind, VaultError};

/// What one probe found.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Healthy {
        account: String,
    },
    NeedsReauth {
        reason: String,
    },
    ScopeChanged {
        missing: Vec<String>,
    },
    /// Could not tell (the provider or the connector is having trouble); nothing changed.
    Inconclusive {
        detail: String,
    },
}

/// Probe due connections every `[health] tick_seconds`.
pub fn spawn(app: Arc<App>) {
    let tick = Duration::from_secs(app.config.health.tick_seconds.max(1));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(tick).await;
            if let Err(e) = round(&app).await {
                tracing::error!(error = %e, "health probe round failed");
            }
        }
    });
}

async fn round(app: &App) -> Result<(), VaultError> {
    let candidates = app.vault.connections().probe_candidates().await?;
    let now = now_ms();
    for (connection, probed_at) in candidates {
        let interval = app.config.probe_interval_for(&connection.connector_id);
        let probe_due = interval > 0
            && probed_at.is_none_or(|at| {
                now - at >= i64::try_from(interval.saturating_mul(1000)).unwrap_or(i64::MAX)
            });
        if probe_due {
            let outcome = probe(app, &connection).await?;
            tracing::info!(connection = %connection.id, outcome = ?outcome, "health probe");
        } else if refresh::due(&connection, now)
            && let Some(plugin) = app.registry.get(&connection.connector_id)
        {
            // Refresh ahead of expiry; failures are classified (and alerted) by the refresher.
            let _ = refresh::ensure_fresh(app, &plugin, &connection, false).await;
        }
    }
    Ok(())
}

fn reason_of(e: &AuthError) -> Reason {
    match e {
        AuthError::Expired => Reason::Expired,
        AuthError::Revoked | AuthError::Invalid(_) | AuthError::InsufficientScope(_) => {
            Reason::Revoked
        }
    }
}

/// Probe one connection now.
pub async fn probe(app: &App, connection: &ConnectionRecord) -> Result<Outcome, VaultError> {
    let Some(plugin) = app.registry.get(&connection.connector_id) else {
        return Ok(Outcome::Inconclusive {
            detail: "the connector is not loaded".into(),
        });
    };
    app.vault
        .connections()
        .mark_probed(&connection.id, now_ms())
        .await?;
    let refreshable = matches!(
        connection.scheme,
        SchemeKind::Oauth2 | SchemeKind::ServiceAccount
    );
    let mut current = connection.clone();
    let mut refreshed = false;
    loop {
        if refreshable {
            match refresh::ensure_fresh(app, &plugin, &current, refreshed).await {
                Ok(c) => current = c,
                Err(RefreshError::NeedsReauth(reason)) => {
                    return Ok(Outcome::NeedsReauth { reason });
                }
                Err(e) => {
                    return Ok(Outcome::Inconclusive {
                        detail: e.to_string(),
                    });
                }
            }
        }
        let credentials =
            match credential::for_connection(&app.vault, &plugin.manifest, &current).await {
                Ok(c) => c,
                Err(e) => {
                    return Ok(Outcome::Inconclusive {
                        detail: e.to_string(),
                    });
                }
            };
        let ctx = CallContext {
            user_id: current.owner.id().to_string(),
            connection_id: current.id.clone(),
            metadata: current.metadata.clone(),
            granted_scopes: current.granted_scopes.clone(),
        };
        let result = verify_with(app, &plugin, credentials, &ctx).await;
        match result {
            Ok(Ok(identity)) => {
                return Ok(Outcome::Healthy {
                    account: identity.display_name.unwrap_or(identity.subject),
                });
            }
            Ok(Err(CallError::Auth(AuthError::Expired))) if refreshable && !refreshed => {
                refreshed = true
            }
            Ok(Err(CallError::Auth(AuthError::InsufficientScope(missing))))
                if !missing.is_empty() =>
            {
                scope_drift(app, &current, &missing).await?;
                return Ok(Outcome::ScopeChanged { missing });
            }
            Ok(Err(CallError::Auth(e))) => {
                let reason = reason_of(&e);
                needs_reauth(app, &current, reason, Some(format!("health probe: {e:?}"))).await?;
                return Ok(Outcome::NeedsReauth {
                    reason: reason.as_str().into(),
                });
            }
            Ok(Err(other)) => {
                return Ok(Outcome::Inconclusive {
                    detail: format!("{other:?}"),
                });
            }
            Err(failure) => {
                return Ok(Outcome::Inconclusive {
                    detail: failure.to_string(),
                });
            }
        }
    }
}
