//! `/_fake/...`: the test controls over HTTP, for out-of-process users (the demo, tests
//! against the binary). Same operations as the methods of [`crate::RunningFake`].
//!
//! | method | path | body | answer |
//! | --- | --- | --- | --- |
//! | GET | `/_fake/health` | | `{"ok": true}` |
//! | POST | `/_fake/notion/tokens` | `{"token", "user_name"}` | [`crate::NotionSeed`] |
//! | POST | `/_fake/linear/keys` | `{"key", "user_name"}` | [`crate::LinearSeed`] |
//! | GET | `/_fake/requests` | | `[`[`crate::RecordedRequest`]`]` |
//! | DELETE | `/_fake/requests` | | 204 |
//! | PUT | `/_fake/echo` | `{"enabled": bool}` | `{"enabled": bool}` |
//!
//! The authorization server's controls live under `/_fake/oauth/...`: see
//! [`crate::oauth::control`].

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::linear::{self, LinearSeed};
use crate::notion::{self, NotionSeed};
use crate::record::RecordedRequest;
use crate::state::State;

/// `POST /_fake/notion/tokens`.
#[derive(Deserialize)]
struct NewToken {
    token: String,
    user_name: String,
}

/// `POST /_fake/linear/keys`.
#[derive(Deserialize)]
struct NewKey {
    key: String,
    user_name: String,
}

/// `PUT /_fake/echo`, and its answer.
#[derive(Serialize, Deserialize)]
struct Echo {
    enabled: bool,
}

/// The control routes.
pub fn router() -> Router<State> {
    Router::new()
        .route(
            "/_fake/health",
            get(|| async { Json(json!({ "ok": true })) }),
        )
        .route("/_fake/notion/tokens", post(add_notion_token))
        .route("/_fake/linear/keys", post(add_linear_key))
        .route("/_fake/requests", get(requests).delete(clear_requests))
        .route("/_fake/echo", put(set_echo))
}

async fn add_notion_token(
    AxumState(state): AxumState<State>,
    Json(new): Json<NewToken>,
) -> Json<NotionSeed> {
    Json(state.with(|inner| notion::add_token(inner, &new.token, &new.user_name)))
}

async fn add_linear_key(
    AxumState(state): AxumState<State>,
    Json(new): Json<NewKey>,
) -> Json<LinearSeed> {
    Json(state.with(|inner| linear::add_key(inner, &new.key, &new.user_name)))
}

async fn requests(AxumState(state): AxumState<State>) -> Json<Vec<RecordedRequest>> {
    Json(state.with(|inner| inner.requests.clone()))
}

async fn clear_requests(AxumState(state): AxumState<State>) -> StatusCode {
    state.with(|inner| inner.requests.clear());
    StatusCode::NO_CONTENT
}

async fn set_echo(AxumState(state): AxumState<State>, Json(echo): Json<Echo>) -> Json<Value> {
    state.with(|inner| inner.echo = echo.enabled);
    Json(json!(Echo {
        enabled: echo.enabled
    }))
}
