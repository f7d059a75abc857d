//! The end user's side of connecting: the connect page, starting OAuth, pasting a key, and
//! the OAuth callback.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::binding_cookie;
use super::pages::instructions::{self, Audience};
use super::pages::{self, markdown};
use crate::app::App;
use crate::auth::connect::{self, LinkError};
use crate::auth::oauth::callback::{self, CallbackQuery};
use crate::auth::oauth::{authorize, provider};
use crate::clock::{format_utc, now_ms};
use crate::plugin::{AuthScheme, CallContext, LoadedPlugin};
use crate::toolcall::credential::place;
use crate::vault::flows::ConnectSession;
use crate::vault::{NewConnection, Owner, SchemeKind, SecretField};

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
        LinkError::Invalid => "This link is not valid. Ask your agent for a new one.".into(),
        LinkError::Expired => "This link has expired. Ask your agent for a new one.".into(),
        LinkError::Used => "This link was already used. Ask your agent for a new one.".into(),
        LinkError::Refused(m) => format!("{} Ask your agent for a new link.", pages::sentence(m)),
    };
    pages::result(status, false, "This link cannot be used", &message, None)
}

fn owner_label(owner: &Owner) -> String {
    match owner {
        Owner::User(u) => u.clone(),
        Owner::Group(g) => format!("everyone in {g}"),
    }
}

/// The session behind a link and its connector, or the page explaining why not.
async fn open_step(
    app: &App,
    id: &str,
    token: &str,
) -> Result<(ConnectSession, Arc<LoadedPlugin>), Response> {
    let session = connect::open(app, id, token)
        .await
        .map_err(|e| link_error_page(&e))?;
    let plugin = app.registry.get(&session.connector_id).ok_or_else(|| {
        pages::result(
            StatusCode::NOT_FOUND,
            false,
            "Unknown app",
            "This app is no longer available.",
            None,
        )
    })?;
    Ok((session, plugin))
}

async fn oauth_ready(app: &App, plugin: &LoadedPlugin) -> Option<provider::Resolved> {
    provider::scheme_of(plugin)?;
    provider::resolve_config(app, plugin).await.ok()
}

/// `GET /connect/{id}/{token}`: what will happen, the app's own instructions for each way in
/// (never the operator's), and the way in.
pub async fn page(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    let (session, plugin) = match open_step(&app, &id, &token).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let resolved = oauth_ready(&app, &plugin).await;
    let guide = instructions::split(&plugin.manifest.setup_instructions);
    let html = |audience| {
        minijinja::Value::from_safe_string(markdown::render(guide.for_audience(audience)))
    };
    let credential_forms: Vec<Value> = plugin
        .manifest
        .auth
        .iter()
        .filter_map(|s| match s {
            AuthScheme::ApiKey(k) => Some(json!({
                "kind": "api_key",
                "title": format!("paste {}", article(&k.label)),
                "secret_label": k.label,
                "instructions": markdown::render(guide.for_audience(Audience::ApiKey)),
            })),
            AuthScheme::Basic(b) => Some(json!({
                "kind": "basic",
                "title": format!("sign in with your {}", b.username_label.to_lowercase()),
                "username_label": b.username_label,
                "secret_label": b.password_label,
                "instructions": markdown::render(guide.for_audience(Audience::Basic)),
            })),
            _ => None,
        })
        .collect();
    if resolved.is_none() && credential_forms.is_empty() {
        return pages::result(
            StatusCode::SERVICE_UNAVAILABLE,
            false,
            &format!("{} cannot be connected yet", plugin.manifest.name),
            &format!(
                "{} has not set up this app yet. Ask them to configure it.",
                operator_or_default(&app)
            ),
            None,
        );
    }
    // What the consent will ask for: the session's scopes (or the defaults) plus base scopes,
    // each with its plain meaning where the connector gives one. API keys ask for nothing.
    let mut scopes = if session.scopes.is_empty() {
        resolved
            .as_ref()
            .map(|r| r.default_scopes.clone())
            .unwrap_or_default()
    } else {
        session.scopes.clone()
    };
    if let Some(r) = &resolved {
        for b in &r.scheme.base_scopes {
            if !scopes.contains(b) {
                scopes.push(b.clone());
            }
        }
    }
    let scopes: Vec<Value> = if resolved.is_some() {
        scopes
            .iter()
            .map(|s| json!({"name": s, "meaning": guide.scopes.get(s)}))
            .collect()
    } else {
        Vec::new()
    };
    let base = format!("/connect/{id}/{token}");
    pages::render(
        StatusCode::OK,
        "connect.html",
        minijinja::context! {
            app_name => plugin.manifest.name.clone(),
            owner => owner_label(&session.owner),
            operator => app.config.connect.operator_name.clone(),
            scopes => minijinja::Value::from(minijinja::value::Serde(&scopes)),
            intro => html(Audience::Everyone),
            oauth_instructions => html(Audience::OAuth),
            oauth => resolved.is_some(),
            oauth_action => format!("{base}/oauth"),
            credential_action => format!("{base}/credential"),
            credential_forms => minijinja::Value::from(minijinja::value::Serde(&credential_forms)),
            last_error => session.error.as_deref().map(pages::sentence),
            expires => format_utc(session.expires_at),
        },
    )
}

