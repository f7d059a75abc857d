//! Google's error object, `{"error": {"code", "message", "errors": [...], "status"}}`, with the
//! `WWW-Authenticate` challenge Google sends on 401 and 403.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

/// A Google API error.
#[derive(Debug)]
pub struct GoogleError {
    pub status: StatusCode,
    pub message: String,
    /// `errors[0].reason`, e.g. `notFound`, `authError`, `insufficientPermissions`.
    pub reason: &'static str,
    /// `errors[0].location` (a parameter or header name) when there is one.
    pub location: Option<(&'static str, &'static str)>,
    /// Scopes listed in an `insufficient_scope` challenge.
    pub challenge_scopes: Option<Vec<&'static str>>,
}

impl GoogleError {
    /// 401 for a missing token.
    pub fn missing_credentials() -> Self {
        GoogleError {
            status: StatusCode::UNAUTHORIZED,
            message: "Request is missing required authentication credential. Expected OAuth 2 \
                      access token, login cookie or other valid authentication credential. See \
                      https://developers.google.com/identity/sign-in/web/devconsole-project."
                .into(),
            reason: "required",
            location: Some(("Authorization", "header")),
            challenge_scopes: None,
        }
    }

    /// 401 for an unknown, expired or revoked token.
    pub fn invalid_credentials() -> Self {
        GoogleError {
            status: StatusCode::UNAUTHORIZED,
            message: "Request had invalid authentication credentials. Expected OAuth 2 access \
                      token, login cookie or other valid authentication credential. See \
                      https://developers.google.com/identity/sign-in/web/devconsole-project."
                .into(),
            reason: "authError",
            location: Some(("Authorization", "header")),
            challenge_scopes: None,
        }
    }

    /// 403 for a token without any of `accepted`.
    pub fn insufficient_scope(accepted: Vec<&'static str>) -> Self {
        GoogleError {
            status: StatusCode::FORBIDDEN,
            message: "Request had insufficient authentication scopes.".into(),
            reason: "insufficientPermissions",
            location: None,
            challenge_scopes: Some(accepted),
        }
    }

    /// 400 for a bad parameter.
    pub fn invalid_parameter(message: impl Into<String>, parameter: &'static str) -> Self {
        GoogleError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            reason: "invalid",
            location: Some((parameter, "parameter")),
            challenge_scopes: None,
        }
    }

    /// 400 for a missing parameter.
    pub fn required_parameter(message: impl Into<String>, parameter: &'static str) -> Self {
        GoogleError {
            reason: "required",
            ..Self::invalid_parameter(message, parameter)
        }
    }

    /// 404 for a file the caller cannot see.
    pub fn file_not_found(id: &str) -> Self {
        GoogleError {
            status: StatusCode::NOT_FOUND,
            message: format!("File not found: {id}."),
            reason: "notFound",
            location: Some(("fileId", "parameter")),
            challenge_scopes: None,
        }
    }

    /// 404 for a path the API does not have.
    pub fn no_such_method() -> Self {
        GoogleError {
            status: StatusCode::NOT_FOUND,
            message: "Method not found.".into(),
            reason: "notFound",
            location: None,
            challenge_scopes: None,
        }
    }
}

impl IntoResponse for GoogleError {
    fn into_response(self) -> Response {
        let status_name = match self.status {
            StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
            StatusCode::FORBIDDEN => "PERMISSION_DENIED",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            _ => "INVALID_ARGUMENT",
        };
        let mut item = json!({
            "message": self.message,
            "domain": "global",
            "reason": self.reason,
        });
        if let Some((location, kind)) = self.location {
            item["location"] = location.into();
            item["locationType"] = kind.into();
        }
        let body = json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "errors": [item],
                "status": status_name,
            }
        });
        let challenge = match (&self.challenge_scopes, self.status) {
            (Some(scopes), _) => Some(format!(
                "Bearer realm=\"https://accounts.google.com/\", error=\"insufficient_scope\", \
                 scope=\"{}\"",
                scopes.join(" ")
            )),
            (None, StatusCode::UNAUTHORIZED) => Some(
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".to_owned(),
            ),
            _ => None,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
