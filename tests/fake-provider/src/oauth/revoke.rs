//! The revocation endpoint (RFC 7009): revoking any token of a grant revokes the grant.
//! Notion wants client authentication; Google and Salesforce take the token from the body or
//! the query and answer 400 `invalid_token` for a token they do not know.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::json;

use super::app::{App, Shape};
use super::client_auth;
use super::error::OauthError;
use super::journal::Revocation;
use super::params::Params;
use super::reply;
use crate::state::{Inner, State};

/// `POST` at the app's revocation path, if it has one.
pub fn routes(app: App) -> Router<State> {
    let Some(path) = app.quirks().revoke_path else {
        return Router::new();
    };
    Router::new().route(
        path,
        post(
            move |AxumState(state): AxumState<State>,
                  RawQuery(query): RawQuery,
                  headers: HeaderMap,
                  body: Bytes| async move {
                state.with(|inner| revoke(inner, app, query.as_deref(), &headers, &body))
            },
        ),
    )
}

/// One revocation request of `app` (also for apps routed by request shape).
pub(crate) fn revoke(
    inner: &mut Inner,
    app: App,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let quirks = app.quirks();
    let failed = |error: OauthError| reply::error(app, "revoke", error, true).response;
    let params = match Params::from_body(headers, body) {
        Ok(params) => params,
        Err(e) => return failed(e),
    };
    let query = Params::from_query(query);
    let client = if quirks.revoke_needs_client {
        match client_auth::authenticate(&inner.oauth, app, headers, &params) {
            Ok(client) => Some(client),
            Err(e) => return failed(e),
        }
    } else {
        None
    };
    let Some(token) = params.get("token").or_else(|| query.get("token")) else {
        return failed(OauthError::invalid_request(
            "Missing required parameter: token",
        ));
    };
    let hint = params.get("token_type_hint").map(str::to_owned);
    let grant = inner
        .oauth
        .store
        .token(app, token)
        .map(|(_, grant)| grant)
        .filter(|grant| {
            client
                .as_ref()
                .is_none_or(|c| c.client_id == grant.client_id)
        })
        .map(|grant| grant.id);
    if let Some(grant) = grant {
        inner.oauth.store.revoke_grant(grant);
    }
    let status = if grant.is_none() && quirks.revoke_unknown_is_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    inner.oauth.journal.revocations.push(Revocation {
        app,
        hint,
        known: grant.is_some(),
        grant_id: grant,
        status: status.as_u16(),
    });
    if status == StatusCode::BAD_REQUEST {
        let body =
            json!({ "error": "invalid_token", "error_description": "Token expired or revoked" });
        return (status, Json(body)).into_response();
    }
    let body = match quirks.shape {
        Shape::Notion => json!({ "request_id": "00000000-0000-4000-8000-fakefakefake" }),
        // Salesforce answers a revocation with an empty 200.
        Shape::Salesforce => return status.into_response(),
        Shape::Standard | Shape::Github | Shape::Atlassian | Shape::Slack => json!({}),
    };
    (status, Json(body)).into_response()
}
