//! Token-endpoint answers in each app's shape: successes, errors and injected faults.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::app::{App, Shape};
use super::error::{Case, OauthError};
use super::faults::Fault;
use super::scopes;

/// Tokens to hand out.
#[derive(Debug, Clone, Default)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
    /// `None`: no `scope` field.
    pub scopes: Option<Vec<String>>,
    /// App-specific fields (Notion's `bot_id`, `workspace_*`, `owner`).
    pub extra: Map<String, Value>,
}

/// An answer and how the journal records it.
pub struct Reply {
    pub response: Response,
    /// `ok` or the error code.
    pub outcome: String,
    pub status: u16,
}

/// Whether the client asked for JSON (`Accept`), which GitHub needs to answer in JSON.
pub fn wants_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.to_ascii_lowercase().contains("json"))
}

/// A successful token response.
pub fn success(app: App, issued: Issued, accept_json: bool) -> Reply {
    let shape = app.quirks().shape;
    let mut body = Map::new();
    if shape == Shape::Slack {
        body.insert("ok".into(), true.into());
    }
    // Slack leaves the bot token (and its type and scopes) out when only user scopes were
    // granted: an empty access token stands for that.
    let main_token = !issued.access_token.is_empty();
    if main_token {
        body.insert("access_token".into(), issued.access_token.into());
        let token_type = match shape {
            Shape::Standard | Shape::Atlassian | Shape::Salesforce => "Bearer",
            Shape::Github | Shape::Notion => "bearer",
            Shape::Slack => "bot",
        };
        body.insert("token_type".into(), token_type.into());
    }
    if let Some(expires_in) = issued.expires_in {
        body.insert("expires_in".into(), expires_in.into());
    }
    if let Some(refresh) = issued.refresh_token {
        body.insert("refresh_token".into(), refresh.into());
        if shape == Shape::Github {
            // GitHub's expiring user tokens: refresh tokens last six months.
            body.insert("refresh_token_expires_in".into(), 15_897_600.into());
        }
    }
    if let Some(scopes) = issued
        .scopes
        .filter(|_| shape != Shape::Notion && (main_token || shape != Shape::Slack))
    {
        body.insert("scope".into(), scopes::join(app, &scopes).into());
    }
    body.extend(issued.extra);
    let response = render(shape, StatusCode::OK, body, accept_json);
    Reply {
        response,
        outcome: "ok".into(),
        status: 200,
    }
}

/// An error in the app's shape (GitHub and Slack: HTTP 200 and their own codes; Atlassian: a
/// dead refresh token is a 403; Salesforce: always 400).
pub fn error(app: App, grant_type: &str, error: OauthError, accept_json: bool) -> Reply {
    let shape = app.quirks().shape;
    let (status, code) = match shape {
        Shape::Github => (StatusCode::OK, github_code(&error, grant_type)),
        Shape::Slack => (StatusCode::OK, slack_code(&error, grant_type)),
        Shape::Salesforce => (StatusCode::BAD_REQUEST, salesforce_code(&error)),
        Shape::Atlassian if error.code == "invalid_grant" && grant_type == "refresh_token" => {
            (StatusCode::FORBIDDEN, error.code)
        }
        Shape::Standard | Shape::Notion | Shape::Atlassian => (error.status, error.code),
    };
    let mut body = Map::new();
    if shape == Shape::Slack {
        body.insert("ok".into(), false.into());
        body.insert("error".into(), code.into());
    } else {
        body.insert("error".into(), code.into());
        body.insert("error_description".into(), error.description.clone().into());
    }
    if shape == Shape::Github {
        body.insert(
            "error_uri".into(),
            format!(
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#{}",
                code.replace('_', "-")
            )
            .into(),
        );
    }
    let mut response = render(shape, status, body, accept_json);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth\""),
        );
    }
    Reply {
        response,
        outcome: error.code.to_owned(),
        status: status.as_u16(),
    }
}

/// The answer for an injected fault; `None` for a delay (the request then goes on).
pub fn fault(app: App, grant_type: &str, fault: &Fault, accept_json: bool) -> Option<Reply> {
    let injected = "Injected by the fake provider.";
    let reply = match fault {
        Fault::Delay { .. } => return None,
        Fault::InvalidGrant => error(
            app,
            grant_type,
            OauthError::invalid_grant(injected),
            accept_json,
        ),
        Fault::InvalidClient => error(
            app,
            grant_type,
            OauthError::invalid_client(injected),
            accept_json,
        ),
        Fault::RateLimited { retry_after_secs } => {
            let body = if app.quirks().shape == Shape::Slack {
                json!({ "ok": false, "error": "ratelimited" })
            } else {
                json!({ "error": "rate_limit_exceeded", "error_description": "Too many requests." })
            };
            let response = (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after_secs.to_string())],
                axum::Json(body),
            )
                .into_response();
            Reply {
                response,
                outcome: "rate_limited".into(),
                status: 429,
            }
        }
        Fault::ServerError { status } => {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = if status == StatusCode::SERVICE_UNAVAILABLE {
                "temporarily_unavailable"
            } else {
                "server_error"
            };
            let body = json!({ "error": code, "error_description": injected });
            Reply {
                response: (status, axum::Json(body)).into_response(),
                outcome: "server_error".into(),
                status: status.as_u16(),
            }
        }
        Fault::ErrorWith200 { error } => {
            let body = json!({ "error": error, "error_description": injected });
            Reply {
                response: (StatusCode::OK, axum::Json(body)).into_response(),
                outcome: error.clone(),
                status: 200,
            }
        }
    };
    Some(reply)
}

