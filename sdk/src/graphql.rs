//! GraphQL over the authenticated HTTP helper, with `errors` mapped to call errors even when
//! they arrive with HTTP 200.
//!
//! The first error decides, by its `extensions.code` or `extensions.type` (compared ignoring
//! case, spaces, `_` and `-`): `AUTHENTICATION_ERROR`/`UNAUTHENTICATED` → `auth(expired)` (like
//! HTTP 401: the host knows whether it can refresh); `FORBIDDEN` → `auth(insufficient-scope([]))`;
//! `RATELIMITED` → `rate-limited`; `INVALID_INPUT`/`INPUT_ERROR`/`BAD_USER_INPUT` →
//! `invalid-input`; anything else → `upstream(status, message)`, with the status from
//! `extensions.statusCode`, else the HTTP status, else 400 for errors in a 2xx answer
//! (the request went through; the operation did not). HTTP 401/403/429 are mapped by status
//! first, as in [`crate::status`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::CallError;
use crate::http::{Request, Response};
use crate::status;

/// Runs `query` with `variables` at `url` with the connection's credential; returns `data`.
pub fn query<T: DeserializeOwned>(
    url: &str,
    query: &str,
    variables: &impl Serialize,
) -> Result<T, CallError> {
    let body = serde_json::json!({ "query": query, "variables": variables });
    let response = Request::post(url).json(&body)?.authenticated().send()?;
    read(response)
}

/// Reads a GraphQL answer: `data` as `T`, or the call error its `errors` or status mean.
pub fn read<T: DeserializeOwned>(response: Response) -> Result<T, CallError> {
    let status = response.status();
    if matches!(status, 401 | 403 | 429)
        && let Some(error) = status::error_for_status(status, response.headers(), response.body())
    {
        return Err(error);
    }
    let envelope = serde_json::from_slice::<Envelope>(response.body()).ok();
    if let Some(first) = envelope.as_ref().and_then(|e| e.errors.first()) {
        return Err(classify(first, status));
    }
    if let Some(error) = status::error_for_status(status, response.headers(), response.body()) {
        return Err(error);
    }
    match envelope.and_then(|e| e.data).filter(|data| !data.is_null()) {
        Some(data) => serde_json::from_value(data).map_err(|e| {
            CallError::upstream(
                status,
                format!("the upstream answered with unexpected data: {e}"),
            )
        }),
        None => Err(CallError::upstream(
            status,
            "the GraphQL answer has neither data nor errors",
        )),
    }
}

/// A GraphQL response body.
#[derive(serde::Deserialize)]
struct Envelope {
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

/// One entry of `errors`.
#[derive(serde::Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    extensions: Value,
}

/// The call error one GraphQL error means.
fn classify(error: &GraphqlError, http_status: u16) -> CallError {
    let message = status::shorten(&error.message);
    let kinds = ["code", "type"]
        .iter()
        .filter_map(|key| error.extensions.get(key)?.as_str())
        .map(normalize);
    for kind in kinds {
        match kind.as_str() {
            "authenticationerror" | "unauthenticated" | "unauthorized" => {
                return CallError::expired();
            }
            "forbidden" => return CallError::insufficient_scope(Vec::<String>::new()),
            "ratelimited" | "ratelimit" => return CallError::rate_limited(None),
            "invalidinput" | "inputerror" | "baduserinput" => {
                return CallError::invalid_input(message);
            }
            _ => {}
        }
    }
    let status = error
        .extensions
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (400..=599).contains(code))
        .unwrap_or(if (200..300).contains(&http_status) {
            400
        } else {
            http_status
        });
    CallError::upstream(status, message)
}

/// `AUTHENTICATION_ERROR`, `authentication error` and `authentication-error` all compare equal.
fn normalize(kind: &str) -> String {
    kind.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::latchkey::connector::http;
    use crate::error::{AuthError, UpstreamError};

    fn answer(status: u16, body: &str) -> Response {
        Response::from_raw(http::Response {
            status,
            headers: vec![("retry-after".into(), "7".into())],
            body: body.as_bytes().to_vec(),
        })
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Viewer {
        viewer: Value,
    }

    #[test]
    fn data_is_returned() {
        let viewer: Viewer = read(answer(200, r#"{"data":{"viewer":{"id":"u1"}}}"#)).unwrap();
        assert_eq!(viewer.viewer["id"], "u1");
    }

    #[test]
    fn errors_in_200_are_classified() {
        let auth = r#"{"errors":[{"message":"Authentication required","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR"}}]}"#;
        assert_eq!(read::<Value>(answer(200, auth)), Err(CallError::expired()));
        let input = r#"{"data":null,"errors":[{"message":"Entity not found: Team","extensions":{"type":"invalid input","code":"INPUT_ERROR"}}]}"#;
        assert_eq!(
            read::<Value>(answer(200, input)),
            Err(CallError::invalid_input("Entity not found: Team"))
        );
        let forbidden =
            r#"{"errors":[{"message":"admin required","extensions":{"type":"forbidden"}}]}"#;
        assert_eq!(
            read::<Value>(answer(200, forbidden)),
            Err(CallError::Auth(AuthError::InsufficientScope(vec![])))
        );
        let limited = r#"{"errors":[{"message":"slow down","extensions":{"code":"RATELIMITED"}}]}"#;
        assert_eq!(
            read::<Value>(answer(400, limited)),
            Err(CallError::rate_limited(None))
        );
    }

    #[test]
    fn unknown_errors_are_upstream_errors() {
        let plain = r#"{"errors":[{"message":"Cannot query field \"nope\""}]}"#;
        assert_eq!(
            read::<Value>(answer(200, plain)),
            Err(CallError::upstream(400, "Cannot query field \"nope\""))
        );
        let coded = r#"{"errors":[{"message":"oops","extensions":{"statusCode":503}}]}"#;
        assert_eq!(
            read::<Value>(answer(200, coded)),
            Err(CallError::upstream(503, "oops"))
        );
        assert_eq!(
            read::<Value>(answer(500, plain))
                .err()
                .map(|e| matches!(e, CallError::Upstream(UpstreamError { status: 500, .. }))),
            Some(true)
        );
    }

    #[test]
    fn statuses_win_for_auth_and_rate_limits() {
        let auth = r#"{"errors":[{"message":"Authentication required","extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#;
        assert_eq!(read::<Value>(answer(401, auth)), Err(CallError::expired()));
        assert_eq!(
            read::<Value>(answer(429, "{}")),
            Err(CallError::rate_limited(Some(7)))
        );
    }

    #[test]
    fn empty_or_odd_answers() {
        assert!(matches!(
            read::<Value>(answer(200, r#"{"data":null}"#)),
            Err(CallError::Upstream(UpstreamError { status: 200, .. }))
        ));
        assert!(matches!(
            read::<Value>(answer(502, "<html>")),
            Err(CallError::Upstream(UpstreamError { status: 502, .. }))
        ));
        assert!(matches!(
            read::<Viewer>(answer(200, r#"{"data":{"other":1}}"#)),
            Err(CallError::Upstream(UpstreamError { status: 200, .. }))
        ));
    }
}
