//! The vault's face for connections: secrets are sealed here, bound to (table, connection id,
//! field), before a backend sees them, and opened here when read back.

use secrecy::{ExposeSecret, SecretString};

use super::{
    ConnectionRecord, ConnectionStore, NewConnection, SecretField, TokenUpdate, TokenWrite,
};
use crate::error::VaultError;
use crate::ids::new_id;
use crate::keyring::Keyring;
use crate::seal::SealedValue;

/// The table name in every connection secret's binding (kept from the first schema, so
/// secrets sealed by any earlier version still open).
pub const SECRETS_TABLE: &str = "connection_secrets";

/// How often a put is retried when a concurrent put for the same owner picked the id.
const PUT_ATTEMPTS: usize = 3;

/// Connections with their secrets: the non-secret operations come straight from the store
/// (through `Deref`), the secret-bearing ones seal and open here.
#[derive(Clone, Copy)]
pub struct ConnectionVault<'a> {
    pub(crate) store: &'a dyn ConnectionStore,
    pub(crate) keyring: &'a Keyring,
}

impl<'a> std::ops::Deref for ConnectionVault<'a> {
    type Target = dyn ConnectionStore + 'a;
    fn deref(&self) -> &Self::Target {
        self.store
    }
}

impl ConnectionVault<'_> {
    fn seal(
        &self,
        id: &str,
        field: SecretField,
        secret: &SecretString,
    ) -> Result<SealedValue, VaultError> {
        self.keyring.seal(
            SECRETS_TABLE,
            id,
            field.as_str(),
            secret.expose_secret().as_bytes(),
        )
    }

    /// Store (or replace) the connection of (connector, owner) with exactly these secrets,
    /// atomically. An existing connection keeps its id; its old secrets are dropped.
    pub async fn put(
        &self,
        new: NewConnection,
        secrets: Vec<(SecretField, SecretString)>,
    ) -> Result<ConnectionRecord, VaultError> {
        let mut last = None;
        for _ in 0..PUT_ATTEMPTS {
            let id = match self.store.find(&new.connector_id, &new.owner).await? {
                Some(existing) => existing.id,
                None => new_id("conn"),
            };
            let sealed = secrets
                .iter()
                .map(|(field, secret)| Ok((*field, self.seal(&id, *field, secret)?)))
                .collect::<Result<Vec<_>, VaultError>>()?;
            match self.store.put_sealed(&id, &new, &sealed).await {
                Err(e @ VaultError::Conflict(_)) => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| VaultError::Conflict("connection id".into())))
    }

    /// Open one secret field of a connection, if it has one.
    pub async fn read_secret(
        &self,
        id: &str,
        field: SecretField,
    ) -> Result<Option<SecretString>, VaultError> {
        self.store
            .secret_sealed(id, field)
            .await?
            .map(|sealed| {
                self.keyring
                    .open_text(SECRETS_TABLE, id, field.as_str(), &sealed)
            })
            .transpose()
    }

    /// Replace a connection's tokens atomically (refresh token first, so a rotated one is
    /// never lost while the new access token is in use) and mark it active. `journal_id` is
    /// the journal entry to remove with it; with `expected_version`, a connection refreshed
    /// meanwhile by someone else is left alone (`Conflict`).
    pub async fn update_tokens(
        &self,
        id: &str,
        update: TokenUpdate,
        journal_id: Option<String>,
        expected_version: Option<i64>,
    ) -> Result<ConnectionRecord, VaultError> {
        let seal = |field, secret: &SecretString| self.seal(id, field, secret);
        let write = TokenWrite {
            access_token: seal(SecretField::AccessToken, &update.access_token)?,
            refresh_token: update
                .refresh_token
                .as_ref()
                .map(|t| seal(SecretField::RefreshToken, t))
                .transpose()?,
            extra_tokens: update
                .extra_tokens
                .as_ref()
                .map(|t| seal(SecretField::ExtraTokens, t))
                .transpose()?,
            expires_at: update.expires_at,
            granted_scopes: update.granted_scopes,
            journal_id,
            expected_version,
        };
        self.store.write_tokens(id, &write).await
    }
}
