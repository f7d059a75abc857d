//! Who is calling: an agent key or an admin key, from `Authorization: Bearer …`. The two are
//! never interchangeable.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use secrecy::SecretString;

use super::problem::Problem;
use crate::app::App;
use crate::auth::api_keys::{self, KeyError};
use crate::vault::{ApiKeyRecord, KeyKind};

/// A request authenticated with an agent key or a user session (which an agent key minted
/// for one user): the callers of tools.
#[derive(Debug, Clone)]
pub struct AgentCaller(pub ApiKeyRecord);

/// A request authenticated with an agent key itself (not a session): minting sessions.
#[derive(Debug, Clone)]
pub struct AgentKeyCaller(pub ApiKeyRecord);

/// A request authenticated with an admin key.
#[derive(Debug, Clone)]
pub struct AdminCaller(pub ApiKeyRecord);

fn bearer(parts: &Parts) -> Result<SecretString, Problem> {
    // Two credentials in one request: which one counts would depend on who reads it.
    if parts.headers.get_all(AUTHORIZATION).iter().nth(1).is_some() {
        return Err(Problem::invalid_request(
            "send exactly one Authorization header",
        ));
    }
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("send the key as `Authorization: Bearer <key>`"))?;
    let text = value
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| Problem::unauthorized("the Authorization header must be `Bearer <key>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Problem::unauthorized(
            "the Authorization header must be `Bearer <key>`",
        ));
    }
    Ok(SecretString::from(token.trim().to_string()))
}

async fn authenticate(
    parts: &Parts,
    app: &App,
    kinds: &[KeyKind],
) -> Result<ApiKeyRecord, Problem> {
    let presented = bearer(parts)?;
    match api_keys::verify(&app.vault, &presented, kinds).await {
        Ok(record) => Ok(record),
        Err(KeyError::Vault(e)) => {
            tracing::error!(error = %e, "key lookup failed");
            Err(Problem::internal())
        }
        Err(_) => Err(Problem::unauthorized(if kinds.contains(&KeyKind::Admin) {
            "this endpoint needs a valid admin key"
        } else if kinds.contains(&KeyKind::Session) {
            "the agent key or user session is invalid, expired or revoked"
        } else {
            "this endpoint needs a valid agent key (not a user session)"
        })),
    }
}

impl FromRequestParts<Arc<App>> for AgentCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let record = authenticate(parts, app, &[KeyKind::Agent, KeyKind::Session]).await?;
        tracing::Span::current().record("agent", crate::policy::accountable_agent(&record));
        Ok(AgentCaller(record))
    }
}

impl FromRequestParts<Arc<App>> for AgentKeyCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let record = authenticate(parts, app, &[KeyKind::Agent]).await?;
        tracing::Span::current().record("agent", record.id.as_str());
        Ok(AgentKeyCaller(record))
    }
}

impl FromRequestParts<Arc<App>> for AdminCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let record = authenticate(parts, app, &[KeyKind::Admin]).await?;
        tracing::Span::current().record("admin", record.id.as_str());
        Ok(AdminCaller(record))
    }
}
