//! [`GenericControl`]: set up the generic app (canned answers, API keys), from Rust or over
//! HTTP:
//!
//! | method | path | body | answer |
//! | --- | --- | --- | --- |
//! | POST | `/_fake/generic/responses` | [`Canned`] | 201, the answer |
//! | DELETE | `/_fake/generic/responses` | | 204 |
//! | POST | `/_fake/generic/keys` | `{"key"}` | 201 |
//! | POST | `/_fake/generic/keys/revoke` | `{"key"}` | `{"revoked": bool}` |
//!
//! The generic app's OAuth server is [`crate::oauth::App::Generic`]: its clients, consent,
//! settings and faults are set like every other app's.

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::canned::Canned;
use crate::state::State;

/// Handle on the generic app (cheap to clone).
#[derive(Clone)]
pub struct GenericControl {
    state: State,
}

impl GenericControl {
    /// A handle on the generic app inside `state`.
    pub(crate) fn new(state: State) -> Self {
        GenericControl { state }
    }

    /// Adds a canned answer; it wins over those added before it.
    pub fn add_response(&self, canned: Canned) {
        self.state.with(|inner| inner.generic.canned.push(canned));
    }

    /// Forgets every canned answer.
    pub fn clear_responses(&self) {
        self.state.with(|inner| inner.generic.canned.clear());
    }

    /// Accepts `key` as an API key from now on.
    pub fn add_api_key(&self, key: &str) {
        self.state
            .with(|inner| inner.generic.keys.insert(key.to_owned(), true));
    }

    /// The key's owner revokes it: it is refused (401) from now on. False if it was unknown.
    pub fn revoke_api_key(&self, key: &str) -> bool {
        self.state
            .with(|inner| match inner.generic.keys.get_mut(key) {
                Some(live) => {
                    *live = false;
                    true
                }
                None => false,
            })
    }
}

/// `POST /_fake/generic/keys[/revoke]`.
#[derive(Deserialize)]
struct Key {
    key: String,
}

/// The control routes.
pub fn router() -> Router<State> {
    Router::new()
        .route(
            "/_fake/generic/responses",
            post(add_response).delete(clear_responses),
        )
        .route("/_fake/generic/keys", post(add_key))
        .route("/_fake/generic/keys/revoke", post(revoke_key))
}

async fn add_response(AxumState(state): AxumState<State>, Json(canned): Json<Canned>) -> Response {
    GenericControl::new(state).add_response(canned.clone());
    (StatusCode::CREATED, Json(canned)).into_response()
}

async fn clear_responses(AxumState(state): AxumState<State>) -> StatusCode {
    GenericControl::new(state).clear_responses();
    StatusCode::NO_CONTENT
}

async fn add_key(AxumState(state): AxumState<State>, Json(body): Json<Key>) -> StatusCode {
    GenericControl::new(state).add_api_key(&body.key);
    StatusCode::CREATED
}

async fn revoke_key(AxumState(state): AxumState<State>, Json(body): Json<Key>) -> Response {
    let revoked = GenericControl::new(state).revoke_api_key(&body.key);
    Json(json!({ "revoked": revoked })).into_response()
}
