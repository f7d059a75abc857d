//! What must survive a restart: each connector's approved permissions and a copy of the
//! version that serves, kept through the vault's plugin store (so on a shared backend every
//! gateway sees the same approvals). With it a restart never activates a widening the operator
//! has not approved, and the approved version keeps serving while the folder holds a pending
//! one.

use latchkey_store::plugins::PluginApproval;
use serde::{Deserialize, Serialize};

use super::permissions::Permissions;

/// One connector's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// SHA-256 of the approved module.
    pub hash: String,
    pub permissions: Permissions,
}

impl Approval {
    /// As the store keeps it (permissions as JSON text).
    pub fn to_stored(&self, connector_id: &str) -> Result<PluginApproval, serde_json::Error> {
        Ok(PluginApproval {
            connector_id: connector_id.to_string(),
            module_hash: self.hash.clone(),
            permissions: serde_json::to_string(&self.permissions)?,
        })
    }

    /// From the store; an unreadable record counts as no approval (logged), so a damaged
    /// record can only make the gateway stricter about what it auto-activates.
    pub fn from_stored(stored: &PluginApproval) -> Option<Approval> {
        match serde_json::from_str(&stored.permissions) {
            Ok(permissions) => Some(Approval {
                hash: stored.module_hash.clone(),
                permissions,
            }),
            Err(e) => {
                tracing::error!(connector = %stored.connector_id, error = %e, "a stored plugin approval is unreadable; ignoring it");
                None
            }
        }
    }
}
