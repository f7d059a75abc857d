//! The generic app: a stand-in for the provider of any connector the fake has no realistic app
//! for. Every origin such a connector uses is routed to `/generic/{host}` (one prefix per
//! origin, e.g. `https://api.acme.test` → `/generic/api.acme.test`), and each request is told
//! apart by its shape, since the connector's paths are not known in advance:
//!
//! | request | answered as |
//! | --- | --- |
//! | `GET` with `response_type` in the query | the authorize endpoint of [`crate::oauth::App::Generic`]: answers at once as the consent's user (PKCE S256 required) |
//! | `POST` of a form (or JSON object) with `grant_type` | its token endpoint: code, refresh with rotation and reuse detection, client credentials, JWT bearer, and the same fault injection as every app |
//! | `POST` of a form with `token` and no `grant_type` | its revocation endpoint (RFC 7009) |
//! | anything else | the API: the credential is checked, then a canned answer is given |
//!
//! The API accepts an access token of the generic app (`Authorization: Bearer …`; expired,
//! revoked or unknown tokens get a 401 with an RFC 6750 challenge) or an API key registered
//! with [`GenericControl::add_api_key`] anywhere a connector may place one (a header, a query
//! parameter, HTTP Basic). A [`Canned`] answer may require scopes: a token whose grant lacks
//! one gets `403` with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
//! Without a matching canned answer the API answers `200 {}`.

mod api;
pub mod canned;
pub mod control;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::any;
use serde_json::Value;

pub use canned::Canned;
pub use control::GenericControl;

use crate::oauth::{self, App};
use crate::state::State;

/// What the generic app remembers: canned answers (last added first) and API keys.
#[derive(Default)]
pub struct GenericData {
    pub canned: Vec<Canned>,
    /// API key → still valid.
    pub keys: HashMap<String, bool>,
}

/// The routes, relative to `/generic`.
pub fn router() -> Router<State> {
    Router::new()
        .route("/{host}", any(handle_root))
        .route("/{host}/{*rest}", any(handle))
}

async fn handle_root(
    AxumState(state): AxumState<State>,
    Path(host): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(state, host, String::new(), method, query, headers, body).await
}

async fn handle(
    AxumState(state): AxumState<State>,
    Path((host, rest)): Path<(String, String)>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(state, host, rest, method, query, headers, body).await
}

/// The parameter names of a form or JSON-object body.
fn body_fields(headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if is_json {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
    }
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Vec::new();
    }
    url::form_urlencoded::parse(body)
        .map(|(k, _)| k.into_owned())
        .collect()
}

async fn dispatch(
    state: State,
    host: String,
    rest: String,
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let in_query = |name: &str| {
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .any(|(k, _)| k == name)
    };
    if method == Method::GET && in_query("response_type") {
        return state
            .with(|inner| oauth::authorize_by_shape(inner, App::Generic, query.as_deref()));
    }
    if method == Method::POST {
        let fields = body_fields(&headers, &body);
        if fields.iter().any(|f| f == "grant_type") {
            return oauth::token_by_shape(App::Generic, state, headers, body).await;
        }
        if fields.iter().any(|f| f == "token") {
            return state.with(|inner| {
                oauth::revoke_by_shape(inner, App::Generic, query.as_deref(), &headers, &body)
            });
        }
    }
    let path = format!("/{rest}");
    state.with(|inner| {
        api::answer(
            inner,
            &api::Incoming {
                method: method.as_str(),
                host: &host,
                path: &path,
                query: query.as_deref(),
                headers: &headers,
            },
        )
    })
}