/// GitHub's name for an error.
fn github_code(error: &OauthError, grant_type: &str) -> &'static str {
    if error.case == Case::RedirectMismatch {
        return "redirect_uri_mismatch";
    }
    match (error.code, grant_type) {
        ("invalid_grant", "refresh_token") => "bad_refresh_token",
        ("invalid_grant", _) => "bad_verification_code",
        ("invalid_client", _) => "incorrect_client_credentials",
        (code, _) => code,
    }
}

/// Slack's name for an error (`oauth.v2.access`'s documented codes).
fn slack_code(error: &OauthError, grant_type: &str) -> &'static str {
    match (error.code, error.case, grant_type) {
        (_, Case::RedirectMismatch, _) => "bad_redirect_uri",
        ("invalid_client", Case::UnknownClient, _) => "invalid_client_id",
        ("invalid_client", _, _) => "bad_client_secret",
        ("invalid_grant", _, "refresh_token") => "invalid_refresh_token",
        ("invalid_grant", _, _) => "invalid_code",
        ("unsupported_grant_type", _, _) => "invalid_grant_type",
        ("invalid_request", _, _) => "invalid_arguments",
        (code, _, _) => code,
    }
}

/// Salesforce's name for an error.
fn salesforce_code(error: &OauthError) -> &'static str {
    match (error.code, error.case) {
        ("invalid_client", Case::UnknownClient) => "invalid_client_id",
        (_, Case::RedirectMismatch) => "redirect_uri_mismatch",
        (code, _) => code,
    }
}

/// JSON, or for GitHub clients that did not ask for JSON, a form-encoded body.
fn render(
    shape: Shape,
    status: StatusCode,
    body: Map<String, Value>,
    accept_json: bool,
) -> Response {
    let no_store = [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ];
    if shape == Shape::Github && !accept_json {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &body {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            form.append_pair(key, &text);
        }
        let content_type = [(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        return (status, no_store, content_type, form.finish()).into_response();
    }
    (status, no_store, axum::Json(Value::Object(body))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_codes() {
        let grant = OauthError::invalid_grant("x");
        assert_eq!(github_code(&grant, "refresh_token"), "bad_refresh_token");
        assert_eq!(
            github_code(&grant, "authorization_code"),
            "bad_verification_code"
        );
        assert_eq!(
            github_code(&OauthError::invalid_client("x"), "authorization_code"),
            "incorrect_client_credentials"
        );
        assert_eq!(
            github_code(&grant.case(Case::RedirectMismatch), "authorization_code"),
            "redirect_uri_mismatch"
        );
    }

    #[test]
    fn slack_and_salesforce_codes() {
        let grant = OauthError::invalid_grant("x");
        assert_eq!(slack_code(&grant, "refresh_token"), "invalid_refresh_token");
        assert_eq!(slack_code(&grant, "authorization_code"), "invalid_code");
        let unknown = OauthError::invalid_client("x").case(Case::UnknownClient);
        let wrong = OauthError::invalid_client("x").case(Case::BadSecret);
        assert_eq!(
            slack_code(&unknown, "authorization_code"),
            "invalid_client_id"
        );
        assert_eq!(
            slack_code(&wrong, "authorization_code"),
            "bad_client_secret"
        );
        assert_eq!(salesforce_code(&unknown), "invalid_client_id");
        assert_eq!(salesforce_code(&wrong), "invalid_client");
        let slack = error(App::Slack, "authorization_code", grant.clone(), true);
        assert_eq!(
            (slack.status, slack.outcome.as_str()),
            (200, "invalid_grant")
        );
        let atlassian = error(App::Atlassian, "refresh_token", grant.clone(), true);
        assert_eq!(atlassian.status, 403);
        let atlassian_code = error(App::Atlassian, "authorization_code", grant, true);
        assert_eq!(atlassian_code.status, 400);
        let salesforce = error(App::Salesforce, "refresh_token", wrong, true);
        assert_eq!(salesforce.status, 400);
    }

    #[test]
    fn statuses_by_shape() {
        let github = error(
            App::Github,
            "refresh_token",
            OauthError::invalid_grant("x"),
            true,
        );
        assert_eq!(
            (github.status, github.outcome.as_str()),
            (200, "invalid_grant")
        );
        let google = error(
            App::Google,
            "refresh_token",
            OauthError::invalid_client("x"),
            true,
        );
        assert_eq!(google.status, 401);
        assert!(google.response.headers().contains_key("www-authenticate"));
        let slow = fault(App::Google, "x", &Fault::Delay { ms: 1 }, true);
        assert!(slow.is_none());
        let odd = fault(App::Google, "x", &Fault::ServerError { status: 200 }, true);
        assert_eq!(odd.map(|r| r.status), Some(500));
        assert!(wants_json(Some("application/json")));
        assert!(!wants_json(None));
    }
}
