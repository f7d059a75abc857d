//! OAuth error answers (RFC 6749 §5.2) before they are shaped for an app.

use axum::http::StatusCode;

/// An OAuth error: code, description and HTTP status (the app's shape may change the status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthError {
    /// The RFC 6749 code, e.g. `invalid_grant`.
    pub code: &'static str,
    pub description: String,
    pub status: StatusCode,
    /// The code GitHub uses instead, when it has its own for this case.
    pub github_code: Option<&'static str>,
}

impl OauthError {
    fn new(code: &'static str, status: StatusCode, description: impl Into<String>) -> Self {
        OauthError {
            code,
            description: description.into(),
            status,
            github_code: None,
        }
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", StatusCode::BAD_REQUEST, description)
    }

    /// 401 `invalid_client`.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new("invalid_client", StatusCode::UNAUTHORIZED, description)
    }

    /// 400 `invalid_grant`.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", StatusCode::BAD_REQUEST, description)
    }

    /// 400 `unauthorized_client`.
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new("unauthorized_client", StatusCode::BAD_REQUEST, description)
    }

    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            "unsupported_grant_type",
            StatusCode::BAD_REQUEST,
            format!("grant_type `{grant_type}` is not supported"),
        )
    }

    /// 400 `invalid_scope`.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new("invalid_scope", StatusCode::BAD_REQUEST, description)
    }

    /// Uses GitHub's own code for this case.
    pub fn github(mut self, code: &'static str) -> Self {
        self.github_code = Some(code);
        self
    }
}
