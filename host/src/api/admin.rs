//! The operator API (admin key only): store credentials, manage agent keys (plugins: `plugins.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::AdminCaller;
use super::problem::Problem;
use super::tools::valid_principal_id;
use crate::app::App;
use crate::auth::api_keys;
use crate::plugin::{AuthScheme, LoadedPlugin, ServiceAccountKind};
use crate::vault::{ConnectionRecord, KeyKind, NewConnection, Owner, SchemeKind, SecretField};

/// A credential an operator stores directly: an API key (or personal token), username and
/// password, or a service account (RFC 7523 key, or client credentials).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "type")]
pub enum StaticCredential {
    ApiKey {
        key: SecretString,
    },
    Basic {
        username: String,
        password: SecretString,
    },
    ServiceAccount {
        client_email: String,
        private_key: SecretString,
        subject: Option<String>,
    },
    ClientCredentials {
        client_id: String,
        client_secret: SecretString,
    },
}

/// Body of `POST /v1/admin/connections`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutConnection {
    pub connector: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub credential: StaticCredential,
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// Check a static-credential request against the connector, and turn it into what the vault stores.
pub fn prepare_static_connection(
    app: &App,
    body: PutConnection,
) -> Result<(NewConnection, Vec<(SecretField, SecretString)>), Problem> {
    let plugin = app.registry.get(&body.connector).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "connector_not_found",
            "No such connector",
            format!("no connector {:?} is loaded", body.connector),
        )
    })?;
    let owner = match (body.user_id, body.group_id) {
        (Some(u), None) if valid_principal_id(&u) => Owner::User(u),
        (None, Some(g)) if valid_principal_id(&g) => Owner::Group(g),
        _ => {
            return Err(Problem::invalid_request(
                "give exactly one of user_id or group_id (1..256 printable characters)",
            ));
        }
    };
    let mut metadata = body.metadata;
    if metadata.len() > 32 || metadata.iter().any(|(k, v)| k.len() > 64 || v.len() > 1024) {
        return Err(Problem::invalid_request(
            "metadata: at most 32 entries, keys ≤ 64 and values ≤ 1024 bytes",
        ));
    }
    let (scheme, secrets) = match body.credential {
        StaticCredential::ApiKey { key } => {
            if !plugin
                .manifest
                .auth
                .iter()
                .any(|s| matches!(s, AuthScheme::ApiKey(_)))
            {
                return Err(Problem::invalid_request(format!(
                    "connector {:?} does not accept API keys",
                    plugin.manifest.id
                )));
            }
            (SchemeKind::ApiKey, vec![(SecretField::ApiKey, key)])
        }
        StaticCredential::Basic { username, password } => {
            if !plugin
                .manifest
                .auth
                .iter()
                .any(|s| matches!(s, AuthScheme::Basic(_)))
            {
                return Err(Problem::invalid_request(format!(
                    "connector {:?} does not accept basic credentials",
                    plugin.manifest.id
                )));
            }
            metadata.insert("username".into(), username);
            (SchemeKind::Basic, vec![(SecretField::Password, password)])
        }
        StaticCredential::ServiceAccount {
            client_email,
            private_key,
            subject,
        } => {
            let kind = service_account_kind(&plugin)?;
            if kind != ServiceAccountKind::JwtBearer {
                return Err(Problem::invalid_request(
                    "this connector's service accounts use client credentials",
                ));
            }
            crate::auth::oauth::jwt::check_key(&private_key)
                .map_err(|e| Problem::invalid_request(e.to_string()))?;
            metadata.insert("client_email".into(), client_email);
            if let Some(sub) = subject {
                metadata.insert("subject".into(), sub);
            }
            // Checked above; sealed like any other secret and never logged.
            (
                SchemeKind::ServiceAccount,
                vec![(SecretField::PrivateKey, private_key)],
            )
        }
        StaticCredential::ClientCredentials {
            client_id,
            client_secret,
        } => {
            if service_account_kind(&plugin)? != ServiceAccountKind::ClientCredentials {
                return Err(Problem::invalid_request(
                    "this connector's service accounts use a JWT key",
                ));
            }
            metadata.insert("client_id".into(), client_id);
            (
                SchemeKind::ServiceAccount,
                vec![(SecretField::ClientSecret, client_secret)],
            )
        }
    };
    for (_, secret) in &secrets {
        let s = secret.expose_secret();
        if s.is_empty()
            || s.len() > 16384
            || (s.chars().any(char::is_control) && !s.contains("PRIVATE KEY"))
        {
            return Err(Problem::invalid_request(
                "the credential must be 1..16384 printable characters",
            ));
        }
    }
    let granted_scopes = if scheme == SchemeKind::ServiceAccount {
        service_account_scopes(&plugin, body.granted_scopes)
    } else {
        body.granted_scopes
    };
    Ok((
        NewConnection {
            connector_id: plugin.manifest.id.clone(),
            owner,
            scheme,
            granted_scopes,
            metadata,
            expires_at: None,
        },
        secrets,
    ))
}

