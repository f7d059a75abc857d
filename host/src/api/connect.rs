//! The end user's side of connecting: the connect page, starting OAuth, pasting a key, the
//! OAuth callback; and the agent's side: creating links and waiting on them.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::{AdminCaller, AgentCaller};
use super::pages::{self, markdown};
use super::problem::Problem;
use super::tools::valid_principal_id;
use crate::app::App;
use crate::auth::connect::{self, LinkError};
use crate::auth::oauth::callback::{self, CallbackQuery};
use crate::auth::oauth::{authorize, provider};
use crate::clock::{format_utc, now_ms};
use crate::plugin::{AuthScheme, CallContext, LoadedPlugin};
use crate::toolcall::credential::place;
use crate::vault::connect_sessions::ConnectSession;
use crate::vault::{NewConnection, Owner, SchemeKind, SecretField};

const COOKIE: &str = "lk_connect";

fn link_error_page(e: &LinkError) -> Response {
    let status = match e {
        LinkError::Invalid => StatusCode::NOT_FOUND,
        LinkError::Expired | LinkError::Used => StatusCode::GONE,
        LinkError::Refused(_) => StatusCode::BAD_REQUEST,
        LinkError::Vault(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    let message = match e {
        LinkError::Vault(_) => {
            "The gateway cannot reach its storage right now. Try again in a minute.".to_string()
        }
        other => format!("{other}. Ask your agent for a new link."),
    };
    pages::result(status, false, "This link cannot be used", &message, None)
}

fn owner_label(owner: &Owner) -> String {
    match owner {
        Owner::User(u) => u.clone(),
        Owner::Group(g) => format!("everyone in {g}"),
    }
}

fn browser_nonce(headers: &HeaderMap) -> Option<SecretString> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| SecretString::from(v.to_string()))
}

async fn oauth_ready(app: &App, plugin: &LoadedPlugin) -> Option<provider::Resolved> {
    provider::scheme_of(plugin)?;
    provider::resolve(app, plugin).await.ok()
}

/// `GET /connect/{id}/{token}`: what will happen, the app's own instructions, and the way in.
pub async fn page(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    let session = match connect::open(&app, &id, &token).await {
        Ok(s) => s,
        Err(e) => return link_error_page(&e),
    };
    let Some(plugin) = app.registry.get(&session.connector_id) else {
        return pages::result(
            StatusCode::NOT_FOUND,
            false,
            "Unknown app",
            "This app is no longer available.",
            None,
        );
    };
    let resolved = oauth_ready(&app, &plugin).await;
    let credential_forms: Vec<Value> = plugin
        .manifest
        .auth
        .iter()
        .filter_map(|s| match s {
            AuthScheme::ApiKey(k) => Some(json!({"kind": "api_key", "secret_label": k.label})),
            AuthScheme::Basic(b) => {
                Some(json!({"kind": "basic", "username_label": b.username_label, "secret_label": b.password_label}))
            }
            _ => None,
        })
        .collect();
    if resolved.is_none() && credential_forms.is_empty() {
        return pages::result(
            StatusCode::SERVICE_UNAVAILABLE,
            false,
            &format!("{} cannot be connected yet", plugin.manifest.name),
            "The gateway's operator has not set up this app's OAuth client. Ask them to configure it.",
            None,
        );
    }
    let scopes = if session.scopes.is_empty() {
        resolved
            .as_ref()
            .map(|r| r.default_scopes.clone())
            .unwrap_or_default()
    } else {
        session.scopes.clone()
    };
    let base = format!("/connect/{id}/{token}");
    pages::render(
        StatusCode::OK,
        "connect.html",
        minijinja::context! {
            app_name => plugin.manifest.name.clone(),
            owner => owner_label(&session.owner),
            scopes => scopes,
            instructions => minijinja::Value::from_safe_string(markdown::render(&plugin.manifest.setup_instructions)),
            oauth => resolved.is_some(),
            oauth_action => format!("{base}/oauth"),
            credential_action => format!("{base}/credential"),
            credential_forms => minijinja::Value::from(minijinja::value::Serde(&credential_forms)),
            last_error => session.error,
            expires => format_utc(session.expires_at),
        },
    )
}

