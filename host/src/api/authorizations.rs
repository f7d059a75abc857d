//! The agent's side of connecting: create connect links (one app or, by operators, a group's
//! shared connection) and wait on them until the user has finished.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::{AdminCaller, AgentCaller};
use super::problem::Problem;
use super::tools::valid_principal_id;
use crate::app::App;
use crate::auth::connect;
use crate::clock::now_ms;
use crate::vault::Owner;

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
    let link = connect::create(app, &body.connector, owner, body.scopes, body.return_to).await?;
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
    caller: AgentCaller,
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
        return pack_status(&app, &caller, &id, Duration::from_secs(q.wait.min(60)))
            .await?
            .ok_or_else(not_found)
            .map(Json);
    }
    if !crate::ids::looks_like("cs", &id) {
        return Err(not_found());
    }
    // Another user's flow is answered as missing, before any wait.
    let visible = |owner: &crate::vault::Owner| crate::policy::may_see_flow_of(&caller.0, owner);
    match app
        .vault
        .flows()
        .get_session(&id)
        .await
        .map_err(Problem::from)?
    {
        Some(s) if visible(&s.owner) => {}
        _ => return Err(not_found()),
    }
    let session = connect::wait(&app, &id, Duration::from_secs(q.wait.min(60)))
        .await
        .map_err(Problem::from)?
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
async fn pack_status(
    app: &App,
    caller: &AgentCaller,
    id: &str,
    wait: Duration,
) -> Result<Option<Value>, Problem> {
    use crate::auth::pack_flow;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let changed = app.sessions_changed.notified();
        let session = app
            .vault
            .flows()
            .get_pack_session(id)
            .await
            .map_err(Problem::from)?;
        let Some(session) = session.filter(|s| crate::policy::may_see_flow_of(&caller.0, &s.owner))
        else {
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
