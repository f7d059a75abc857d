//! What hot-loading must remember across restarts (and, on a shared backend, across gateways):
//! each connector's approved permissions, and a copy of the version that serves. With it a
//! restart never activates a widening the operator has not approved, and the approved version
//! keeps serving while the plugins folder holds a pending one.

use async_trait::async_trait;

use super::error::VaultError;

/// One connector's approval: the module approved and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginApproval {
    pub connector_id: String,
    /// SHA-256 (hex) of the approved module.
    pub module_hash: String,
    /// The approved permissions as JSON; the runtime owns their shape, the store keeps text.
    pub permissions: String,
}

/// Storage of approvals and serving copies.
#[async_trait]
pub trait PluginStore: Send + Sync {
    /// Every recorded approval, by connector id.
    async fn approvals(&self) -> Result<Vec<PluginApproval>, VaultError>;
    /// Record (or replace) a connector's approval.
    async fn put_approval(&self, approval: &PluginApproval) -> Result<(), VaultError>;
    /// Forget a connector's approval (its copy stays).
    async fn remove_approval(&self, connector_id: &str) -> Result<(), VaultError>;
    /// Keep `bytes` as the copy of `connector_id`'s serving version (replacing any).
    async fn save_copy(&self, connector_id: &str, bytes: &[u8]) -> Result<(), VaultError>;
    /// The saved copy of `connector_id`'s serving version.
    async fn copy(&self, connector_id: &str) -> Result<Option<Vec<u8>>, VaultError>;
    /// Forget a connector entirely (it was unloaded): approval and copy.
    async fn forget(&self, connector_id: &str) -> Result<(), VaultError>;
}
