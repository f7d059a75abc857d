//! Salesforce's error answers (`[{"message", "errorCode"}]`) as call errors.
//!
//! | answer | call error |
//! | --- | --- |
//! | 401 `INVALID_SESSION_ID` "…not valid for use with the REST API" | `auth(insufficient-scope(["api"]))`: the token lacks the `api` scope |
//! | other 401 | `auth(expired)`: the session timed out; the host refreshes once and retries |
//! | 403 `REQUEST_LIMIT_EXCEEDED` | `rate-limited` (the org's daily API limit) |
//! | other 403 | `upstream(403)`: the user's profile or the org forbids it (no OAuth scope helps) |
//! | 404 | `upstream(404)` |
//! | 400 `MALFORMED_ID`, `INVALID_ID_FIELD` | `invalid-input` |
//! | other | `upstream(status, "CODE: message")` |

use latchkey_sdk::status;
use latchkey_sdk::{CallError, Response};
use serde_json::Value;

/// The scope every REST call needs.
pub const API: &str = "api";

/// `Ok` for a 2xx answer, otherwise the call error.
pub fn checked(response: Response) -> Result<Response, CallError> {
    if response.is_success() {
        return Ok(response);
    }
    let code = response.status();
    let body = serde_json::from_slice::<Value>(response.body()).unwrap_or(Value::Null);
    let first = body.get(0).unwrap_or(&body);
    let error_code = first["errorCode"].as_str().unwrap_or_default();
    let message = first["message"]
        .as_str()
        .map(status::shorten)
        .unwrap_or_else(|| status::upstream_message(code, response.body()));
    match (code, error_code) {
        (401, _) if message.contains("not valid for use with the REST API") => {
            Err(CallError::insufficient_scope([API]))
        }
        (401, _) => Err(CallError::expired()),
        (403, "REQUEST_LIMIT_EXCEEDED") => Err(CallError::rate_limited(
            response
                .header("retry-after")
                .and_then(status::retry_after_seconds),
        )),
        (400, "MALFORMED_ID" | "INVALID_ID_FIELD") => Err(CallError::invalid_input(message)),
        (429, _) => response.error_for_status(),
        (_, "") => Err(CallError::upstream(code, message)),
        (_, error_code) => Err(CallError::upstream(
            code,
            format!("{error_code}: {message}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::bindings::latchkey::connector::http;

    fn answer(status: u16, code: &str, message: &str) -> Response {
        let body = serde_json::json!([{ "message": message, "errorCode": code }]);
        Response::from_raw(http::Response {
            status,
            headers: vec![],
            body: body.to_string().into_bytes(),
        })
    }

    #[test]
    fn statuses() {
        assert_eq!(
            checked(answer(
                401,
                "INVALID_SESSION_ID",
                "Session expired or invalid"
            ))
            .err(),
            Some(CallError::expired())
        );
        assert_eq!(
            checked(answer(
                401,
                "INVALID_SESSION_ID",
                "This session is not valid for use with the REST API"
            ))
            .err(),
            Some(CallError::insufficient_scope(["api"]))
        );
        assert_eq!(
            checked(answer(
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "TotalRequests Limit exceeded."
            ))
            .err(),
            Some(CallError::rate_limited(None))
        );
        assert_eq!(
            checked(answer(403, "INSUFFICIENT_ACCESS", "no")).err(),
            Some(CallError::upstream(403, "INSUFFICIENT_ACCESS: no"))
        );
        assert_eq!(
            checked(answer(
                404,
                "NOT_FOUND",
                "The requested resource does not exist"
            ))
            .err(),
            Some(CallError::upstream(
                404,
                "NOT_FOUND: The requested resource does not exist"
            ))
        );
        assert!(matches!(
            checked(answer(400, "MALFORMED_ID", "bad id")),
            Err(CallError::InvalidInput(_))
        ));
        assert!(checked(answer(200, "", "")).is_ok());
    }
}
