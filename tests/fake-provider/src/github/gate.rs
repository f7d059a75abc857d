//! What every GitHub REST request goes through: a `User-Agent`, a supported
//! `X-GitHub-Api-Version`, a live OAuth token; and the headers and error shapes of the answers
//! (`X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes`, rate-limit headers).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use crate::oauth::{self, App};
use crate::people::Person;
use crate::state::Inner;

/// The API versions the fake accepts.
const VERSIONS: &[&str] = &["2022-11-28"];

/// The authenticated caller.
pub struct Caller {
    pub person: Person,
    pub scopes: Vec<String>,
}

impl Caller {
    /// Whether the token has any of `scopes`.
    pub fn has_any(&self, scopes: &[&str]) -> bool {
        self.scopes.iter().any(|s| scopes.contains(&s.as_str()))
    }
}

/// A GitHub answer: status, JSON body and extra headers.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    /// `X-OAuth-Scopes` (the token's), once the caller is known.
    pub scopes: Option<Vec<String>>,
    /// `X-Accepted-OAuth-Scopes` of the endpoint.
    pub accepted: &'static str,
    pub headers: Vec<(HeaderName, String)>,
}

impl Answer {
    /// A 200 with `body`.
    pub fn ok(caller: &Caller, accepted: &'static str, body: Value) -> Self {
        Answer {
            status: StatusCode::OK,
            body,
            scopes: Some(caller.scopes.clone()),
            accepted,
            headers: Vec::new(),
        }
    }

    /// GitHub's error object: `{"message", "documentation_url", "status"}`.
    pub fn error(status: StatusCode, message: &str, docs: &str) -> Self {
        Answer {
            status,
            body: json!({
                "message": message,
                "documentation_url": docs,
                "status": status.as_u16().to_string(),
            }),
            scopes: None,
            accepted: "",
            headers: Vec::new(),
        }
    }

    /// The same answer, with the caller's scopes and the endpoint's accepted scopes.
    pub fn for_caller(mut self, caller: &Caller, accepted: &'static str) -> Self {
        self.scopes = Some(caller.scopes.clone());
        self.accepted = accepted;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        let headers = response.headers_mut();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        put("content-type", "application/json; charset=utf-8");
        put("x-github-media-type", "github.v3; format=json");
        put("x-github-api-version-selected", VERSIONS[0]);
        put("x-github-request-id", "FAKE:0000:0000000:0000000:00000000");
        put("x-ratelimit-limit", "5000");
        put("x-ratelimit-remaining", "4999");
        put("x-ratelimit-used", "1");
        put("x-ratelimit-resource", "core");
        put("x-ratelimit-reset", "4102444800");
        if let Some(scopes) = &self.scopes {
            put("x-oauth-scopes", &scopes.join(", "));
            put("x-accepted-oauth-scopes", self.accepted);
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// Checks the headers and the token; answers GitHub's errors otherwise.
pub fn admit(inner: &mut Inner, headers: &HeaderMap) -> Result<Caller, Answer> {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().is_empty());
    if !user_agent {
        return Err(Answer::error(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a \
             User-Agent header.",
            "https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent",
        ));
    }
    if let Some(version) = headers.get("x-github-api-version") {
        let version = version.to_str().unwrap_or_default();
        if !VERSIONS.contains(&version) {
            return Err(Answer::error(
                StatusCode::BAD_REQUEST,
                &format!("API version {version} is not supported."),
                "https://docs.github.com/rest/about-the-rest-api/api-versions",
            ));
        }
    }
    let Some(token) = oauth::access::bearer(headers) else {
        return Err(Answer::error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            "https://docs.github.com/rest",
        ));
    };
    let access = oauth::access::check(&inner.oauth, App::Github, token).map_err(|_| {
        Answer::error(
            StatusCode::UNAUTHORIZED,
            "Bad credentials",
            "https://docs.github.com/rest",
        )
    })?;
    let person = inner.people.get(&access.user);
    inner.github.seed(&person);
    Ok(Caller {
        person,
        scopes: access.scopes,
    })
}
