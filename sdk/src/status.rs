//! Turns a non-2xx HTTP answer into the call error the host knows how to act on.
//!
//! | status | call error | why |
//! | --- | --- | --- |
//! | 401 | `auth(expired)` | the credential was not accepted; the host knows whether it can refresh, and decides |
//! | 403 | `auth(insufficient-scope(scopes))` | the credential *was* accepted (else 401) but does not permit this; scopes come from `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3.1) and are empty when the upstream did not say. Never `invalid`: a 403 is no reason to drop a working connection |
//! | 429 | `rate-limited(Retry-After)` | seconds parsed from `Retry-After` (an HTTP date gives `none`: the sandbox has no clock) |
//! | other | `upstream(status, message)` | the message is the upstream's own error text when its JSON has one (cut to 200 characters), else the reason phrase; the body is never echoed wholesale |

use crate::error::CallError;

/// Longest upstream message passed on, in characters.
const MAX_MESSAGE_CHARS: usize = 200;

/// The call error for an HTTP answer, or `None` when the status is a success (2xx).
pub fn error_for_status(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<CallError> {
    match status {
        200..=299 => None,
        401 => Some(CallError::expired()),
        403 => Some(CallError::insufficient_scope(
            header(headers, "www-authenticate")
                .and_then(insufficient_scopes)
                .unwrap_or_default(),
        )),
        429 => Some(CallError::rate_limited(
            header(headers, "retry-after").and_then(retry_after_seconds),
        )),
        _ => Some(CallError::upstream(status, upstream_message(status, body))),
    }
}

/// The first value of a header, matched case-insensitively.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// `Retry-After` as delta-seconds; an HTTP date or garbage gives `None`.
pub fn retry_after_seconds(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: only an overflow fails, and a huge wait is still a wait.
    Some(value.parse().unwrap_or(u32::MAX))
}

/// The scopes a Bearer challenge says are missing, when it is an `insufficient_scope` challenge.
pub fn insufficient_scopes(challenge: &str) -> Option<Vec<String>> {
    let params = challenge.trim();
    let params = params
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        .map(|_| &params[7..])?;
    let mut error = None;
    let mut scope = None;
    for (key, value) in auth_params(params) {
        match key.to_ascii_lowercase().as_str() {
            "error" => error = Some(value),
            "scope" => scope = Some(value),
            _ => {}
        }
    }
    (error.as_deref() == Some("insufficient_scope")).then(|| {
        scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    })
}

/// `key=value` and `key="quoted value"` pairs of a challenge, separated by commas.
fn auth_params(mut rest: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            rest = quoted.get(end + 1..).unwrap_or("");
            quoted[..end].to_owned()
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let value = rest[..end].trim().to_owned();
            rest = &rest[end..];
            value
        };
        pairs.push((key, value));
    }
    pairs
}

/// A short, single-line description of an error answer: the upstream's own message if its
/// JSON carries one in a usual place, else the status's reason phrase.
pub fn upstream_message(status: u16, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|json| json_message(&json))
        .map(|message| shorten(&message))
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| reason_phrase(status).to_owned())
}

/// The usual places APIs put an error message.
fn json_message(json: &serde_json::Value) -> Option<String> {
    const POINTERS: [&str; 7] = [
        "/message",
        "/error/message",
        "/error_description",
        "/errors/0/message",
        "/detail",
        "/error",
        "/title",
    ];
    POINTERS
        .iter()
        .find_map(|pointer| json.pointer(pointer)?.as_str().map(str::to_owned))
}

