//! The vault: SQLite storage with every secret sealed (envelope encryption under a master key).

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod clock;
pub mod connect_sessions;
pub mod connections;
pub mod db;
pub mod error;
pub mod groups;
pub mod ids;
pub mod jobs;
pub mod keyring;
pub mod master_key;
pub mod migrations;
pub mod oauth_states;
pub mod pack_sessions;
pub mod packs;
pub mod providers;
pub mod seal;
pub mod token_journal;

use std::path::Path;
use std::sync::Arc;

use secrecy::SecretString;

pub use api_keys::{ApiKeyRecord, KeyKind, NewKey};
pub use connections::{
    ConnectionRecord, ConnectionStatus, NewConnection, Owner, SchemeKind, SecretField, TokenUpdate,
};
pub use db::Db;
pub use error::VaultError;
pub use keyring::Keyring;
pub use master_key::MasterKey;

/// Storage plus the unwrapped data keys: everything that reads or writes credentials.
#[derive(Clone)]
pub struct Vault {
    db: Db,
    keyring: Arc<Keyring>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Open the database at `path` and unlock it with `master`. A master key other than the
    /// one the data was sealed with is refused.
    pub async fn open(path: &Path, master: MasterKey) -> Result<Vault, VaultError> {
        let db = Db::open(path)?;
        let keyring = db.write(move |conn| Keyring::load(conn, &master)).await?;
        Ok(Vault {
            db,
            keyring: Arc::new(keyring),
        })
    }

    /// The underlying database, for modules that keep their own tables.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Store (or replace) the connection of (connector, owner) with its secrets.
    pub async fn put_connection(
        &self,
        new: NewConnection,
        secrets: Vec<(SecretField, SecretString)>,
    ) -> Result<ConnectionRecord, VaultError> {
        let keyring = self.keyring.clone();
        self.db
            .write(move |conn| connections::put(conn, &keyring, new, &secrets))
            .await
    }

    /// The connection of `owner` for `connector_id`, if any.
    pub async fn find_connection(
        &self,
        connector_id: &str,
        owner: &Owner,
    ) -> Result<Option<ConnectionRecord>, VaultError> {
        let (connector_id, owner) = (connector_id.to_string(), owner.clone());
        self.db
            .read(move |conn| connections::find(conn, &connector_id, &owner))
            .await
    }

    /// A connection by id.
    pub async fn get_connection(&self, id: &str) -> Result<Option<ConnectionRecord>, VaultError> {
        let id = id.to_string();
        self.db.read(move |conn| connections::get(conn, &id)).await
    }

    /// Connections, all or those of one owner.
    pub async fn list_connections(
        &self,
        owner: Option<Owner>,
    ) -> Result<Vec<ConnectionRecord>, VaultError> {
        self.db
            .read(move |conn| connections::list(conn, owner.as_ref()))
            .await
    }

    /// Replace a connection's tokens (see [`connections::update_tokens`]).
    pub async fn update_tokens(
        &self,
        id: &str,
        update: TokenUpdate,
        journal_id: Option<String>,
    ) -> Result<ConnectionRecord, VaultError> {
        let keyring = self.keyring.clone();
        let id = id.to_string();
        self.db
            .write(move |conn| {
                connections::update_tokens(conn, &keyring, &id, &update, journal_id.as_deref())
            })
            .await
    }

    /// Add non-secret metadata to a connection.
    pub async fn merge_metadata(
        &self,
        id: &str,
        entries: std::collections::BTreeMap<String, String>,
    ) -> Result<Option<ConnectionRecord>, VaultError> {
        let id = id.to_string();
        self.db
            .write(move |conn| connections::merge_metadata(conn, &id, &entries))
            .await
    }

    /// Set a connection's status and reason.
    pub async fn set_status(
        &self,
        id: &str,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<bool, VaultError> {
        let id = id.to_string();
        self.db
            .write(move |conn| connections::set_status(conn, &id, status, reason.as_deref()))
            .await
    }

    /// The keyring, for modules that seal their own fields.
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// Delete a connection and its secrets.
    pub async fn delete_connection(&self, id: &str) -> Result<bool, VaultError> {
        let id = id.to_string();
        self.db
            .write(move |conn| connections::delete(conn, &id))
            .await
    }

    /// Open one secret field of a connection.
    pub async fn read_secret(
        &self,
        connection_id: &str,
        field: SecretField,
    ) -> Result<Option<SecretString>, VaultError> {
        let keyring = self.keyring.clone();
        let id = connection_id.to_string();
        self.db
            .read(move |conn| connections::read_secret(conn, &keyring, &id, field))
            .await
    }

    /// Store a new API key's hash.
    pub async fn insert_api_key(&self, key: api_keys::NewKey) -> Result<ApiKeyRecord, VaultError> {
        self.db
            .write(move |conn| api_keys::insert(conn, &key))
            .await
    }

    /// An API key row by id.
    pub async fn get_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, VaultError> {
        let id = id.to_string();
        self.db.read(move |conn| api_keys::get(conn, &id)).await
    }

    /// API keys of one kind.
    pub async fn list_api_keys(&self, kind: KeyKind) -> Result<Vec<ApiKeyRecord>, VaultError> {
        self.db.read(move |conn| api_keys::list(conn, kind)).await
    }

    /// Revoke an API key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<bool, VaultError> {
        let id = id.to_string();
        self.db.write(move |conn| api_keys::revoke(conn, &id)).await
    }
}

#[cfg(test)]
mod tests;
