//! Google's error answers as call errors. A 403 may mean missing scopes, a rate limit, or no
//! access to the file; Google's `WWW-Authenticate` lists the scopes the method *accepts* (any
//! one will do), so the connector names the one it declared instead.

use latchkey_sdk::status;
use latchkey_sdk::{CallError, Response};
use serde_json::Value;

/// `Ok` for a 2xx answer, otherwise the matching call error.
pub fn checked(response: Response, needed_scope: &str) -> Result<Response, CallError> {
    if response.is_success() {
        return Ok(response);
    }
    let code = response.status();
    let reason = serde_json::from_slice::<Value>(response.body())
        .ok()
        .and_then(|body| {
            body["error"]["errors"][0]["reason"]
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let challenge = response.header("www-authenticate").unwrap_or_default();
    let retry_after = response
        .header("retry-after")
        .and_then(status::retry_after_seconds);
    match (code, reason.as_str()) {
        (403, "insufficientPermissions") => Err(CallError::insufficient_scope([needed_scope])),
        (403, _) if challenge.contains("insufficient_scope") => {
            Err(CallError::insufficient_scope([needed_scope]))
        }
        (403 | 429, "userRateLimitExceeded" | "rateLimitExceeded") | (429, _) => {
            Err(CallError::rate_limited(retry_after))
        }
        (403, _) => Err(CallError::upstream(
            403,
            status::upstream_message(403, response.body()),
        )),
        _ => response.error_for_status(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::bindings::latchkey::connector::http;

    const SCOPE: &str = "https://www.googleapis.com/auth/drive.readonly";

    fn answer(status: u16, reason: &str, headers: &[(&str, &str)]) -> Response {
        let body = format!(
            r#"{{"error":{{"code":{status},"message":"m","errors":[{{"reason":"{reason}"}}]}}}}"#
        );
        Response::from_raw(http::Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.into_bytes(),
        })
    }

    #[test]
    fn statuses() {
        assert_eq!(
            checked(answer(403, "insufficientPermissions", &[]), SCOPE).err(),
            Some(CallError::insufficient_scope([SCOPE]))
        );
        let challenge = [(
            "WWW-Authenticate",
            "Bearer realm=\"x\", error=\"insufficient_scope\", scope=\"a b c\"",
        )];
        assert_eq!(
            checked(answer(403, "other", &challenge), SCOPE).err(),
            Some(CallError::insufficient_scope([SCOPE]))
        );
        assert_eq!(
            checked(
                answer(403, "userRateLimitExceeded", &[("Retry-After", "9")]),
                SCOPE
            )
            .err(),
            Some(CallError::rate_limited(Some(9)))
        );
        assert_eq!(
            checked(answer(403, "insufficientFilePermissions", &[]), SCOPE).err(),
            Some(CallError::upstream(403, "m"))
        );
        assert_eq!(
            checked(answer(401, "authError", &[]), SCOPE).err(),
            Some(CallError::expired())
        );
        assert_eq!(
            checked(answer(404, "notFound", &[]), SCOPE).err(),
            Some(CallError::upstream(404, "m"))
        );
        assert!(checked(answer(200, "", &[]), SCOPE).is_ok());
    }
}
