//! Errors of the egress module. Every message here may be shown to a plugin: none ever
//! contains a secret, a resolved address, or an upstream error's free text.

use thiserror::Error;

/// Why `http.send` failed; maps 1:1 onto the WIT `http-error` variants.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EgressError {
    /// Refused by policy: host not allowed, non-public address, userinfo, bad redirect.
    #[error("denied: {0}")]
    Denied(String),
    /// The plugin's request is malformed (bad URL, bad header, body too big).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No credential is available for an authenticated request (decided by the host).
    #[error("no credential available for this connection")]
    NoCredential,
    /// The whole exchange (connect, headers, body, redirects) ran past its deadline.
    #[error("timed out")]
    Timeout,
    /// The response exceeded the host's size caps.
    #[error("response too large")]
    TooLarge,
    /// Connection or protocol failure, described without upstream-controlled text.
    #[error("transport error: {0}")]
    Transport(String),
}

impl EgressError {
    /// Shorthand used throughout the module for policy refusals.
    pub(super) fn denied(reason: impl Into<String>) -> Self {
        Self::Denied(reason.into())
    }

    /// Shorthand used throughout the module for malformed requests.
    pub(super) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidRequest(reason.into())
    }
}

/// A manifest `allowed-hosts` entry that cannot be used; the host reports it at load time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("allowed host {entry:?}: {reason}")]
pub struct AllowListError {
    /// The entry as written in the manifest.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A credential placement the host refuses to use (checked at manifest load and per send).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("credential placement: {0}")]
pub struct PlacementError(pub String);

/// Egress settings that cannot be used to build an [`super::Egress`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    /// A limit is zero or inconsistent with another one.
    #[error("egress settings: {0}")]
    Limit(String),
    /// An `overrides` entry is malformed or ambiguous.
    #[error("egress override {key:?}: {reason}")]
    Override {
        /// The origin the override is keyed by.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (TLS setup).
    #[error("egress HTTP client: {0}")]
    Client(String),
}
