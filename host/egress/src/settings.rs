//! Operator-controlled egress limits and test/demo routing.

use std::collections::BTreeMap;
use std::time::Duration;

use super::error::SettingsError;

/// Limits and routing for all plugin egress; one value per [`super::Egress`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressSettings {
    /// Permit loopback/private/link-local targets. Off in production; tests and the demo
    /// turn it on to reach the local fake provider.
    pub allow_private_addresses: bool,
    /// Allowed origin (`https://api.notion.com`) → base URL (`http://127.0.0.1:4100/notion`)
    /// that requests to it are sent to instead, path appended. Applied after the allowlist
    /// check; the target is still subject to the address rule.
    pub overrides: BTreeMap<String, String>,
    /// Timeout for the whole exchange when the plugin asks for none.
    pub default_timeout: Duration,
    /// Upper bound on any timeout a plugin asks for.
    pub max_timeout: Duration,
    /// Largest request body a plugin may send.
    pub max_request_body_bytes: usize,
    /// Largest response body a plugin may receive (streamed, never buffered past this).
    pub max_response_body_bytes: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Most header fields in a request the plugin builds, or in a response it receives.
    pub max_header_count: usize,
    /// Most bytes of header names plus values, per request or response.
    pub max_header_bytes: usize,
}

impl Default for EgressSettings {
    fn default() -> Self {
        Self {
            allow_private_addresses: false,
            overrides: BTreeMap::new(),
            default_timeout: Duration::from_secs(30),
            max_timeout: Duration::from_secs(120),
            max_request_body_bytes: 10 * 1024 * 1024,
            max_response_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            max_header_count: 100,
            max_header_bytes: 64 * 1024,
        }
    }
}

impl EgressSettings {
    /// Refuses zero or inconsistent limits (overrides are checked by the router).
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        let limit = |msg: &str| Err(SettingsError::Limit(msg.into()));
        if self.default_timeout.is_zero() || self.max_timeout.is_zero() {
            return limit("timeouts must be greater than zero");
        }
        if self.default_timeout > self.max_timeout {
            return limit("default_timeout must not exceed max_timeout");
        }
        if self.max_response_body_bytes == 0 {
            return limit("max_response_body_bytes must be greater than zero");
        }
        if self.max_header_count == 0 || self.max_header_bytes == 0 {
            return limit("header limits must be greater than zero");
        }
        Ok(())
    }

    /// The plugin's requested timeout, defaulted and clamped to the maximum.
    pub(super) fn timeout_for(&self, requested: Option<Duration>) -> Duration {
        requested
            .unwrap_or(self.default_timeout)
            .min(self.max_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe_and_valid() {
        let s = EgressSettings::default();
        assert!(!s.allow_private_addresses);
        assert!(s.overrides.is_empty());
        assert!(s.validate().is_ok());
    }

    #[test]
    fn timeouts_are_defaulted_and_clamped() {
        let s = EgressSettings::default();
        assert_eq!(s.timeout_for(None), s.default_timeout);
        assert_eq!(
            s.timeout_for(Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            s.timeout_for(Some(Duration::from_secs(10_000))),
            s.max_timeout
        );
    }

    #[test]
    fn inconsistent_limits_are_refused() {
        let mut s = EgressSettings {
            default_timeout: Duration::from_secs(200),
            ..EgressSettings::default()
        };
        assert!(s.validate().is_err());
        s.default_timeout = Duration::ZERO;
        assert!(s.validate().is_err());
        let s = EgressSettings {
            max_response_body_bytes: 0,
            ..EgressSettings::default()
        };
        assert!(s.validate().is_err());
    }
}
