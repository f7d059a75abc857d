//! Reading the upstream response within the caps and shaping what the plugin sees.
//!
//! Decision: `Set-Cookie` (and `Set-Cookie2`) never reach the plugin. A plugin has no
//! cookie jar, and a session cookie minted for our credential is itself a credential
//! that could leave through a tool's output.

use reqwest::header::HeaderMap;

use super::error::EgressError;
use super::redact::Redactor;

/// Response headers the plugin never sees.
const HIDDEN: &[&str] = &["set-cookie", "set-cookie2"];

/// Streams the body, failing with `TooLarge` as soon as `cap` would be exceeded.
pub(super) async fn read_body(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, EgressError> {
    let declared = response.content_length().unwrap_or(0);
    if declared > u64::try_from(cap).unwrap_or(u64::MAX) {
        return Err(EgressError::TooLarge);
    }
    let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(cap));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| super::failure::from_reqwest(&e))?
    {
        if chunk.len() > cap - body.len() {
            return Err(EgressError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Checks the response headers against the caps.
pub(super) fn check_headers(
    headers: &HeaderMap,
    max_count: usize,
    max_bytes: usize,
) -> Result<(), EgressError> {
    let bytes: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    if headers.len() > max_count || bytes > max_bytes {
        return Err(EgressError::TooLarge);
    }
    Ok(())
}

/// The header pairs the plugin sees: hidden ones dropped, credential redacted.
pub(super) fn visible_headers(
    headers: &HeaderMap,
    redactor: Option<&Redactor>,
) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !HIDDEN.contains(&name.as_str()))
        .map(|(name, value)| {
            let bytes = value.as_bytes().to_vec();
            let bytes = match redactor {
                Some(r) => r.redact(bytes),
                None => bytes,
            };
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::super::credential::Credential;
    use super::*;

    #[test]
    fn cookies_are_hidden_and_secrets_redacted() {
        let mut h = HeaderMap::new();
        h.append("set-cookie", HeaderValue::from_static("sid=abc"));
        h.append("x-echo", HeaderValue::from_static("Bearer tok-123"));
        h.append("x-bin", HeaderValue::from_bytes(b"\xfftok-123").unwrap());
        let r = Redactor::for_credential(&Credential::Bearer("tok-123".into()));
        let v = visible_headers(&h, Some(&r));
        assert_eq!(
            v,
            vec![
                ("x-echo".to_string(), "Bearer [REDACTED]".to_string()),
                ("x-bin".to_string(), "\u{fffd}[REDACTED]".to_string()),
            ]
        );
    }

    #[test]
    fn header_caps() {
        let mut h = HeaderMap::new();
        h.append("a", HeaderValue::from_static("1"));
        h.append("b", HeaderValue::from_static("2"));
        assert!(check_headers(&h, 2, 100).is_ok());
        assert_eq!(check_headers(&h, 1, 100), Err(EgressError::TooLarge));
        assert_eq!(check_headers(&h, 2, 3), Err(EgressError::TooLarge));
    }
}