/// "an API key", "a personal token": the label with its article, lower-cased.
fn article(label: &str) -> String {
    let lower = label.to_lowercase();
    let a = if lower.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{a} {lower}")
}

/// How pages name the operator: the configured name, else a description.
fn operator_or_default(app: &App) -> String {
    app.config
        .connect
        .operator_name
        .clone()
        .unwrap_or_else(|| "The gateway's operator".into())
}

/// `POST /connect/{id}/{token}/oauth`: bind the browser, store the state, go to consent.
pub async fn start_oauth(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (session, plugin) = match open_step(&app, &id, &token).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match authorize::start(&app, &plugin, &session, binding_cookie::read(&headers)).await {
        Ok(started) => {
            let secure = app.public_base().starts_with("https://");
            let mut response = Redirect::to(&started.authorize_url).into_response();
            if let Some(v) = binding_cookie::set(
                &started.browser_nonce,
                authorize::STATE_TTL_MS / 1000,
                secure,
            ) {
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
                &pages::sentence(&e.to_string()),
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
    let (session, plugin) = match open_step(&app, &id, &token).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let retry = format!("/connect/{id}/{token}");
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
            metadata.extend(crate::auth::oauth::callback::identity_metadata(identity));
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
    let connection = match app
        .vault
        .connections()
        .put(new, vec![(field, secret)])
        .await
    {
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

/// `GET /connect/{id}/{token}/done`: where a finished consent lands (and what a reload shows).
pub async fn done(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    if !crate::ids::looks_like("cs", &id) {
        return link_error_page(&LinkError::Invalid);
    }
    match connect::verify(&app, &id, &token) {
        Ok(true) => {}
        Ok(false) => return link_error_page(&LinkError::Invalid),
        Err(e) => return link_error_page(&LinkError::Vault(e)),
    }
    let session = match connect::get(&app, &id).await {
        Ok(Some(s)) => s,
        Ok(None) => return link_error_page(&LinkError::Invalid),
        Err(e) => return link_error_page(&LinkError::Vault(e)),
    };
    match session.effective_status(now_ms()) {
        crate::vault::flows::SessionStatus::Completed => {
            let name = app
                .registry
                .get(&session.connector_id)
                .map(|p| p.manifest.name.clone())
                .unwrap_or_else(|| session.connector_id.clone());
            finished(&app, &session, &name)
        }
        crate::vault::flows::SessionStatus::Pending => {
            Redirect::to(&format!("/connect/{id}/{token}")).into_response()
        }
        _ => match connect::open(&app, &id, &token).await {
            Err(e) => link_error_page(&e),
            Ok(_) => Redirect::to(&format!("/connect/{id}/{token}")).into_response(),
        },
    }
}

/// `GET /v1/oauth/callback/{connector}`: finish consent.
pub async fn oauth_callback(
    State(app): State<Arc<App>>,
    Path(connector): Path<String>,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Query(query) = query.unwrap_or_default();
    match callback::handle(&app, &connector, query, binding_cookie::read(&headers)).await {
        // The address holds the spent code and state: send the browser to a clean one, so a
        // reload shows the result instead of replaying the response.
        Ok(done) if done.session.pack_session_id.is_none() && done.session.return_to.is_none() => {
            match connect::url(&app, &done.session.id) {
                Ok(link) => {
                    let path = link
                        .strip_prefix(app.public_base())
                        .unwrap_or(&link)
                        .to_string();
                    Redirect::to(&format!("{path}/done")).into_response()
                }
                Err(_) => finished(&app, &done.session, &done.plugin.manifest.name),
            }
        }
        Ok(done) => finished(&app, &done.session, &done.plugin.manifest.name),
        Err(refused) => {
            tracing::warn!(connector = %connector, error = %refused.error, "callback refused");
            let retry = refused
                .session
                .as_ref()
                .filter(|s| {
                    s.effective_status(now_ms()) == crate::vault::flows::SessionStatus::Pending
                })
                .and_then(|s| connect::url(&app, &s.id).ok());
            pages::result(
                StatusCode::BAD_REQUEST,
                false,
                "The connection was not completed",
                &pages::sentence(&refused.error.to_string()),
                retry.as_deref(),
            )
        }
    }
}
