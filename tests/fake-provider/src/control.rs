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
//! | GET | `/_fake/jira/issues` | | `[issue]` (Jira's `GET …/issue/{key}` shape) |
//! | GET | `/_fake/salesforce/accounts` | | `[{"Id", "Name", …}]` |
//! | GET | `/_fake/slack/messages[?channel=C…\|name]` | | `[`[`crate::slack::Message`]`]` |
//! | POST | `/_fake/slack/rate-limit` | `{"times": 1, "retry_after_secs": 30}` | `{"pending": n}` |
//!
//! The authorization server's controls live under `/_fake/oauth/...`: see
//! [`crate::oauth::control`].

use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::linear::{self, LinearSeed};
use crate::notion::{self, NotionSeed};
use crate::record::RecordedRequest;
use crate::state::State;
use crate::{atlassian, salesforce, slack};

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

/// `POST /_fake/slack/rate-limit`.
#[derive(Deserialize)]
struct RateLimit {
    #[serde(default = "one")]
    times: u32,
    #[serde(default = "thirty")]
    retry_after_secs: u32,
}

fn one() -> u32 {
    1
}

fn thirty() -> u32 {
    30
}

/// `GET /_fake/slack/messages?channel=`.
#[derive(Deserialize)]
struct ChannelFilter {
    channel: Option<String>,
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
        .route("/_fake/jira/issues", get(jira_issues))
        .route("/_fake/salesforce/accounts", get(salesforce_accounts))
        .route("/_fake/slack/messages", get(slack_messages))
        .route("/_fake/slack/rate-limit", post(slack_rate_limit))
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

async fn jira_issues(AxumState(state): AxumState<State>) -> Json<Vec<Value>> {
    Json(state.with(atlassian::issues))
}

async fn salesforce_accounts(AxumState(state): AxumState<State>) -> Json<Vec<Value>> {
    Json(state.with(salesforce::accounts))
}

async fn slack_messages(
    AxumState(state): AxumState<State>,
    Query(filter): Query<ChannelFilter>,
) -> Json<Vec<slack::Message>> {
    Json(state.with(|inner| slack::messages(inner, filter.channel.as_deref())))
}

async fn slack_rate_limit(
    AxumState(state): AxumState<State>,
    Json(body): Json<RateLimit>,
) -> Json<Value> {
    let pending = state.with(|inner| slack::rate_limit(inner, body.times, body.retry_after_secs));
    Json(json!({ "pending": pending }))
}
