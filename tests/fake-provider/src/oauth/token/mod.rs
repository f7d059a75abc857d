//! The token endpoint (RFC 6749 §3.2): injected faults first, then the grant type's exchange,
//! answered in the app's shape and written to the journal.

mod client_credentials;
mod code;
mod issue;
mod jwt_bearer;
mod refresh;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;

pub use issue::{MintedTokens, access_expiry, mint};
pub use jwt_bearer::GRANT_TYPE as JWT_BEARER;

use super::app::App;
use super::client_auth;
use super::error::OauthError;
use super::faults::Fault;
use super::journal::TokenCall;
use super::params::Params;
use super::reply::{self, Reply};
use crate::state::{Inner, State};

/// `POST` at the app's token path.
pub fn routes(app: App) -> Router<State> {
    Router::new().route(
        app.quirks().token_path,
        post(
            move |AxumState(state): AxumState<State>, headers: HeaderMap, body: Bytes| {
                endpoint(app, state, headers, body)
            },
        ),
    )
}

/// One token request of `app` (also for apps routed by request shape).
pub(crate) async fn endpoint(app: App, state: State, headers: HeaderMap, body: Bytes) -> Response {
    let accept_json = reply::wants_json(headers.get("accept").and_then(|v| v.to_str().ok()));
    let params = Params::from_body(&headers, &body);
    let grant_type = params
        .as_ref()
        .ok()
        .and_then(|p| p.get("grant_type"))
        .unwrap_or_default()
        .to_owned();
    let client_id = params
        .as_ref()
        .ok()
        .and_then(|p| client_auth::presented_id(&headers, p));
    let fault = state.with(|inner| inner.oauth.faults(app).pop());
    if let Some(Fault::Delay { ms }) = fault {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let injected = fault
        .as_ref()
        .and_then(|f| reply::fault(app, &grant_type, f, accept_json));
    state.with(|inner| {
        let reply = match (injected, params) {
            (Some(reply), _) => reply,
            (None, Err(e)) => reply::error(app, &grant_type, e, accept_json),
            (None, Ok(params)) => exchange(inner, app, &headers, &params, accept_json),
        };
        inner.oauth.journal.token_calls.push(TokenCall {
            app,
            grant_type,
            outcome: reply.outcome.clone(),
            status: reply.status,
            client_id,
        });
        reply.response
    })
}

/// Runs the grant type's exchange.
fn exchange(
    inner: &mut Inner,
    app: App,
    headers: &HeaderMap,
    params: &Params,
    accept_json: bool,
) -> Reply {
    let grant_type = params.get("grant_type").unwrap_or_default();
    let result = params.check_unique(&[]).and_then(|()| match grant_type {
        "authorization_code" => code::exchange(inner, app, headers, params),
        "refresh_token" => refresh::exchange(inner, app, headers, params),
        "client_credentials" => client_credentials::exchange(inner, app, headers, params),
        JWT_BEARER => jwt_bearer::exchange(inner, app, params),
        "" => Err(OauthError::invalid_request(
            "Missing required parameter: grant_type",
        )),
        other => Err(OauthError::unsupported_grant_type(other)),
    });
    match result {
        Ok(issued) => reply::success(app, issued, accept_json),
        Err(e) => reply::error(app, grant_type, e, accept_json),
    }
}
