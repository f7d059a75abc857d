//! Slack's Web API answers as call errors. Slack reports errors with HTTP 200 and
//! `{"ok": false, "error": code}`:
//!
//! | code | call error |
//! | --- | --- |
//! | `token_expired` | `auth(expired)`: the host refreshes (apps with token rotation) and retries |
//! | `token_revoked`, `account_inactive`, `app_uninstalled`, `team_access_not_granted`… | `auth(revoked)` |
//! | `invalid_auth`, `not_authed` | `auth(invalid)` |
//! | `missing_scope` (with `needed`) | `auth(insufficient-scope(needed))`, user-token scopes with their `user:` prefix |
//! | `ratelimited` (HTTP 429) | `rate-limited(Retry-After)` |
//! | `channel_not_found`, `not_in_channel`, `is_archived`, `no_text`, `msg_too_long`… | `invalid-input` with what to do |
//! | `internal_error`, `fatal_error`, `service_unavailable`, `request_timeout` | `upstream(5xx)` |
//! | anything else | `upstream(400, code)` |

use latchkey_sdk::status;
use latchkey_sdk::{CallError, Response};
use serde_json::Value;

/// Which of the connection's tokens a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The bot token (`xoxb-`), the connection's main token.
    Bot,
    /// The user token (`xoxp-`), the connection's extra token `user`.
    User,
}

/// The prefix of user-token scopes in Latchkey (`user:search:read`).
pub const USER_PREFIX: &str = "user:";

/// The answer's JSON when `ok` is true, otherwise the call error.
pub fn checked(response: Response, token: Token) -> Result<Value, CallError> {
    let code = response.status();
    if code == 429 {
        let wait = response
            .header("retry-after")
            .and_then(status::retry_after_seconds);
        return Err(CallError::rate_limited(wait));
    }
    let body = serde_json::from_slice::<Value>(response.body()).ok();
    let Some(body) = body.filter(|b| b.get("ok").is_some()) else {
        response.error_for_status()?;
        return Err(CallError::upstream(
            502,
            "Slack answered without the usual `ok` field",
        ));
    };
    if body["ok"] == true {
        return Ok(body);
    }
    let error = body["error"].as_str().unwrap_or("unknown_error");
    Err(classify(error, &body, token, &response))
}

fn classify(error: &str, body: &Value, token: Token, response: &Response) -> CallError {
    let input = |hint: &str| CallError::invalid_input(format!("Slack: {error} ({hint})"));
    match error {
        "token_expired" => CallError::expired(),
        "token_revoked"
        | "account_inactive"
        | "app_uninstalled"
        | "team_access_not_granted"
        | "org_login_required"
        | "ekm_access_denied"
        | "team_is_restricted" => CallError::revoked(),
        "invalid_auth" | "not_authed" => {
            CallError::invalid_credential(format!("Slack does not accept the token ({error})"))
        }
        "missing_scope" => {
            let needed = body["needed"].as_str().unwrap_or_default();
            CallError::insufficient_scope(
                needed
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| match token {
                        Token::Bot => s.to_owned(),
                        Token::User => format!("{USER_PREFIX}{s}"),
                    }),
            )
        }
        "ratelimited" | "rate_limited" => CallError::rate_limited(
            response
                .header("retry-after")
                .and_then(status::retry_after_seconds),
        ),
        "not_allowed_token_type" => CallError::internal(format!(
            "Slack refused the {} token for this method",
            match token {
                Token::Bot => "bot",
                Token::User => "user",
            }
        )),
        "channel_not_found" => input(
            "no such channel, or the app cannot see it: private channels need the app invited",
        ),
        "not_in_channel" => {
            input("the app is not a member of the channel: invite it with /invite first")
        }
        "is_archived" => input("the channel is archived"),
        "no_text" => input("a message needs text"),
        "msg_too_long" => input("the text is too long (40,000 characters at most)"),
        "no_query" => input("a search needs a query"),
        "invalid_cursor" => input("the cursor is not one Slack gave"),
        "restricted_action" | "cant_post_in_channel" | "posting_to_general_channel_denied" => {
            input("the workspace does not allow this app to post there")
        }
        "internal_error" | "fatal_error" => CallError::upstream(500, format!("Slack: {error}")),
        "service_unavailable" => CallError::upstream(503, format!("Slack: {error}")),
        "request_timeout" => CallError::upstream(504, format!("Slack: {error}")),
        other => CallError::upstream(400, format!("Slack: {}", status::shorten(other))),
    }
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

    fn error(body: &str, token: Token) -> CallError {
        checked(answer(200, &[], body), token).unwrap_err()
    }

    #[test]
    fn ok_false_is_an_error_even_with_200() {
        assert_eq!(
            checked(answer(200, &[], r#"{"ok":true,"ts":"1.2"}"#), Token::Bot).unwrap()["ts"],
            "1.2"
        );
        assert_eq!(
            error(r#"{"ok":false,"error":"token_expired"}"#, Token::Bot),
            CallError::expired()
        );
        assert_eq!(
            error(r#"{"ok":false,"error":"token_revoked"}"#, Token::User),
            CallError::revoked()
        );
        assert_eq!(
            error(r#"{"ok":false,"error":"account_inactive"}"#, Token::Bot),
            CallError::revoked()
        );
        assert!(matches!(
            error(r#"{"ok":false,"error":"invalid_auth"}"#, Token::Bot),
            CallError::Auth(latchkey_sdk::AuthError::Invalid(_))
        ));
        assert!(matches!(
            error(r#"{"ok":false,"error":"not_in_channel"}"#, Token::Bot),
            CallError::InvalidInput(_)
        ));
        assert_eq!(
            error(r#"{"ok":false,"error":"something_new"}"#, Token::Bot),
            CallError::upstream(400, "Slack: something_new")
        );
    }

    #[test]
    fn missing_scopes_are_named_for_their_token() {
        let body = r#"{"ok":false,"error":"missing_scope","needed":"chat:write","provided":"channels:read"}"#;
        assert_eq!(
            error(body, Token::Bot),
            CallError::insufficient_scope(["chat:write"])
        );
        let body =
            r#"{"ok":false,"error":"missing_scope","needed":"search:read,channels:history"}"#;
        assert_eq!(
            error(body, Token::User),
            CallError::insufficient_scope(["user:search:read", "user:channels:history"])
        );
    }

    #[test]
    fn rate_limits_and_odd_answers() {
        let limited = answer(
            429,
            &[("Retry-After", "30")],
            r#"{"ok":false,"error":"ratelimited"}"#,
        );
        assert_eq!(
            checked(limited, Token::Bot).unwrap_err(),
            CallError::rate_limited(Some(30))
        );
        let html = answer(503, &[], "<html>down</html>");
        assert!(
            matches!(checked(html, Token::Bot), Err(CallError::Upstream(e)) if e.status == 503)
        );
        let odd = answer(200, &[], r#"{"hello":1}"#);
        assert!(matches!(checked(odd, Token::Bot), Err(CallError::Upstream(e)) if e.status == 502));
    }
}
