//! `/_fake/oauth/...`: the authorization server's test controls over HTTP, the same
//! operations as [`super::OauthControl`]. `{app}` is `notion`, `github`, `google`,
//! `atlassian`, `salesforce` or `slack`; user names are percent-encoded path segments.
//!
//! | method | path | body | answer |
//! | --- | --- | --- | --- |
//! | POST | `/_fake/oauth/clients` | [`super::OauthClient`] | 201, the client |
//! | GET | `/_fake/oauth/clients` | | `[client]` |
//! | POST | `/_fake/oauth/service-accounts` | [`super::ServiceAccount`] | 201, the account |
//! | GET, PATCH | `/_fake/oauth/{app}/settings` | [`super::SettingsUpdate`] | [`super::Settings`] |
//! | PUT | `/_fake/oauth/{app}/consent` | [`super::Consent`] | the consent |
//! | POST | `/_fake/oauth/{app}/faults` | `{"fault": `[`super::Fault`]`, "times": 1}` | `{"pending": [fault]}` |
//! | GET, DELETE | `/_fake/oauth/{app}/faults` | | `{"pending": [fault]}`, 204 |
//! | POST | `/_fake/oauth/{app}/users/{user}/revoke` | | `{"revoked_grants": n}` |
//! | POST | `/_fake/oauth/{app}/users/{user}/remove-scope` | `{"scope"}` | `{"changed_grants": n}` |
//! | POST | `/_fake/oauth/{app}/tokens` | `{"user", "scopes": []}` | [`super::MintedTokens`] |
//! | POST | `/_fake/oauth/clock` | `{"advance_secs": n}` | `{"offset_secs": n}` |
//! | PUT | `/_fake/oauth/clock-behind` | `{"secs": n}` | `{"behind_secs": n}` |
//! | GET | `/_fake/oauth/token-calls` | | `[`[`super::TokenCall`]`]` |
//! | GET | `/_fake/oauth/token-counts` | | `{app: {grant_type: {outcome: n}}}` |
//! | GET | `/_fake/oauth/users/{user}/tokens` | | `[`[`super::IssuedToken`]`]` |
//! | GET | `/_fake/oauth/jwt-assertions` | | `[`[`super::AssertionRecord`]`]` |
//! | GET | `/_fake/oauth/revocations` | | `[`[`super::Revocation`]`]` |
//! | DELETE | `/_fake/oauth/journal` | | 204 |

use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;

use super::app::{App, UnknownApp};
use super::client::{OauthClient, ServiceAccount};
use super::consent::Consent;
use super::faults::Fault;
use super::handle::{OauthControl, SettingsUpdate};
use crate::state::State;

/// `POST /_fake/oauth/{app}/faults`.
#[derive(Deserialize)]
struct NewFault {
    fault: Fault,
    #[serde(default = "once")]
    times: u32,
}

fn once() -> u32 {
    1
}

/// `POST /_fake/oauth/{app}/users/{user}/remove-scope`.
#[derive(Deserialize)]
struct RemoveScope {
    scope: String,
}

/// `POST /_fake/oauth/{app}/tokens`.
#[derive(Deserialize)]
struct Mint {
    user: String,
    #[serde(default)]
    scopes: Vec<String>,
}

/// `POST /_fake/oauth/clock`.
#[derive(Deserialize)]
struct Advance {
    advance_secs: u64,
}

/// `PUT /_fake/oauth/clock-behind`.
#[derive(Deserialize)]
struct Behind {
    secs: u64,
}

/// The control routes.
pub fn router() -> Router<State> {
    Router::new()
        .route("/_fake/oauth/clients", post(add_client).get(clients))
        .route("/_fake/oauth/service-accounts", post(add_service_account))
        .route(
            "/_fake/oauth/{app}/settings",
            get(settings).patch(update_settings),
        )
        .route("/_fake/oauth/{app}/consent", put(set_consent))
        .route(
            "/_fake/oauth/{app}/faults",
            post(add_fault).get(faults).delete(clear_faults),
        )
        .route("/_fake/oauth/{app}/users/{user}/revoke", post(revoke_user))
        .route(
            "/_fake/oauth/{app}/users/{user}/remove-scope",
            post(remove_scope),
        )
        .route("/_fake/oauth/{app}/tokens", post(mint))
        .route("/_fake/oauth/clock", post(advance_clock))
        .route("/_fake/oauth/clock-behind", put(set_clock_behind))
        .route("/_fake/oauth/token-calls", get(token_calls))
        .route("/_fake/oauth/token-counts", get(token_counts))
        .route("/_fake/oauth/users/{user}/tokens", get(issued_tokens))
        .route("/_fake/oauth/jwt-assertions", get(jwt_assertions))
        .route("/_fake/oauth/revocations", get(revocations))
        .route("/_fake/oauth/journal", axum::routing::delete(clear_journal))
}

