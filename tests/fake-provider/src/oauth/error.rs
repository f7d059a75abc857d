//! OAuth error answers (RFC 6749 §5.2) before they are shaped for an app.

use axum::http::StatusCode;

/// An OAuth error: code, description and HTTP status (the app's shape may change the status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthError {
    /// The RFC 6749 code, e.g. `invalid_grant`.
    pub code: &'static str,
    pub description: String,
    pub status: StatusCode,
    /// Which case of the code this is, for apps that name the cases apart (GitHub, Slack,
    /// Salesforce).
    pub case: Case,
}

/// The finer case of an error, for apps with their own codes: GitHub's
/// `redirect_uri_mismatch`, Slack's `invalid_client_id` / `bad_client_secret`, Salesforce's
/// `invalid_client_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Case {
    /// Nothing finer than the RFC 6749 code.
    #[default]
    General,
    /// `invalid_client`: no client has this id.
    UnknownClient,
    /// `invalid_client`: the client exists, its secret (or method) is wrong.
    BadSecret,
    /// `invalid_grant`: the `redirect_uri` differs from the authorization request's.
    RedirectMismatch,
}

impl OauthError {
    fn new(code: &'static str, status: StatusCode, description: impl Into<String>) -> Self {
        OauthError {
            code,
            description: description.into(),
            status,
            case: Case::General,
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

    /// Names the finer case (see [`Case`]).
    pub fn case(mut self, case: Case) -> Self {
        self.case = case;
        self
    }
}
