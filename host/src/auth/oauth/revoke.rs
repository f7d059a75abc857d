//! Disconnecting: revoke the grant upstream (RFC 7009) when the connector declares how, then
//! delete every local secret whatever the provider answered.

use oauth2::{AccessToken, RefreshToken, StandardRevocableToken};
use secrecy::ExposeSecret;

use super::http::TokenHttp;
use super::provider;
use crate::app::App;
use crate::vault::{ConnectionRecord, SchemeKind, SecretField, VaultError};

/// What happened upstream when a connection was deleted.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upstream {
    /// The provider confirmed the revocation.
    Revoked,
    /// The connector declares no revocation endpoint (or the scheme has none).
    NotSupported,
    /// The provider could not be asked or refused; local secrets were deleted anyway.
    Failed(String),
}

async fn revoke_upstream(app: &App, connection: &ConnectionRecord) -> Upstream {
    if connection.scheme != SchemeKind::Oauth2 {
        return Upstream::NotSupported;
    }
    let Some(plugin) = app.registry.get(&connection.connector_id) else {
        return Upstream::Failed("the connector is not loaded".into());
    };
    if provider::scheme_of(&plugin).is_none() {
        return Upstream::NotSupported;
    }
    let resolved = match provider::resolve(app, &plugin).await {
        Ok(r) => r,
        Err(e) => return Upstream::Failed(e.to_string()),
    };
    let Some(revoke_url) = resolved.revoke_url.clone() else {
        return Upstream::NotSupported;
    };
    // Revoking the refresh token ends the whole grant at RFC 7009 servers.
    let token = match app
        .vault
        .connections()
        .read_secret(&connection.id, SecretField::RefreshToken)
        .await
    {
        Ok(Some(r)) => {
            StandardRevocableToken::RefreshToken(RefreshToken::new(r.expose_secret().to_string()))
        }
        _ => match app
            .vault
            .connections()
            .read_secret(&connection.id, SecretField::AccessToken)
            .await
        {
            Ok(Some(a)) => {
                StandardRevocableToken::AccessToken(AccessToken::new(a.expose_secret().to_string()))
            }
            _ => return Upstream::Failed("no token to revoke".into()),
        },
    };
    let http = match TokenHttp::new(
        &app.egress,
        &[&revoke_url],
        resolved.scheme.token_response.clone(),
        resolved.separator(),
    ) {
        Ok(h) => h,
        Err(e) => return Upstream::Failed(e),
    };
    let client = match resolved.client(None) {
        Ok(c) => c,
        Err(e) => return Upstream::Failed(e.to_string()),
    };
    let request = match client.revoke_token(token) {
        Ok(r) => r,
        Err(e) => return Upstream::Failed(e.to_string()),
    };
    match request.request_async(&http).await {
        Ok(()) => Upstream::Revoked,
        Err(e) => Upstream::Failed(format!("{e}")),
    }
}

/// Revoke upstream if possible, then delete the connection and its secrets.
pub async fn disconnect(app: &App, connection: &ConnectionRecord) -> Result<Upstream, VaultError> {
    let upstream = revoke_upstream(app, connection).await;
    match &upstream {
        Upstream::Failed(reason) => {
            tracing::warn!(connection = %connection.id, %reason, "upstream revocation failed; deleting locally anyway")
        }
        other => tracing::info!(connection = %connection.id, upstream = ?other, "disconnecting"),
    }
    app.vault.connections().delete(&connection.id).await?;
    crate::audit::record(
        app,
        crate::vault::audit::Event {
            event: "disconnect".into(),
            user_id: Some(connection.owner.id().to_string()),
            connector: Some(connection.connector_id.clone()),
            connection: Some(connection.id.clone()),
            outcome: "ok".into(),
            detail: Some(format!("upstream: {upstream:?}")),
            ..Default::default()
        },
    )
    .await;
    Ok(upstream)
}