/// `POST /connect/{id}/{token}/oauth`: bind the browser, store the state, go to consent.
pub async fn start_oauth(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let session = match connect::open(&app, &id, &token).await {
        Ok(s) => s,
        Err(e) => return link_error_page(&e),
    };
    let Some(plugin) = app.registry.get(&session.connector_id) else {
        return pages::result(
            StatusCode::NOT_FOUND,
            false,
            "Unknown app",
            "This app is no longer available.",
            None,
        );
    };
    match authorize::start(&app, &plugin, &session, browser_nonce(&headers)).await {
        Ok(started) => {
            let secure = if app.public_base().starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={}; Path=/v1/oauth/callback; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                started.browser_nonce.expose_secret(),
                authorize::STATE_TTL_MS / 1000
            );
            let mut response = Redirect::to(&started.authorize_url).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response.headers_mut().insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(e) => {
            tracing::warn!(session = %session.id, error = %e, "cannot start consent");
            pages::result(
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                &format!("Cannot connect {} right now", plugin.manifest.name),
                &e.to_string(),
                None,
            )
        }
    }
}

/// The form of the credential page.
#[derive(Deserialize)]
pub struct CredentialForm {
    kind: String,
    secret: SecretString,
    username: Option<String>,
}

/// `POST /connect/{id}/{token}/credential`: an API key or username/password, checked with the
/// app (via the connector's `verify`) before it is stored.
pub async fn submit_credential(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
    Form(form): Form<CredentialForm>,
) -> Response {
    let session = match connect::open(&app, &id, &token).await {
        Ok(s) => s,
        Err(e) => return link_error_page(&e),
    };
    let retry = format!("/connect/{id}/{token}");
    let Some(plugin) = app.registry.get(&session.connector_id) else {
        return pages::result(
            StatusCode::NOT_FOUND,
            false,
            "Unknown app",
            "This app is no longer available.",
            None,
        );
    };
    let secret = form.secret.expose_secret().trim().to_string();
    if secret.is_empty() || secret.len() > 8192 || secret.chars().any(char::is_control) {
        return pages::result(
            StatusCode::BAD_REQUEST,
            false,
            "That does not look right",
            "Paste the whole key, without line breaks.",
            Some(&retry),
        );
    }
    let (scheme, field, placement, username) = match (form.kind.as_str(), &plugin.manifest.auth) {
        ("api_key", auth) => match auth.iter().find_map(|s| match s {
            AuthScheme::ApiKey(k) => Some(k.placement.clone()),
            _ => None,
        }) {
            Some(p) => (SchemeKind::ApiKey, SecretField::ApiKey, p, None),
            None => {
                return pages::result(
                    StatusCode::BAD_REQUEST,
                    false,
                    "Not accepted",
                    "This app does not take API keys.",
                    Some(&retry),
                );
            }
        },
        ("basic", auth) if auth.iter().any(|s| matches!(s, AuthScheme::Basic(_))) => {
            let Some(user) = form
                .username
                .clone()
                .filter(|u| !u.trim().is_empty() && u.len() <= 256)
            else {
                return pages::result(
                    StatusCode::BAD_REQUEST,
                    false,
                    "Missing username",
                    "Fill in both fields.",
                    Some(&retry),
                );
            };
            (
                SchemeKind::Basic,
                SecretField::Password,
                crate::plugin::Placement::Basic,
                Some(user),
            )
        }
        _ => {
            return pages::result(
                StatusCode::BAD_REQUEST,
                false,
                "Not accepted",
                "This app does not take that kind of credential.",
                Some(&retry),
            );
        }
    };
    let secret = SecretString::from(secret);

    // Ask the app whether the credential works before keeping it.
    let credential = place(&placement, secret.clone(), username.as_deref());
    let ctx = CallContext {
        user_id: session.owner.id().to_string(),
        ..Default::default()
    };
    let mut metadata = std::collections::BTreeMap::new();
    if let Some(u) = &username {
        metadata.insert("username".to_string(), u.clone());
    }
    let credentials = crate::toolcall::credential::CallCredentials {
        primary: credential,
        named: Vec::new(),
    };
    match crate::toolcall::verify_with(&app, &plugin, credentials, &ctx).await {
        Ok(Ok(identity)) => {
            metadata.insert(
                "account".to_string(),
                identity.display_name.unwrap_or(identity.subject),
            );
        }
        Ok(Err(crate::plugin::CallError::Auth(_))) => {
            return pages::result(
                StatusCode::BAD_REQUEST,
                false,
                &format!("{} did not accept that", plugin.manifest.name),
                "Check that you copied the whole key and that it is still active.",
                Some(&retry),
            );
        }
        // The app could not be asked (down, rate limited): keep the key; calls will tell.
        Ok(Err(e)) => {
            tracing::warn!(connector = %plugin.manifest.id, error = ?e, "could not verify a pasted credential")
        }
        Err(failure) => {
            tracing::warn!(connector = %plugin.manifest.id, %failure, "verify failed on a pasted credential")
        }
    }
    let new = NewConnection {
        connector_id: plugin.manifest.id.clone(),
        owner: session.owner.clone(),
        scheme,
        granted_scopes: Vec::new(),
        metadata,
        expires_at: None,
    };
    let connection = match app.vault.put_connection(new, vec![(field, secret)]).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot store a pasted credential");
            return pages::result(
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                "Not saved",
                "The gateway could not store it. Try again later.",
                Some(&retry),
            );
        }
    };
    crate::audit::record(
        &app,
        crate::vault::audit::Event {
            event: "connect".into(),
            user_id: Some(connection.owner.id().to_string()),
            connector: Some(connection.connector_id.clone()),
            connection: Some(connection.id.clone()),
            outcome: "ok".into(),
            detail: Some(connection.scheme.as_str().into()),
            ..Default::default()
        },
    )
    .await;
    if let Err(e) = crate::health::connected(&app, &connection).await {
        tracing::error!(connection = %connection.id, error = %e, "cannot resolve alerts or resume jobs");
    }
    if let Err(e) = connect::complete(&app, &session.id, &connection.id).await {
        tracing::error!(error = %e, "cannot complete a connect session");
    }
    finished(&app, &session, &plugin.manifest.name)
}

