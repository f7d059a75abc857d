//! Envelope encryption: data keys seal the secrets, the master key wraps the data keys.
//! Rotating the master key re-wraps a handful of data keys, never the secrets themselves.
//! Backends keep only the wrapped keys ([`DataKeyStore`]); unwrapped ones live here, in memory.

use std::collections::HashMap;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretBox};

use super::error::VaultError;
use super::master_key::{KEY_LEN, MasterKey};
use super::seal::{self, Binding, Sealed, SealedValue};
use crate::clock::now_ms;
use crate::ids::new_id;

/// A data key as stored: wrapped (sealed) by the master key named by `master_key_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub id: String,
    pub master_key_id: String,
    pub wrapped: Sealed,
    /// The key new secrets are sealed with (exactly one is).
    pub active: bool,
    pub created_at: i64,
}

/// Where the wrapped data keys live. Rotation and the first key of a new store are atomic, so
/// two gateways starting on one empty store agree on one key.
#[async_trait]
pub trait DataKeyStore: Send + Sync {
    /// Every wrapped key, oldest first.
    async fn data_keys(&self) -> Result<Vec<WrappedKey>, VaultError>;
    /// Store `key` as the active key if the store has no active key yet; returns whether it
    /// was stored (false: another process created one first — load that one).
    async fn add_first_data_key(&self, key: &WrappedKey) -> Result<bool, VaultError>;
    /// Replace the wrapping of every key in `keys` (same ids), in one transaction, but only if
    /// each is still wrapped by `from_master_id` (`Conflict` otherwise). Returns how many.
    async fn rewrap_data_keys(
        &self,
        from_master_id: &str,
        keys: &[WrappedKey],
    ) -> Result<usize, VaultError>;
}

/// The unwrapped data keys, held in memory for the life of the process.
pub struct Keyring {
    active: String,
    keys: HashMap<String, SecretBox<[u8; KEY_LEN]>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn wrap_binding<'a>(id: &'a str, master_id: &'a str) -> Binding<'a> {
    Binding {
        table: "data_keys",
        row: id,
        field: "key",
        key_id: master_id,
    }
}

fn unwrap_key(master: &MasterKey, row: &WrappedKey) -> Result<[u8; KEY_LEN], VaultError> {
    if row.master_key_id != master.id() {
        return Err(VaultError::WrongMasterKey {
            sealed_with: row.master_key_id.clone(),
            given: master.id().to_string(),
        });
    }
    let plain = seal::open(
        master.expose(),
        wrap_binding(&row.id, master.id()),
        &row.wrapped,
    )
    .map_err(|_| VaultError::DataKeyCorrupt(row.id.clone()))?;
    plain
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::DataKeyCorrupt(row.id.clone()))
}

impl Keyring {
    /// Unwrap every data key with `master`, creating the first one on a new store.
    /// A different master key than the one the data was sealed with is refused.
    pub async fn load(store: &dyn DataKeyStore, master: &MasterKey) -> Result<Keyring, VaultError> {
        // Twice at most: a first key created by someone else between our read and our insert
        // is simply loaded.
        for _ in 0..2 {
            let mut keys = HashMap::new();
            let mut active = None;
            for row in store.data_keys().await? {
                let bytes = unwrap_key(master, &row)?;
                if row.active {
                    active = Some(row.id.clone());
                }
                keys.insert(row.id, SecretBox::new(Box::new(bytes)));
            }
            if let Some(active) = active {
                return Ok(Keyring { active, keys });
            }
            let (row, key) = new_data_key(master)?;
            if store.add_first_data_key(&row).await? {
                keys.insert(row.id.clone(), key);
                return Ok(Keyring {
                    active: row.id,
                    keys,
                });
            }
        }
        Err(VaultError::Conflict(
            "the first data key keeps changing under us".into(),
        ))
    }

    /// Seal a secret with the active data key, bound to (`table`, `row`, `field`).
    pub fn seal(
        &self,
        table: &str,
        row: &str,
        field: &str,
        plaintext: &[u8],
    ) -> Result<SealedValue, VaultError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or(VaultError::DataKeyCorrupt(self.active.clone()))?;
        let sealed = seal::seal(
            key.expose_secret(),
            Binding {
                table,
                row,
                field,
                key_id: &self.active,
            },
            plaintext,
        )?;
        Ok(SealedValue {
            data_key_id: self.active.clone(),
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
        })
    }

    /// A key for one purpose (e.g. MACs on connect links), derived from the active data key so
    /// it lives exactly as long as the data it protects and is never stored.
    pub fn derive(&self, purpose: &str) -> Result<SecretBox<[u8; KEY_LEN]>, VaultError> {
        use hmac::{Hmac, Mac};
        let key = self
            .keys
            .get(&self.active)
            .ok_or(VaultError::DataKeyCorrupt(self.active.clone()))?;
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.expose_secret())
            .map_err(|_| VaultError::DataKeyCorrupt(self.active.clone()))?;
        mac.update(b"latchkey derive v1\0");
        mac.update(purpose.as_bytes());
        let out: [u8; KEY_LEN] = mac.finalize().into_bytes().into();
        Ok(SecretBox::new(Box::new(out)))
    }

    /// Open a secret sealed by [`Keyring::seal`] at the same place.
    pub fn open(
        &self,
        table: &str,
        row: &str,
        field: &str,
        sealed: &SealedValue,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
        let key = self
            .keys
            .get(&sealed.data_key_id)
            .ok_or(VaultError::SecretTampered)?;
        seal::open(
            key.expose_secret(),
            Binding {
                table,
                row,
                field,
                key_id: &sealed.data_key_id,
            },
            &Sealed {
                nonce: sealed.nonce.clone(),
                ciphertext: sealed.ciphertext.clone(),
            },
        )
    }

    /// Open a sealed text secret (tokens, keys, verifiers are UTF-8).
    pub fn open_text(
        &self,
        table: &str,
        row: &str,
        field: &str,
        sealed: &SealedValue,
    ) -> Result<secrecy::SecretString, VaultError> {
        let plain = self.open(table, row, field, sealed)?;
        let text = std::str::from_utf8(&plain).map_err(|_| VaultError::SecretTampered)?;
        Ok(secrecy::SecretString::from(text.to_owned()))
    }
}

fn new_data_key(master: &MasterKey) -> Result<(WrappedKey, SecretBox<[u8; KEY_LEN]>), VaultError> {
    let mut bytes = [0u8; KEY_LEN];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let id = new_id("dk");
    let wrapped = seal::seal(master.expose(), wrap_binding(&id, master.id()), &bytes)?;
    Ok((
        WrappedKey {
            id,
            master_key_id: master.id().to_string(),
            wrapped,
            active: true,
            created_at: now_ms(),
        },
        SecretBox::new(Box::new(bytes)),
    ))
}

/// Re-wrap every data key from `old` to `new` in one transaction. Running gateways keep
/// working (they hold the unwrapped data keys); restart them with the new key afterwards.
pub async fn rotate_master_key(
    store: &dyn DataKeyStore,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<usize, VaultError> {
    let mut rewrapped = Vec::new();
    for row in store.data_keys().await? {
        let plain = zeroize::Zeroizing::new(unwrap_key(old, &row)?);
        rewrapped.push(WrappedKey {
            master_key_id: new.id().to_string(),
            wrapped: seal::seal(
                new.expose(),
                wrap_binding(&row.id, new.id()),
                plain.as_slice(),
            )?,
            ..row
        });
    }
    store.rewrap_data_keys(old.id(), &rewrapped).await
}