/// One line, at most 200 characters.
pub fn shorten(message: &str) -> String {
    let one_line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() <= MAX_MESSAGE_CHARS {
        return trimmed.to_owned();
    }
    let mut cut: String = trimmed.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The standard reason phrase, for answers without a readable message.
fn reason_phrase(status: u16) -> &'static str {
    let named = match status {
        400 => "Bad Request",
        402 => "Payment Required",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    match status {
        _ if !named.is_empty() => named,
        300..=399 => "Unexpected redirect",
        400..=499 => "Client error",
        500..=599 => "Server error",
        _ => "Unexpected status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AuthError, UpstreamError};

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn success_is_not_an_error() {
        assert_eq!(error_for_status(200, &[], b""), None);
        assert_eq!(error_for_status(204, &[], b""), None);
    }

    #[test]
    fn unauthorized_means_expired() {
        assert_eq!(
            error_for_status(401, &[], b"{}"),
            Some(CallError::Auth(AuthError::Expired))
        );
    }

    #[test]
    fn forbidden_reads_missing_scopes_from_the_challenge() {
        let h = headers(&[(
            "WWW-Authenticate",
            r#"Bearer realm="api", error="insufficient_scope", scope="read write""#,
        )]);
        assert_eq!(
            error_for_status(403, &h, b""),
            Some(CallError::insufficient_scope(["read", "write"]))
        );
    }

    #[test]
    fn forbidden_without_challenge_has_no_scopes() {
        assert_eq!(
            error_for_status(403, &[], b"{\"message\":\"nope\"}"),
            Some(CallError::Auth(AuthError::InsufficientScope(vec![])))
        );
        let other = headers(&[("www-authenticate", "Bearer error=\"invalid_token\"")]);
        assert_eq!(
            error_for_status(403, &other, b""),
            Some(CallError::Auth(AuthError::InsufficientScope(vec![])))
        );
    }

    #[test]
    fn too_many_requests_parses_retry_after() {
        let h = headers(&[("retry-after", " 30 ")]);
        assert_eq!(
            error_for_status(429, &h, b""),
            Some(CallError::RateLimited(Some(30)))
        );
        let date = headers(&[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(
            error_for_status(429, &date, b""),
            Some(CallError::RateLimited(None))
        );
        assert_eq!(
            error_for_status(429, &[], b""),
            Some(CallError::RateLimited(None))
        );
        assert_eq!(retry_after_seconds("99999999999"), Some(u32::MAX));
        assert_eq!(retry_after_seconds("-1"), None);
    }

    #[test]
    fn other_statuses_carry_the_upstream_message() {
        let body = br#"{"object":"error","status":404,"code":"object_not_found","message":"Could not find page"}"#;
        assert_eq!(
            error_for_status(404, &[], body),
            Some(CallError::Upstream(UpstreamError {
                status: 404,
                message: "Could not find page".into()
            }))
        );
        let nested = br#"{"error":{"message":"boom"}}"#;
        assert_eq!(upstream_message(500, nested), "boom");
        let graphql = br#"{"errors":[{"message":"Entity not found"}]}"#;
        assert_eq!(upstream_message(400, graphql), "Entity not found");
        let oauth = br#"{"error":"invalid_request","error_description":"bad param"}"#;
        assert_eq!(upstream_message(400, oauth), "bad param");
    }

    #[test]
    fn bodies_without_a_message_are_not_echoed() {
        assert_eq!(
            upstream_message(502, b"<html>secret stuff</html>"),
            "Bad Gateway"
        );
        assert_eq!(upstream_message(418, b"{\"data\":1}"), "Client error");
        assert_eq!(upstream_message(599, b""), "Server error");
    }

    #[test]
    fn long_messages_are_cut_to_one_line() {
        let long = format!("{{\"message\":\"line1\\nline2 {}\"}}", "x".repeat(500));
        let message = upstream_message(400, long.as_bytes());
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(message.starts_with("line1 line2"));
        assert!(message.ends_with('…'));
    }

    #[test]
    fn challenge_parsing_tolerates_odd_input() {
        assert_eq!(insufficient_scopes("Basic realm=\"x\""), None);
        assert_eq!(insufficient_scopes("Bearer"), None);
        assert_eq!(
            insufficient_scopes("Bearer error=\"insufficient_scope\""),
            Some(vec![])
        );
        assert_eq!(
            insufficient_scopes("bearer error=insufficient_scope, scope=\"a\""),
            Some(vec!["a".to_owned()])
        );
        assert_eq!(insufficient_scopes("Bearer error=\"unterminated"), None);
    }
}
