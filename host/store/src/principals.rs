//! Who may call the gateway and for whom: agent keys, admin keys, user sessions (short-lived
//! keys an agent key mints for one user; only a hash of each key's secret part is kept), and
//! groups, whose members share the group's connections for the connectors its policy names.

use async_trait::async_trait;
use serde::Serialize;

use super::error::VaultError;

/// What a key may do: agents call tools, admins manage the gateway, sessions call tools for
/// exactly one user. Never interchangeable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Agent,
    Admin,
    Session,
}

impl KeyKind {
    /// The stored (and key prefix) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Agent => "agent",
            KeyKind::Admin => "admin",
            KeyKind::Session => "session",
        }
    }

    /// The kind from its stored spelling.
    pub fn parse(s: &str) -> Result<Self, VaultError> {
        match s {
            "agent" => Ok(KeyKind::Agent),
            "admin" => Ok(KeyKind::Admin),
            "session" => Ok(KeyKind::Session),
            other => Err(VaultError::Malformed(format!("key kind {other:?}"))),
        }
    }
}

/// A key's stored row (no secret: only its hash).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyRecord {
    pub id: String,
    pub kind: KeyKind,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Agent keys and sessions: the tool packs they may use; `None` = every tool.
    pub packs: Option<Vec<String>>,
    /// Sessions: the one user they act for.
    pub user_id: Option<String>,
    /// Sessions: the agent key that minted them.
    pub parent_id: Option<String>,
    /// Sessions: when they stop working.
    pub expires_at: Option<i64>,
}

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub kind: KeyKind,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub packs: Option<Vec<String>>,
    pub user_id: Option<String>,
    pub parent_id: Option<String>,
    pub expires_at: Option<i64>,
}

/// A group and its sharing policy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    /// Connectors whose group connection members may use.
    pub shared_connectors: Vec<String>,
    pub members: Vec<String>,
    pub updated_at: i64,
}

/// Storage of keys, sessions and groups. Every method is one transaction.
#[async_trait]
pub trait PrincipalStore: Send + Sync {
    /// Store a new key's hash; an id already taken is an error.
    async fn insert_key(&self, key: &NewKey) -> Result<ApiKeyRecord, VaultError>;
    /// A key by id, revoked or not.
    async fn get_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, VaultError>;
    /// All keys of one kind, oldest first.
    async fn list_keys(&self, kind: KeyKind) -> Result<Vec<ApiKeyRecord>, VaultError>;
    /// Revoke a key and every session it minted, together; returns whether an unrevoked key
    /// was found.
    async fn revoke_key(&self, id: &str) -> Result<bool, VaultError>;
    /// Drop sessions that expired more than a day before `now`; returns how many.
    async fn prune_sessions(&self, now: i64) -> Result<usize, VaultError>;

    /// Create or replace a group, its policy and members together.
    async fn put_group(
        &self,
        id: &str,
        shared_connectors: &[String],
        members: &[String],
    ) -> Result<Group, VaultError>;
    /// A group with its members.
    async fn get_group(&self, id: &str) -> Result<Option<Group>, VaultError>;
    /// Delete a group; its connections stay (delete them explicitly).
    async fn delete_group(&self, id: &str) -> Result<bool, VaultError>;
    /// The groups `user_id` belongs to whose policy shares `connector_id`, by id.
    async fn groups_sharing(
        &self,
        user_id: &str,
        connector_id: &str,
    ) -> Result<Vec<String>, VaultError>;
}
