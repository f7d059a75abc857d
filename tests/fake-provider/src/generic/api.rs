//! The generic app's API: who is calling (an access token of the generic app, or a registered
//! API key wherever it was placed), then the canned answer, scopes permitting.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::oauth::App;
use crate::oauth::access::{self, Denied};
use crate::state::Inner;

/// One API request, as far as the answer depends on it.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub host: &'a str,
    /// Path below the origin, e.g. `/v1/items`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// Who a request authenticates as.
enum Caller {
    /// An access token with its grant's scopes.
    Token(Vec<String>),
    /// A live API key (no scopes).
    Key,
    /// Refused, with the reason for the challenge.
    Refused(&'static str),
}

/// Every value a connector may have put a key in: headers (Bearer and Basic unwrapped) and
/// query parameters.
fn candidates(incoming: &Incoming<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in incoming.headers {
        let Ok(value) = value.to_str() else { continue };
        out.push(value.trim().to_owned());
        if name == "authorization"
            && let Some((scheme, rest)) = value.split_once(' ')
        {
            let rest = rest.trim();
            out.push(rest.to_owned());
            if scheme.eq_ignore_ascii_case("basic")
                && let Ok(decoded) = STANDARD.decode(rest)
                && let Ok(text) = String::from_utf8(decoded)
                && let Some((user, password)) = text.split_once(':')
            {
                out.push(user.to_owned());
                out.push(password.to_owned());
            }
        }
    }
    out.extend(
        url::form_urlencoded::parse(incoming.query.unwrap_or("").as_bytes())
            .map(|(_, v)| v.into_owned()),
    );
    out
}

fn identify(inner: &Inner, incoming: &Incoming<'_>) -> Caller {
    let mut refused = None;
    if let Some(token) = access::bearer(incoming.headers) {
        match access::check(&inner.oauth, App::Generic, token) {
            Ok(granted) => return Caller::Token(granted.scopes),
            Err(Denied::Expired) => refused = Some("The access token expired."),
            Err(Denied::Revoked) => refused = Some("The access token was revoked."),
            Err(Denied::Unknown) => {}
        }
    }
    for value in candidates(incoming) {
        match inner.generic.keys.get(&value) {
            Some(true) => return Caller::Key,
            Some(false) => refused = refused.or(Some("The API key was revoked.")),
            None => {}
        }
    }
    Caller::Refused(refused.unwrap_or("No valid credential was presented."))
}

/// The answer to one API request.
pub fn answer(inner: &mut Inner, incoming: &Incoming<'_>) -> Response {
    let canned = inner
        .generic
        .canned
        .iter()
        .rev()
        .find(|c| c.matches(incoming.method, incoming.host, incoming.path))
        .cloned();
    let public = canned.as_ref().is_some_and(|c| c.public);
    if !public {
        match identify(inner, incoming) {
            Caller::Refused(why) => {
                let challenge = format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    why.trim_end_matches('.')
                );
                let body = json!({ "error": "invalid_token", "error_description": why });
                return (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", challenge)],
                    Json(body),
                )
                    .into_response();
            }
            Caller::Token(granted) => {
                let missing: Vec<&String> = canned
                    .iter()
                    .flat_map(|c| c.scopes.iter())
                    .filter(|s| !granted.contains(s))
                    .collect();
                if !missing.is_empty() {
                    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    let challenge = format!(
                        "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                        list.join(" ")
                    );
                    let body = json!({
                        "error": "insufficient_scope",
                        "error_description": format!("This request needs the scope(s) {}.", list.join(", ")),
                    });
                    return (
                        StatusCode::FORBIDDEN,
                        [("www-authenticate", challenge)],
                        Json(body),
                    )
                        .into_response();
                }
            }
            Caller::Key => {}
        }
    }
    let Some(canned) = canned else {
        return Json(json!({})).into_response();
    };
    let status = StatusCode::from_u16(canned.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Json(canned.body)).into_response();
    for (name, value) in &canned.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
