//! The catalog the operator configures: tool packs (named sets of tools across connectors,
//! authorized together) and provider configs (the operator's OAuth client per connector, its
//! secret sealed bound to (provider configs, connector id, `client_secret`)).

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::error::VaultError;
use super::keyring::Keyring;
use super::seal::SealedValue;

/// The table name in every client secret's binding (kept from the first schema).
const TABLE: &str = "provider_configs";
const FIELD: &str = "client_secret";

/// A tool pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Agent-facing tool names (`<connector>_<tool>`).
    pub tools: Vec<String>,
}

/// An OAuth client registered with an app, as the gateway uses it. The secret is open in the
/// vault's hands (`SecretString`) and sealed in a backend's ([`SealedValue`]).
#[derive(Clone, Serialize)]
pub struct ProviderConfig<S = SecretString> {
    pub connector_id: String,
    pub client_id: String,
    #[serde(skip)]
    pub client_secret: Option<S>,
    /// Replaces the scopes the connector would ask for, when set.
    pub scopes: Option<Vec<String>>,
    /// Replaces the connector's declared issuer (RFC 9207), when set.
    pub issuer: Option<String>,
    pub updated_at: i64,
}

/// A provider config as a backend keeps it.
pub type SealedProvider = ProviderConfig<SealedValue>;

impl<S> std::fmt::Debug for ProviderConfig<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("connector_id", &self.connector_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl<S> ProviderConfig<S> {
    fn map_secret<T>(
        self,
        f: impl FnOnce(&S) -> Result<T, VaultError>,
    ) -> Result<ProviderConfig<T>, VaultError> {
        Ok(ProviderConfig {
            client_secret: self.client_secret.as_ref().map(f).transpose()?,
            connector_id: self.connector_id,
            client_id: self.client_id,
            scopes: self.scopes,
            issuer: self.issuer,
            updated_at: self.updated_at,
        })
    }
}

/// Storage of packs and provider configs. Every method is one transaction.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Create or replace a pack.
    async fn put_pack(&self, pack: &Pack) -> Result<(), VaultError>;
    /// A pack by name.
    async fn get_pack(&self, name: &str) -> Result<Option<Pack>, VaultError>;
    /// The packs among `names` that exist, in the order named (one read for a key's packs).
    async fn get_packs(&self, names: &[String]) -> Result<Vec<Pack>, VaultError>;
    /// Every pack, by name.
    async fn list_packs(&self) -> Result<Vec<Pack>, VaultError>;
    /// Delete a pack; returns whether it existed.
    async fn delete_pack(&self, name: &str) -> Result<bool, VaultError>;

    /// Create or replace the config of one connector (stamped with the time of writing).
    async fn put_provider_sealed(&self, config: &SealedProvider) -> Result<(), VaultError>;
    /// The config of one connector.
    async fn get_provider_sealed(
        &self,
        connector_id: &str,
    ) -> Result<Option<SealedProvider>, VaultError>;
    /// Every config, by connector id.
    async fn list_providers_sealed(&self) -> Result<Vec<SealedProvider>, VaultError>;
    /// Remove a connector's config; returns whether it existed.
    async fn delete_provider(&self, connector_id: &str) -> Result<bool, VaultError>;
}

/// The catalog: packs come straight from the store (through `Deref`); provider configs seal
/// and open their client secret here.
#[derive(Clone, Copy)]
pub struct CatalogVault<'a> {
    pub(crate) store: &'a dyn CatalogStore,
    pub(crate) keyring: &'a Keyring,
}

impl<'a> std::ops::Deref for CatalogVault<'a> {
    type Target = dyn CatalogStore + 'a;
    fn deref(&self) -> &Self::Target {
        self.store
    }
}

impl CatalogVault<'_> {
    fn open(&self, sealed: SealedProvider) -> Result<ProviderConfig, VaultError> {
        let row = sealed.connector_id.clone();
        sealed.map_secret(|s| self.keyring.open_text(TABLE, &row, FIELD, s))
    }

    /// Create or replace the config of one connector, its secret sealed.
    pub async fn put_provider(&self, config: ProviderConfig) -> Result<(), VaultError> {
        let row = config.connector_id.clone();
        let sealed = config.map_secret(|s| {
            self.keyring
                .seal(TABLE, &row, FIELD, s.expose_secret().as_bytes())
        })?;
        self.store.put_provider_sealed(&sealed).await
    }

    /// The config of one connector, with its secret opened.
    pub async fn get_provider(
        &self,
        connector_id: &str,
    ) -> Result<Option<ProviderConfig>, VaultError> {
        self.store
            .get_provider_sealed(connector_id)
            .await?
            .map(|s| self.open(s))
            .transpose()
    }

    /// Every config (secrets opened: callers must not expose them).
    pub async fn list_providers(&self) -> Result<Vec<ProviderConfig>, VaultError> {
        self.store
            .list_providers_sealed()
            .await?
            .into_iter()
            .map(|s| self.open(s))
            .collect()
    }
}
