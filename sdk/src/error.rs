//! Short constructors for the WIT `call-error`, and how transport failures map onto it.

use crate::bindings::latchkey::connector::http::HttpError;
pub use crate::bindings::latchkey::connector::types::{AuthError, CallError, UpstreamError};

impl CallError {
    /// The agent sent input the tool cannot use; the message tells it what to fix.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        CallError::InvalidInput(message.into())
    }

    /// A bug or an impossible state inside the connector.
    pub fn internal(message: impl Into<String>) -> Self {
        CallError::Internal(message.into())
    }

    /// The upstream answered with an error the connector cannot classify further.
    pub fn upstream(status: u16, message: impl Into<String>) -> Self {
        CallError::Upstream(UpstreamError {
            status,
            message: message.into(),
        })
    }

    /// The access token expired: the host refreshes once (when it can) and retries.
    pub fn expired() -> Self {
        CallError::Auth(AuthError::Expired)
    }

    /// The grant is gone: the user must re-authorize.
    pub fn revoked() -> Self {
        CallError::Auth(AuthError::Revoked)
    }

    /// The credential works but lacks these scopes (empty when the upstream did not say which).
    pub fn insufficient_scope<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        CallError::Auth(AuthError::InsufficientScope(
            scopes.into_iter().map(Into::into).collect(),
        ))
    }

    /// The credential was rejected for a reason that is neither expiry nor revocation.
    pub fn invalid_credential(message: impl Into<String>) -> Self {
        CallError::Auth(AuthError::Invalid(message.into()))
    }

    /// The upstream asked us to slow down, with the seconds to wait when it said.
    pub fn rate_limited(retry_after: Option<u32>) -> Self {
        CallError::RateLimited(retry_after)
    }
}

/// So handlers can `?` a failed `send()`: each transport failure gets the closest call error.
///
/// - `denied` / `invalid-request`: the connector asked for something its manifest or the URL
///   rules forbid, a connector bug, so `internal`.
/// - `no-credential`: there is nothing to authenticate with, so the user must (re)connect:
///   `auth(invalid)`.
/// - `timeout`: `upstream(504)`; `too-large`, `transport`: `upstream(502)`.
impl From<HttpError> for CallError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Denied(why) => {
                CallError::internal(format!("request refused by the egress policy: {why}"))
            }
            HttpError::InvalidRequest(why) => {
                CallError::internal(format!("invalid request: {why}"))
            }
            HttpError::NoCredential => {
                CallError::invalid_credential("no credential is available for this connection")
            }
            HttpError::Timeout => CallError::upstream(504, "the upstream did not answer in time"),
            HttpError::TooLarge => {
                CallError::upstream(502, "the upstream response exceeded the size limit")
            }
            HttpError::Transport(why) => {
                CallError::upstream(502, format!("could not reach the upstream: {why}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_errors_map_to_call_errors() {
        assert_eq!(
            CallError::from(HttpError::Denied("host not allowed".into())),
            CallError::Internal("request refused by the egress policy: host not allowed".into())
        );
        assert!(matches!(
            CallError::from(HttpError::NoCredential),
            CallError::Auth(AuthError::Invalid(_))
        ));
        assert!(matches!(
            CallError::from(HttpError::Timeout),
            CallError::Upstream(UpstreamError { status: 504, .. })
        ));
        assert!(matches!(
            CallError::from(HttpError::TooLarge),
            CallError::Upstream(UpstreamError { status: 502, .. })
        ));
        assert!(matches!(
            CallError::from(HttpError::Transport("reset".into())),
            CallError::Upstream(UpstreamError { status: 502, .. })
        ));
        assert!(matches!(
            CallError::from(HttpError::InvalidRequest("bad url".into())),
            CallError::Internal(_)
        ));
    }

    #[test]
    fn insufficient_scope_collects_names() {
        assert_eq!(
            CallError::insufficient_scope(["read", "write"]),
            CallError::Auth(AuthError::InsufficientScope(vec![
                "read".into(),
                "write".into()
            ]))
        );
    }
}
