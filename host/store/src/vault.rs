//! The vault handle: a backend and the unwrapped keyring. Everything that reads or writes
//! stored state goes through one of its aggregate faces; the secret-bearing ones seal and open
//! here, so a backend never holds a key or a plaintext secret.

use std::sync::Arc;

use secrecy::SecretBox;

use crate::alerts::AlertStore;
use crate::audit::{AuditVault, Tail};
use crate::backend::Backend;
use crate::catalog::CatalogVault;
use crate::connections::ConnectionVault;
use crate::error::VaultError;
use crate::flows::FlowVault;
use crate::jobs::JobStore;
use crate::journal::JournalVault;
use crate::keyring::{self, Keyring};
use crate::lease::{RefreshLeases, Wakers};
use crate::master_key::{KEY_LEN, MasterKey};
use crate::plugins::PluginStore;
use crate::principals::PrincipalStore;

/// Storage plus the unwrapped data keys; cheap to clone.
#[derive(Clone)]
pub struct Vault {
    backend: Arc<dyn Backend>,
    keyring: Arc<Keyring>,
    audit_tail: Arc<Tail>,
    lease_wakers: Arc<Wakers>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("backend", &self.backend.describe())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Unlock `backend` with `master`. A master key other than the one the data was sealed
    /// with is refused.
    pub async fn open(backend: Arc<dyn Backend>, master: MasterKey) -> Result<Vault, VaultError> {
        let keyring = Keyring::load(&*backend, &master).await?;
        Ok(Vault {
            backend,
            keyring: Arc::new(keyring),
            audit_tail: Arc::default(),
            lease_wakers: Arc::default(),
        })
    }

    /// Re-wrap every data key of `backend` from `old` to `new` (no secret is re-sealed);
    /// returns how many. Running gateways keep working; restart them with the new key.
    pub async fn rotate_master_key(
        backend: &dyn Backend,
        old: &MasterKey,
        new: &MasterKey,
    ) -> Result<usize, VaultError> {
        keyring::rotate_master_key(backend, old, new).await
    }

    /// Connections and their sealed secrets.
    pub fn connections(&self) -> ConnectionVault<'_> {
        ConnectionVault {
            store: &*self.backend,
            keyring: &self.keyring,
        }
    }

    /// The token journal (sealed token responses not applied yet).
    pub fn journal(&self) -> JournalVault<'_> {
        JournalVault {
            store: &*self.backend,
            keyring: &self.keyring,
        }
    }

    /// Single-flight refresh leases.
    pub fn leases(&self) -> RefreshLeases {
        RefreshLeases {
            store: self.backend.clone(),
            wakers: self.lease_wakers.clone(),
        }
    }

    /// Agent keys, admin keys, user sessions and groups.
    pub fn principals(&self) -> &dyn PrincipalStore {
        &*self.backend
    }

    /// Connect sessions, pack flows and OAuth states.
    pub fn flows(&self) -> FlowVault<'_> {
        FlowVault {
            store: &*self.backend,
            keyring: &self.keyring,
        }
    }

    /// Tool packs and provider configs.
    pub fn catalog(&self) -> CatalogVault<'_> {
        CatalogVault {
            store: &*self.backend,
            keyring: &self.keyring,
        }
    }

    /// Hot-load approvals and serving copies (owned: the plugin manager keeps it).
    pub fn plugins(&self) -> Arc<dyn PluginStore> {
        self.backend.clone()
    }

    /// Alerts and their deliveries.
    pub fn alerts(&self) -> &dyn AlertStore {
        &*self.backend
    }

    /// The job queue.
    pub fn jobs(&self) -> &dyn JobStore {
        &*self.backend
    }

    /// The audit chain.
    pub fn audit(&self) -> AuditVault<'_> {
        AuditVault {
            store: &*self.backend,
            keyring: &self.keyring,
            tail: &self.audit_tail,
        }
    }

    /// A key for one purpose (e.g. MACs on connect links), derived from the active data key:
    /// never stored, and only as long-lived as the data it protects.
    pub fn derive_key(&self, purpose: &str) -> Result<SecretBox<[u8; KEY_LEN]>, VaultError> {
        self.keyring.derive(purpose)
    }
}