/// A 400 with `{"error": message}`.
fn bad_request(message: impl ToString) -> Response {
    let body = json!({ "error": message.to_string() });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// The app named in the path.
fn app_of(name: &str) -> Result<App, UnknownApp> {
    name.parse::<App>()
}

impl IntoResponse for UnknownApp {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.to_string() });
        (StatusCode::NOT_FOUND, Json(body)).into_response()
    }
}

fn control(state: State) -> OauthControl {
    OauthControl::new(state)
}

async fn add_client(
    AxumState(state): AxumState<State>,
    Json(client): Json<OauthClient>,
) -> Response {
    match control(state).register_client(client.clone()) {
        Ok(()) => (StatusCode::CREATED, Json(client)).into_response(),
        Err(e) => bad_request(e),
    }
}

async fn clients(AxumState(state): AxumState<State>) -> Json<Vec<OauthClient>> {
    Json(control(state).clients())
}

async fn add_service_account(
    AxumState(state): AxumState<State>,
    Json(account): Json<ServiceAccount>,
) -> Response {
    match control(state).add_service_account(account.clone()) {
        Ok(()) => (StatusCode::CREATED, Json(account)).into_response(),
        Err(e) => bad_request(e),
    }
}

async fn settings(AxumState(state): AxumState<State>, Path(app): Path<String>) -> Response {
    match app_of(&app) {
        Ok(app) => Json(control(state).settings(app)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn update_settings(
    AxumState(state): AxumState<State>,
    Path(app): Path<String>,
    Json(update): Json<SettingsUpdate>,
) -> Response {
    match app_of(&app) {
        Ok(app) => Json(control(state).update_settings(app, update)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn set_consent(
    AxumState(state): AxumState<State>,
    Path(app): Path<String>,
    Json(consent): Json<Consent>,
) -> Response {
    match app_of(&app) {
        Ok(app) => {
            control(state).set_consent(app, consent.clone());
            Json(consent).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn add_fault(
    AxumState(state): AxumState<State>,
    Path(app): Path<String>,
    Json(new): Json<NewFault>,
) -> Response {
    match app_of(&app) {
        Ok(app) => {
            let control = control(state);
            control.inject_fault(app, new.fault, new.times);
            Json(json!({ "pending": control.pending_faults(app) })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn faults(AxumState(state): AxumState<State>, Path(app): Path<String>) -> Response {
    match app_of(&app) {
        Ok(app) => Json(json!({ "pending": control(state).pending_faults(app) })).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn clear_faults(AxumState(state): AxumState<State>, Path(app): Path<String>) -> Response {
    match app_of(&app) {
        Ok(app) => {
            control(state).clear_faults(app);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn revoke_user(
    AxumState(state): AxumState<State>,
    Path((app, user)): Path<(String, String)>,
) -> Response {
    match app_of(&app) {
        Ok(app) => {
            let revoked = control(state).revoke_user(app, &user);
            Json(json!({ "revoked_grants": revoked })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn remove_scope(
    AxumState(state): AxumState<State>,
    Path((app, user)): Path<(String, String)>,
    Json(body): Json<RemoveScope>,
) -> Response {
    match app_of(&app) {
        Ok(app) => {
            let changed = control(state).remove_scope(app, &user, &body.scope);
            Json(json!({ "changed_grants": changed })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn mint(
    AxumState(state): AxumState<State>,
    Path(app): Path<String>,
    Json(body): Json<Mint>,
) -> Response {
    match app_of(&app) {
        Ok(app) => {
            let scopes: Vec<&str> = body.scopes.iter().map(String::as_str).collect();
            Json(control(state).mint_tokens(app, &body.user, &scopes)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn advance_clock(AxumState(state): AxumState<State>, Json(body): Json<Advance>) -> Response {
    let offset = control(state).advance_clock(body.advance_secs);
    Json(json!({ "offset_secs": offset })).into_response()
}

async fn set_clock_behind(
    AxumState(state): AxumState<State>,
    Json(body): Json<Behind>,
) -> Response {
    let behind = control(state).set_clock_behind(body.secs);
    Json(json!({ "behind_secs": behind })).into_response()
}

async fn token_calls(AxumState(state): AxumState<State>) -> Response {
    Json(control(state).token_calls()).into_response()
}

async fn token_counts(AxumState(state): AxumState<State>) -> Response {
    Json(control(state).token_counts()).into_response()
}

async fn issued_tokens(AxumState(state): AxumState<State>, Path(user): Path<String>) -> Response {
    Json(control(state).issued_tokens_for(&user)).into_response()
}

async fn jwt_assertions(AxumState(state): AxumState<State>) -> Response {
    Json(control(state).jwt_assertions()).into_response()
}

async fn revocations(AxumState(state): AxumState<State>) -> Response {
    Json(control(state).revocations()).into_response()
}

async fn clear_journal(AxumState(state): AxumState<State>) -> StatusCode {
    control(state).clear_journal();
    StatusCode::NO_CONTENT
}
