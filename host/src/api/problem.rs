//! RFC 9457 problem details: every error the API returns, with a stable `type` per kind.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Prefix of every problem `type` URI; the suffix is the stable code.
pub const TYPE_PREFIX: &str = "urn:latchkey:problem:";

/// An error response body (`application/problem+json`).
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `authorization_required`.
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    /// Extension members (connect links, validation errors, …).
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u32>,
    /// Adds `WWW-Authenticate` (for 401s).
    pub challenge: Option<String>,
}

impl Problem {
    /// A problem with no extension members.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            code,
            title,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
            challenge: None,
        }
    }

    /// Add an extension member.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }

    /// The request body is not what the endpoint accepts.
    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is malformed",
            detail,
        )
    }

    /// No valid key of the required kind was presented.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut p = Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        p.challenge = Some("Bearer realm=\"latchkey\"".into());
        p
    }

    /// Something the gateway itself could not do; details go to the logs, not the caller.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the gateway failed to handle the request; see its logs",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": format!("{TYPE_PREFIX}{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Value::Object(map) = &mut body {
            for (k, v) in &self.extra {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(challenge) = &self.challenge
            && let Ok(v) = HeaderValue::from_str(challenge)
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

impl From<crate::vault::VaultError> for Problem {
    /// Storage failures: a full disk, storage out of reach or a lost race is the caller's to
    /// retry later (nothing was stored); anything else is the gateway's fault, detailed only
    /// in its logs.
    fn from(e: crate::vault::VaultError) -> Self {
        tracing::error!(error = %e, "storage failure");
        match e {
            e if e.retry_later() => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The gateway's storage is unavailable",
                "nothing was stored; retry later",
            ),
            _ => Problem::internal(),
        }
    }
}

impl Problem {
    /// A 404 with a stable code naming what was not found.
    pub fn not_found(code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, code, title, detail)
    }
}

impl From<crate::auth::connect::LinkError> for Problem {
    /// A link that could not be made: the request's fault when refused, ours otherwise.
    fn from(e: crate::auth::connect::LinkError) -> Self {
        match e {
            crate::auth::connect::LinkError::Refused(m) => Problem::invalid_request(m),
            crate::auth::connect::LinkError::Vault(v) => v.into(),
            other => {
                tracing::error!(error = %other, "cannot make a connect link");
                Problem::internal()
            }
        }
    }
}
