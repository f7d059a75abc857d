//! User sessions: an agent key mints a short-lived token bound to one user (and optionally
//! fewer packs). With it the user comes from the token, never from a request body, so a
//! prompt-injected argument cannot make the agent act as someone else.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::AgentKeyCaller;
use super::problem::Problem;
use super::tools::valid_principal_id;
use crate::app::App;
use crate::auth::api_keys::{self, Grant};
use crate::clock::now_ms;
use crate::vault::KeyKind;
use crate::vault::audit::Event;

/// Default and longest session lifetimes.
const DEFAULT_TTL_SECS: u32 = 900;
const MAX_TTL_SECS: u32 = 3600;

/// Body of `POST /v1/sessions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub user_id: String,
    /// Narrow to these packs (must be among the agent key's); default: the key's own.
    pub packs: Option<Vec<String>>,
    pub ttl_seconds: Option<u32>,
}

/// `POST /v1/sessions`: mint a user session (agent keys only; a session cannot mint another).
pub async fn mint(
    State(app): State<Arc<App>>,
    AgentKeyCaller(agent): AgentKeyCaller,
    JsonBody(body): JsonBody<NewSession>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if !valid_principal_id(&body.user_id) {
        return Err(Problem::invalid_request(
            "user_id must be 1..256 printable characters",
        ));
    }
    let ttl = body.ttl_seconds.unwrap_or(DEFAULT_TTL_SECS);
    if ttl == 0 || ttl > MAX_TTL_SECS {
        return Err(Problem::invalid_request(format!(
            "ttl_seconds must be 1..{MAX_TTL_SECS}"
        )));
    }
    let packs = match (&agent.packs, body.packs) {
        (None, requested) => requested,
        (Some(own), None) => Some(own.clone()),
        (Some(own), Some(requested)) => {
            if let Some(extra) = requested.iter().find(|p| !own.contains(p)) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "pack_not_allowed",
                    "A session cannot exceed its agent key",
                    format!("the agent key may not use pack {extra:?}"),
                ));
            }
            Some(requested)
        }
    };
    let expires_at = now_ms() + i64::from(ttl) * 1000;
    let grant = Grant {
        packs: packs.clone(),
        user_id: Some(body.user_id.clone()),
        parent_id: Some(agent.id.clone()),
        expires_at: Some(expires_at),
    };
    let (record, token) = api_keys::create(
        &app.vault,
        KeyKind::Session,
        &format!("session for {}", body.user_id),
        grant,
    )
    .await
    .map_err(|e| match e {
        crate::auth::api_keys::KeyError::Vault(v) => Problem::from(v),
        other => {
            tracing::error!(error = %other, "cannot mint a session");
            Problem::internal()
        }
    })?;
    crate::audit::record(
        &app,
        Event {
            event: "session_minted".into(),
            actor: Some(agent.id.clone()),
            user_id: Some(body.user_id.clone()),
            outcome: "ok".into(),
            detail: Some(format!("session {} for {ttl}s", record.id)),
            ..Default::default()
        },
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": record.id,
            "token": token.expose_secret(),
            "user_id": body.user_id,
            "packs": packs,
            "expires_at": expires_at,
        })),
    ))
}