/// What a service account is granted: what the operator says, else what the connector's
/// service-account scheme asks for.
fn service_account_scopes(plugin: &LoadedPlugin, given: Vec<String>) -> Vec<String> {
    if !given.is_empty() {
        return given;
    }
    plugin
        .manifest
        .auth
        .iter()
        .find_map(|s| match s {
            AuthScheme::ServiceAccount(a) => Some(a.scopes.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn service_account_kind(plugin: &LoadedPlugin) -> Result<ServiceAccountKind, Problem> {
    plugin
        .manifest
        .auth
        .iter()
        .find_map(|s| match s {
            AuthScheme::ServiceAccount(a) => Some(a.kind),
            _ => None,
        })
        .ok_or_else(|| {
            Problem::invalid_request(format!(
                "connector {:?} does not accept service accounts",
                plugin.manifest.id
            ))
        })
}

/// `POST /v1/admin/connections`: store an API key, basic credential or service account for a
/// user or group.
pub async fn put_connection(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    JsonBody(body): JsonBody<PutConnection>,
) -> Result<(StatusCode, Json<ConnectionRecord>), Problem> {
    let (new, secrets) = prepare_static_connection(&app, body)?;
    let record = app
        .vault
        .connections()
        .put(new, secrets)
        .await
        .map_err(Problem::from)?;
    if let Err(e) = crate::health::connected(&app, &record).await {
        tracing::error!(connection = %record.id, error = %e, "cannot resolve alerts or resume jobs");
    }
    tracing::info!(admin = %admin.id, connection = %record.id, connector = %record.connector_id, "credential stored");
    Ok((StatusCode::CREATED, Json(record)))
}

/// Query of `GET /v1/admin/connections`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionFilter {
    pub user_id: Option<String>,
    pub group_id: Option<String>,
}

/// `GET /v1/admin/connections`.
pub async fn list_connections(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    filter: Result<Query<ConnectionFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(filter) = filter.map_err(|e| Problem::invalid_request(e.body_text()))?;
    let owner = match (filter.user_id, filter.group_id) {
        (Some(u), None) => Some(Owner::User(u)),
        (None, Some(g)) => Some(Owner::Group(g)),
        (None, None) => None,
        _ => {
            return Err(Problem::invalid_request(
                "filter by user_id or group_id, not both",
            ));
        }
    };
    let list = app
        .vault
        .connections()
        .list(owner.as_ref())
        .await
        .map_err(Problem::from)?;
    Ok(Json(json!({ "connections": list })))
}

/// A connection by id, or the problem that says there is none.
pub async fn connection_or_404(app: &App, id: &str) -> Result<ConnectionRecord, Problem> {
    app.vault.connections().get(id).await?.ok_or_else(|| {
        Problem::not_found(
            "connection_not_found",
            "No such connection",
            format!("no connection {id:?}"),
        )
    })
}

/// `DELETE /v1/admin/connections/{id}`: revoke upstream when the connector says how, then
/// delete every local secret whatever the provider answered.
pub async fn delete_connection(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let connection = connection_or_404(&app, &id).await?;
    let upstream = crate::auth::oauth::revoke::disconnect(&app, &connection)
        .await
        .map_err(Problem::from)?;
    tracing::info!(admin = %admin.id, connection = %id, upstream = ?upstream, "connection deleted");
    Ok(Json(
        json!({ "deleted": id, "upstream_revocation": upstream }),
    ))
}

/// Body of `POST /v1/admin/agent-keys`: the packs the key may use, or `all_tools: true`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
    #[serde(default)]
    pub packs: Vec<String>,
    #[serde(default)]
    pub all_tools: bool,
}

/// `POST /v1/admin/agent-keys`: the key is in the response once and never again.
pub async fn create_agent_key(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    JsonBody(body): JsonBody<NewKey>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if body.name.trim().is_empty() || body.name.len() > 100 {
        return Err(Problem::invalid_request("name must be 1..100 characters"));
    }
    let packs = match (body.all_tools, body.packs.is_empty()) {
        (true, true) => None,
        (false, false) => Some(body.packs),
        _ => {
            return Err(Problem::invalid_request(
                "give the tool packs the key may use (packs: [...]), or all_tools: true — not both",
            ));
        }
    };
    if let Some(names) = &packs {
        let known = crate::policy::load_packs(&app, names)
            .await
            .map_err(Problem::from)?;
        if let Some(missing) = names.iter().find(|n| !known.iter().any(|p| &p.name == *n)) {
            return Err(Problem::invalid_request(format!(
                "no pack named {missing:?}"
            )));
        }
    }
    let grant = api_keys::Grant {
        packs,
        ..Default::default()
    };
    let (record, key) = api_keys::create(&app.vault, KeyKind::Agent, &body.name, grant)
        .await
        .map_err(|e| match e {
            api_keys::KeyError::Vault(v) => Problem::from(v),
            _ => Problem::internal(),
        })?;
    tracing::info!(admin = %admin.id, agent_key = %record.id, packs = ?record.packs, "agent key created");
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": record.id, "name": record.name, "packs": record.packs, "key": key.expose_secret() }),
        ),
    ))
}

/// `GET /v1/admin/agent-keys`.
pub async fn list_agent_keys(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
) -> Result<Json<Value>, Problem> {
    let keys = app
        .vault
        .principals()
        .list_keys(KeyKind::Agent)
        .await
        .map_err(Problem::from)?;
    Ok(Json(json!({ "agent_keys": keys })))
}

/// `DELETE /v1/admin/agent-keys/{id}`.
pub async fn revoke_agent_key(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    match app
        .vault
        .principals()
        .get_key(&id)
        .await
        .map_err(Problem::from)?
    {
        Some(k)
            if k.kind == KeyKind::Agent
                && app
                    .vault
                    .principals()
                    .revoke_key(&id)
                    .await
                    .map_err(Problem::from)? =>
        {
            tracing::info!(admin = %admin.id, agent_key = %id, "agent key revoked");
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "key_not_found",
            "No such agent key",
            format!("no active agent key {id:?}"),
        )),
    }
}