fn finished(app: &App, session: &ConnectSession, app_name: &str) -> Response {
    // One step of a pack flow: back to the pack page for the next app.
    if let Some(pack) = &session.pack_session_id
        && let Ok(url) = crate::auth::pack_flow::url(app, pack)
    {
        return Redirect::to(&url).into_response();
    }
    if let Some(return_to) = &session.return_to
        && let Ok(mut url) = url::Url::parse(return_to)
    {
        url.query_pairs_mut()
            .append_pair("latchkey_status", "connected");
        return Redirect::to(url.as_str()).into_response();
    }
    pages::result(
        StatusCode::OK,
        true,
        &format!("{app_name} is connected"),
        &format!(
            "Your agent can now use {app_name} for {}.",
            owner_label(&session.owner)
        ),
        None,
    )
}

/// `GET /v1/oauth/callback/{connector}`: finish consent.
pub async fn oauth_callback(
    State(app): State<Arc<App>>,
    Path(connector): Path<String>,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Query(query) = query.unwrap_or_default();
    match callback::handle(&app, &connector, query, browser_nonce(&headers)).await {
        Ok(done) => finished(&app, &done.session, &done.plugin.manifest.name),
        Err(refused) => {
            tracing::warn!(connector = %connector, error = %refused.error, "callback refused");
            let retry = refused
                .session
                .as_ref()
                .filter(|s| {
                    s.effective_status(now_ms())
                        == crate::vault::connect_sessions::SessionStatus::Pending
                })
                .and_then(|s| connect::url(&app, &s.id).ok());
            pages::result(
                StatusCode::BAD_REQUEST,
                false,
                "The connection was not completed",
                &refused.error.to_string(),
                retry.as_deref(),
            )
        }
    }
}

/// Body of `POST /v1/connect-sessions` (agents) and `/v1/admin/connect-sessions` (operators).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub connector: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub return_to: Option<String>,
}

