//! How a token request failed, classified for what the gateway does next.

use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};
use oauth2::{RequestTokenError, StandardErrorResponse};

use super::http::{Observed, TransportError};

/// The classes of token-endpoint failure (DESIGN: refresh).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// The grant is gone (`invalid_grant`): only the user can fix it by reconnecting.
    #[error("the provider no longer accepts the grant ({0})")]
    InvalidGrant(String),
    /// The operator's client is wrong (`invalid_client`, `unauthorized_client`).
    #[error("the provider rejected the gateway's OAuth client ({0}); check the provider config")]
    InvalidClient(String),
    /// Worth retrying later: 429, 5xx, timeouts, connection failures.
    #[error("the provider is unavailable ({reason})")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Any other refusal (invalid_scope, invalid_request…).
    #[error("the provider refused the request: {0}")]
    Refused(String),
    /// An answer we could not read.
    #[error("the provider's answer could not be read: {0}")]
    Malformed(String),
}

impl TokenError {
    /// Whether the outcome at the provider is unknown (the request may have been processed).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            TokenError::Transient { .. } | TokenError::Malformed(_)
        )
    }
}

fn describe(e: &StandardErrorResponse<BasicErrorResponseType>) -> String {
    match e.error_description() {
        Some(d) => format!("{}: {}", e.error(), d),
        None => e.error().to_string(),
    }
}

/// Classify what `oauth2` returned, using what the HTTP layer observed.
pub fn classify(
    err: RequestTokenError<TransportError, BasicErrorResponse>,
    seen: &Observed,
) -> TokenError {
    let status = seen.status.unwrap_or(0);
    if status == 429 || status >= 500 {
        return TokenError::Transient {
            reason: format!("HTTP {status}"),
            retry_after: seen.retry_after,
        };
    }
    match err {
        RequestTokenError::ServerResponse(resp) => match resp.error() {
            BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant(describe(&resp)),
            BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                TokenError::InvalidClient(describe(&resp))
            }
            BasicErrorResponseType::Extension(code)
                if code == "temporarily_unavailable" || code == "slow_down" =>
            {
                TokenError::Transient {
                    reason: code.clone(),
                    retry_after: seen.retry_after,
                }
            }
            _ => TokenError::Refused(describe(&resp)),
        },
        RequestTokenError::Request(TransportError(e)) => TokenError::Transient {
            reason: e.to_string(),
            retry_after: None,
        },
        RequestTokenError::Parse(e, _) => TokenError::Malformed(e.to_string()),
        RequestTokenError::Other(m) => TokenError::Malformed(m),
    }
}
