//! Operator API for provider configs: the OAuth client the gateway uses per connector.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::AdminCaller;
use super::problem::Problem;
use crate::app::App;
use crate::auth::oauth::provider::scheme_of;
use crate::clock::now_ms;
use crate::vault::catalog::ProviderConfig;

/// Body of `PUT /v1/admin/providers/{connector}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutProvider {
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub scopes: Option<Vec<String>>,
    pub issuer: Option<String>,
}

fn public(config: &ProviderConfig) -> Value {
    json!({
        "connector": config.connector_id,
        "client_id": config.client_id,
        "has_client_secret": config.client_secret.is_some(),
        "scopes": config.scopes,
        "issuer": config.issuer,
        "updated_at": config.updated_at,
    })
}

/// `PUT /v1/admin/providers/{connector}`: set the OAuth client (secret sealed in the vault).
pub async fn put(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(connector): Path<String>,
    JsonBody(body): JsonBody<PutProvider>,
) -> Result<Json<Value>, Problem> {
    let plugin = app.registry.get(&connector).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "connector_not_found",
            "No such connector",
            format!("no connector {connector:?} is loaded"),
        )
    })?;
    if scheme_of(&plugin).is_none() {
        return Err(Problem::invalid_request(format!(
            "connector {connector:?} does not use OAuth"
        )));
    }
    if body.client_id.trim().is_empty()
        || body.client_id.len() > 512
        || body.client_id.chars().any(char::is_control)
    {
        return Err(Problem::invalid_request(
            "client_id must be 1..512 printable characters",
        ));
    }
    if let Some(s) = &body.scopes
        && s.iter()
            .any(|x| x.is_empty() || x.contains(char::is_whitespace))
    {
        return Err(Problem::invalid_request(
            "scopes must be non-empty strings without spaces",
        ));
    }
    let config = ProviderConfig {
        connector_id: connector.clone(),
        client_id: body.client_id,
        client_secret: body.client_secret,
        scopes: body.scopes,
        issuer: body.issuer,
        updated_at: now_ms(),
    };
    let shown = public(&config);
    app.vault
        .catalog()
        .put_provider(config)
        .await
        .map_err(Problem::from)?;
    tracing::info!(admin = %admin.id, connector = %connector, "provider config set");
    Ok(Json(shown))
}

/// `GET /v1/admin/providers`: every configured client (secrets never shown).
pub async fn list(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
) -> Result<Json<Value>, Problem> {
    let all = app
        .vault
        .catalog()
        .list_providers()
        .await
        .map_err(Problem::from)?;
    Ok(Json(
        json!({ "providers": all.iter().map(public).collect::<Vec<_>>() }),
    ))
}

/// `DELETE /v1/admin/providers/{connector}`.
pub async fn delete(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    Path(connector): Path<String>,
) -> Result<StatusCode, Problem> {
    if app
        .vault
        .catalog()
        .delete_provider(&connector)
        .await
        .map_err(Problem::from)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            "provider_not_found",
            "No such provider config",
            format!("no provider config for {connector:?}"),
        ))
    }
}