async fn create_session(
    app: &App,
    body: NewSession,
    allow_group: bool,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let owner = match (body.user_id, body.group_id) {
        (Some(u), None) if valid_principal_id(&u) => Owner::User(u),
        (None, Some(g)) if allow_group && valid_principal_id(&g) => Owner::Group(g),
        _ => {
            return Err(Problem::invalid_request(if allow_group {
                "give exactly one of user_id or group_id"
            } else {
                "give user_id (agents connect users; operators connect groups)"
            }));
        }
    };
    if app.registry.get(&body.connector).is_none() {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "connector_not_found",
            "No such connector",
            format!("no connector {:?}", body.connector),
        ));
    }
    if body.scopes.len() > 64
        || body
            .scopes
            .iter()
            .any(|s| s.is_empty() || s.len() > 256 || s.contains(char::is_whitespace))
    {
        return Err(Problem::invalid_request(
            "scopes must be non-empty strings without spaces",
        ));
    }
    let link = connect::create(app, &body.connector, owner, body.scopes, body.return_to)
        .await
        .map_err(|e| match e {
            LinkError::Refused(m) => Problem::invalid_request(m),
            other => {
                tracing::error!(error = %other, "cannot create a connect session");
                Problem::internal()
            }
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": link.session.id,
            "url": link.url,
            "expires_at": link.session.expires_at,
            "status_url": format!("/v1/authorizations/{}", link.session.id),
        })),
    ))
}

/// `POST /v1/connect-sessions`: a link for a user to connect an app (a user session may ask
/// only for its own user).
pub async fn create_for_agent(
    State(app): State<Arc<App>>,
    caller: AgentCaller,
    JsonBody(mut body): JsonBody<NewSession>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if caller.0.kind == crate::vault::KeyKind::Session {
        let user = crate::policy::acting_user(&caller.0, body.user_id.as_deref()).map_err(|m| {
            Problem::new(
                StatusCode::FORBIDDEN,
                "session_user_mismatch",
                "A session acts for one user",
                m,
            )
        })?;
        body.user_id = Some(user);
    }
    create_session(&app, body, false).await
}

/// `POST /v1/admin/connect-sessions`: a link for a user, or for a group's shared connection.
pub async fn create_for_admin(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    JsonBody(body): JsonBody<NewSession>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    create_session(&app, body, true).await
}

/// Query of `GET /v1/authorizations/{id}`.
#[derive(Deserialize)]
pub struct WaitQuery {
    /// Seconds to wait for the user to finish (0–60).
    #[serde(default)]
    wait: u64,
}

/// `GET /v1/authorizations/{id}?wait=30`: where a connect session stands; long-polls.
pub async fn authorization_status(
    State(app): State<Arc<App>>,
    _agent: AgentCaller,
    Path(id): Path<String>,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(q) = query.map_err(|e| Problem::invalid_request(e.body_text()))?;
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "authorization_not_found",
            "No such authorization",
            format!("no authorization {id:?}"),
        )
    };
    if crate::ids::looks_like("ps", &id) {
        return pack_status(&app, &id, Duration::from_secs(q.wait.min(60)))
            .await?
            .ok_or_else(not_found)
            .map(Json);
    }
    if !crate::ids::looks_like("cs", &id) {
        return Err(not_found());
    }
    let session = connect::wait(&app, &id, Duration::from_secs(q.wait.min(60)))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read a connect session");
            Problem::internal()
        })?
        .ok_or_else(not_found)?;
    let status = session.effective_status(now_ms());
    Ok(Json(json!({
        "id": session.id,
        "status": status,
        "connector": session.connector_id,
        "owner": session.owner,
        "connection_id": session.connection_id,
        "error": session.error,
        "expires_at": session.expires_at,
    })))
}

/// Where a pack flow stands: completed once every app is connected. Waits like a single
/// session does.
async fn pack_status(app: &App, id: &str, wait: Duration) -> Result<Option<Value>, Problem> {
    use crate::auth::pack_flow;
    use crate::vault::pack_sessions;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let changed = app.sessions_changed.notified();
        let lookup = id.to_string();
        let session = app
            .vault
            .db()
            .read(move |c| pack_sessions::get(c, &lookup))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read a pack flow");
                Problem::internal()
            })?;
        let Some(session) = session else {
            return Ok(None);
        };
        let steps = pack_flow::steps(app, &session).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read a pack flow's steps");
            Problem::internal()
        })?;
        let done = pack_flow::complete(&steps);
        let expired = now_ms() >= session.expires_at;
        if done || expired || tokio::time::Instant::now() >= deadline {
            let status = if done {
                "completed"
            } else if expired {
                "expired"
            } else {
                "pending"
            };
            return Ok(Some(json!({
                "id": session.id,
                "status": status,
                "pack": session.pack,
                "owner": session.owner,
                "apps": steps,
                "expires_at": session.expires_at,
            })));
        }
        let tick = deadline.min(tokio::time::Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = changed => {}
            _ = tokio::time::sleep_until(tick) => {}
        }
    }
}
