//! What a connection is: its owner, scheme, status, secret fields, and the stored record.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::error::VaultError;

/// Who a connection belongs to: one user (individual) or a group (shared credential).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Owner {
    User(String),
    Group(String),
}

impl Owner {
    /// The stored spelling of the owner's kind (`user` or `group`).
    pub fn kind(&self) -> &'static str {
        match self {
            Owner::User(_) => "user",
            Owner::Group(_) => "group",
        }
    }

    /// The user or group id.
    pub fn id(&self) -> &str {
        match self {
            Owner::User(id) | Owner::Group(id) => id,
        }
    }

    /// An owner from its stored kind and id.
    pub fn from_parts(kind: &str, id: String) -> Result<Owner, VaultError> {
        match kind {
            "user" => Ok(Owner::User(id)),
            "group" => Ok(Owner::Group(id)),
            other => Err(VaultError::Malformed(format!("owner kind {other:?}"))),
        }
    }
}

/// Which of the connector's auth schemes a connection was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeKind {
    ApiKey,
    Basic,
    Oauth2,
    ServiceAccount,
}

impl SchemeKind {
    /// The stored (and API) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemeKind::ApiKey => "api_key",
            SchemeKind::Basic => "basic",
            SchemeKind::Oauth2 => "oauth2",
            SchemeKind::ServiceAccount => "service_account",
        }
    }

    /// The scheme from its stored spelling.
    pub fn parse(s: &str) -> Result<Self, VaultError> {
        Ok(match s {
            "api_key" => SchemeKind::ApiKey,
            "basic" => SchemeKind::Basic,
            "oauth2" => SchemeKind::Oauth2,
            "service_account" => SchemeKind::ServiceAccount,
            other => return Err(VaultError::Malformed(format!("scheme {other:?}"))),
        })
    }
}

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    NeedsReauth,
    Revoked,
}

impl ConnectionStatus {
    /// The stored (and API) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::NeedsReauth => "needs_reauth",
            ConnectionStatus::Revoked => "revoked",
        }
    }

    /// The status from its stored spelling.
    pub fn parse(s: &str) -> Result<Self, VaultError> {
        Ok(match s {
            "active" => ConnectionStatus::Active,
            "needs_reauth" => ConnectionStatus::NeedsReauth,
            "revoked" => ConnectionStatus::Revoked,
            other => return Err(VaultError::Malformed(format!("status {other:?}"))),
        })
    }
}

/// A secret field of a connection; each is sealed separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretField {
    ApiKey,
    Password,
    AccessToken,
    RefreshToken,
    PrivateKey,
    ClientSecret,
    /// Named further tokens (JSON object name → token), e.g. Slack's user token.
    ExtraTokens,
}

impl SecretField {
    /// The stored spelling (also part of the AEAD binding).
    pub fn as_str(self) -> &'static str {
        match self {
            SecretField::ApiKey => "api_key",
            SecretField::Password => "password",
            SecretField::AccessToken => "access_token",
            SecretField::RefreshToken => "refresh_token",
            SecretField::PrivateKey => "private_key",
            SecretField::ClientSecret => "client_secret",
            SecretField::ExtraTokens => "extra_tokens",
        }
    }
}

/// A connection as stored, without its secrets: safe to log and to return over the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRecord {
    pub id: String,
    pub connector_id: String,
    pub owner: Owner,
    pub scheme: SchemeKind,
    pub status: ConnectionStatus,
    pub status_reason: Option<String>,
    pub granted_scopes: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped on every token change: a refresher that waited can tell someone else refreshed.
    pub token_version: i64,
    /// Scopes the provider stopped granting since the user consented (scope drift).
    pub lost_scopes: Vec<String>,
    /// When the current tokens were received (with `expires_at`: how long they live).
    pub tokens_at: Option<i64>,
}

/// New tokens for an OAuth or service-account connection.
pub struct TokenUpdate {
    pub access_token: SecretString,
    /// `None` keeps the stored refresh token (a response without one does not erase it).
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<i64>,
    /// `None` keeps the recorded scopes.
    pub granted_scopes: Option<Vec<String>>,
    /// Named further tokens (JSON object); `None` keeps the stored ones.
    pub extra_tokens: Option<SecretString>,
}

impl std::fmt::Debug for TokenUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenUpdate")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .field("granted_scopes", &self.granted_scopes)
            .finish_non_exhaustive()
    }
}

/// What to store for a new (or replaced) connection, besides its secrets.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub connector_id: String,
    pub owner: Owner,
    pub scheme: SchemeKind,
    pub granted_scopes: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_at: Option<i64>,
}
