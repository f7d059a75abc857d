//! JSON request bodies with errors that say what is wrong, as problem+json.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// A JSON body parsed into `T`; a malformed one is an `invalid_request` problem.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::invalid_request(
                "send a JSON body with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    e.status(),
                    "payload_too_large",
                    "The request body is too large",
                    "the body is larger than this endpoint accepts",
                )
            } else {
                Problem::invalid_request(format!("cannot read the body: {e}"))
            }
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            Problem::invalid_request(format!(
                "the body is not valid JSON for this endpoint: {}",
                without_values(&e)
            ))
        })
    }
}

/// A serde error without anything the caller sent: serde quotes offending values (`invalid
/// type: string "lk_agent_…"`) and unknown keys, and the caller may have put a credential
/// there. What remains says what was expected, and where.
pub fn without_values(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    // serde_json quotes values with `"…"`; names of unknown fields and variants with `…`.
    while let Some(i) = rest.find(['"', '`']) {
        let quote = rest[i..].chars().next().unwrap_or('"');
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(quote) else {
            rest = "";
            out.push('…');
            break;
        };
        let quoted = &after[..end];
        let before = out.trim_end();
        // The lists of what is expected come from our own types: keep them.
        let ours =
            before.ends_with("expected") || before.ends_with("one of") || before.ends_with(',');
        if quote == '`' && ours {
            out.push('`');
            out.push_str(quoted);
            out.push('`');
        } else {
            out.push_str(if quote == '`' { "`…`" } else { "\"…\"" });
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Shape {
        count: u32,
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        ApiKey,
    }

    fn error_of(json: &str) -> String {
        without_values(&serde_json::from_str::<Shape>(json).expect_err("invalid"))
    }

    #[test]
    fn no_value_the_caller_sent_is_echoed() {
        let secret = "lk_agent_0123456789abcdef_supersecret";
        for body in [
            format!(r#"{{"count": "{secret}"}}"#),
            format!(r#"{{"count": 1, "{secret}": 1}}"#),
            format!(r#"{{"count": 1, "kind": "{secret}"}}"#),
        ] {
            let message = error_of(&body);
            assert!(!message.contains("supersecret"), "{message}");
            assert!(message.contains("line 1"), "{message}");
        }
        let message = error_of(r#"{"count": 1, "other": 1}"#);
        assert!(
            message.contains("`count`"),
            "what is expected is kept: {message}"
        );
    }
}
