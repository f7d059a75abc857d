//! What a backend keeps for connections: records, sealed secret fields, token versions, probe
//! bookkeeping. Secrets arrive sealed and leave sealed.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{ConnectionRecord, ConnectionStatus, NewConnection, Owner, SecretField};
use crate::error::VaultError;
use crate::seal::SealedValue;

/// New tokens for a connection, sealed, and the conditions for writing them.
#[derive(Debug, Clone)]
pub struct TokenWrite {
    pub access_token: SealedValue,
    /// `None` keeps the stored refresh token.
    pub refresh_token: Option<SealedValue>,
    /// `None` keeps the stored extra tokens.
    pub extra_tokens: Option<SealedValue>,
    pub expires_at: Option<i64>,
    /// `None` keeps the recorded scopes.
    pub granted_scopes: Option<Vec<String>>,
    /// The journal entry these tokens were written to first; removed in the same transaction.
    pub journal_id: Option<String>,
    /// Write only if the connection's token version is still this one (`Conflict` otherwise,
    /// and nothing changes): a refresher whose lease ran out cannot overwrite newer tokens.
    pub expected_version: Option<i64>,
}

/// Storage of connections. Every method is one transaction.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Store the connection of (connector, owner) under `id` with exactly `secrets`: a new row
    /// when the pair has none; when its row has this `id`, a replacement (scheme, scopes,
    /// metadata, expiry; status active, lost scopes cleared, old secrets dropped). When its row
    /// has another id, `Conflict` and nothing changes (the vault seals again for that id).
    async fn put_sealed(
        &self,
        id: &str,
        new: &NewConnection,
        secrets: &[(SecretField, SealedValue)],
    ) -> Result<ConnectionRecord, VaultError>;

    /// The connection of `owner` for `connector_id`, if any.
    async fn find(
        &self,
        connector_id: &str,
        owner: &Owner,
    ) -> Result<Option<ConnectionRecord>, VaultError>;

    /// A connection by id.
    async fn get(&self, id: &str) -> Result<Option<ConnectionRecord>, VaultError>;

    /// Connections, all or those of one owner, oldest first.
    async fn list(&self, owner: Option<&Owner>) -> Result<Vec<ConnectionRecord>, VaultError>;

    /// One sealed secret field of a connection, if it has one.
    async fn secret_sealed(
        &self,
        id: &str,
        field: SecretField,
    ) -> Result<Option<SealedValue>, VaultError>;

    /// Replace a connection's tokens (refresh token first, same transaction), bump its token
    /// version, mark it active, end any refresh lease on it, and remove `write.journal_id`.
    /// A missing connection is `Malformed`; a version other than `expected_version` is
    /// `Conflict`.
    async fn write_tokens(
        &self,
        id: &str,
        write: &TokenWrite,
    ) -> Result<ConnectionRecord, VaultError>;

    /// Add (or replace) non-secret metadata entries; `None` when there is no such connection.
    async fn merge_metadata(
        &self,
        id: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<Option<ConnectionRecord>, VaultError>;

    /// Set a connection's status and the reason for it; false when there is no such connection.
    async fn set_status(
        &self,
        id: &str,
        status: ConnectionStatus,
        reason: Option<&str>,
    ) -> Result<bool, VaultError>;

    /// Record scopes a connection lost (added to those lost before).
    async fn record_lost_scopes(&self, id: &str, lost: &[String]) -> Result<(), VaultError>;

    /// Active connections with when a probe last looked at each, least recently probed first.
    async fn probe_candidates(&self) -> Result<Vec<(ConnectionRecord, Option<i64>)>, VaultError>;

    /// Remember that a probe looked at a connection at `at`.
    async fn mark_probed(&self, id: &str, at: i64) -> Result<(), VaultError>;

    /// Delete a connection and all its secrets, and resolve its open alerts, atomically (an
    /// open alert would stay listed forever, its link dead). Returns whether it existed.
    async fn delete(&self, id: &str) -> Result<bool, VaultError>;
}
