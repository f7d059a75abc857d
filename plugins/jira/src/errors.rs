//! Jira's and the Atlassian gateway's error answers as call errors.
//!
//! | answer | call error |
//! | --- | --- |
//! | 401 `Unauthorized; scope does not match` | `auth(insufficient-scope([the operation's scope]))` (the gateway says 401, but refreshing cannot help) |
//! | other 401 | `auth(expired)`: the host refreshes once and retries |
//! | 400 | `invalid-input` with Jira's messages (`field: message`), which name what to fix |
//! | 403 | `upstream(403)`: a Jira permission (project role), not an OAuth scope |
//! | 429 | `rate-limited(Retry-After)` |
//! | other | `upstream(status, message)` |

use latchkey_sdk::status;
use latchkey_sdk::{CallError, Response};
use serde_json::Value;

/// `Ok` for a 2xx answer, otherwise the call error; `scope` is what the operation needs.
pub fn checked(response: Response, scope: Option<&str>) -> Result<Response, CallError> {
    if response.is_success() {
        return Ok(response);
    }
    let code = response.status();
    let body = serde_json::from_slice::<Value>(response.body()).unwrap_or(Value::Null);
    let message = message(&body).unwrap_or_else(|| status::upstream_message(code, response.body()));
    match code {
        401 if message.contains("scope does not match")
            || response.header("x-failure-category") == Some("FAILURE_CLIENT_SCOPE_CHECK") =>
        {
            Err(CallError::insufficient_scope(scope))
        }
        400 => Err(CallError::invalid_input(format!(
            "Jira refused the request: {message}"
        ))),
        401 | 429 => response.error_for_status(),
        _ => Err(CallError::upstream(code, message)),
    }
}

/// Jira's `errorMessages` and `errors` (`field: message`), or the gateway's `message`.
fn message(body: &Value) -> Option<String> {
    let mut parts: Vec<String> = body["errorMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    if let Some(errors) = body["errors"].as_object() {
        for (field, text) in errors {
            if let Some(text) = text.as_str() {
                parts.push(format!("{field}: {text}"));
            }
        }
    }
    if parts.is_empty()
        && let Some(text) = body["message"].as_str()
    {
        parts.push(text.to_owned());
    }
    (!parts.is_empty()).then(|| status::shorten(&parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::bindings::latchkey::connector::http;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response::from_raw(http::Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn scope_mismatch_is_not_an_expiry() {
        let mismatch = answer(
            401,
            &[("X-Failure-Category", "FAILURE_CLIENT_SCOPE_CHECK")],
            r#"{"code":401,"message":"Unauthorized; scope does not match"}"#,
        );
        assert_eq!(
            checked(mismatch, Some("write:jira-work")).err(),
            Some(CallError::insufficient_scope(["write:jira-work"]))
        );
        let expired = answer(401, &[], r#"{"code":401,"message":"Unauthorized"}"#);
        assert_eq!(checked(expired, None).err(), Some(CallError::expired()));
    }

    #[test]
    fn jira_messages_are_passed_on() {
        let bad = answer(
            400,
            &[],
            r#"{"errorMessages":[],"errors":{"issuetype":"The issue type selected is invalid."}}"#,
        );
        assert_eq!(
            checked(bad, None).err(),
            Some(CallError::invalid_input(
                "Jira refused the request: issuetype: The issue type selected is invalid."
            ))
        );
        let missing = answer(
            404,
            &[],
            r#"{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}"#,
        );
        assert_eq!(
            checked(missing, None).err(),
            Some(CallError::upstream(
                404,
                "Issue does not exist or you do not have permission to see it."
            ))
        );
        let forbidden = answer(403, &[], r#"{"errorMessages":["No permission."]}"#);
        assert_eq!(
            checked(forbidden, None).err(),
            Some(CallError::upstream(403, "No permission."))
        );
        let slow = answer(429, &[("Retry-After", "12")], "");
        assert_eq!(
            checked(slow, None).err(),
            Some(CallError::rate_limited(Some(12)))
        );
        assert!(checked(answer(204, &[], ""), None).is_ok());
    }
}
