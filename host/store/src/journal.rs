//! The token journal: a token response is sealed and written the moment it arrives, then
//! applied to its connection in a second step that also removes the entry. A crash between the
//! two is repaired at start-up by replaying what is left.

use async_trait::async_trait;

use super::error::VaultError;
use super::keyring::Keyring;
use super::seal::SealedValue;
use crate::clock::now_ms;
use crate::ids::new_id;

/// The table name in every journal entry's binding (kept from the first schema).
const TABLE: &str = "token_journal";

/// A journal entry as a backend keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEntry {
    pub id: String,
    pub connection_id: String,
    pub payload: SealedValue,
    pub created_at: i64,
}

/// A journal entry waiting to be applied, opened.
pub struct Entry {
    pub id: String,
    pub connection_id: String,
    pub payload: zeroize::Zeroizing<Vec<u8>>,
}

/// Storage of journal entries (applying one is [`crate::ConnectionStore::write_tokens`], which
/// removes it in the same transaction).
#[async_trait]
pub trait JournalStore: Send + Sync {
    /// Store an entry (its connection must exist).
    async fn append_entry(&self, entry: &SealedEntry) -> Result<(), VaultError>;
    /// Remove an entry that will not be applied.
    async fn remove_entry(&self, id: &str) -> Result<(), VaultError>;
    /// Entries not applied yet, oldest first.
    async fn pending_entries(&self) -> Result<Vec<SealedEntry>, VaultError>;
}

/// The vault's face for the journal: entries are sealed bound to (journal, entry id,
/// connection id), so an entry moved to another connection does not open.
#[derive(Clone, Copy)]
pub struct JournalVault<'a> {
    pub(crate) store: &'a dyn JournalStore,
    pub(crate) keyring: &'a Keyring,
}

impl JournalVault<'_> {
    /// Seal and store `payload` (the serialized tokens) for `connection_id`; returns the id.
    pub async fn write(&self, connection_id: &str, payload: &[u8]) -> Result<String, VaultError> {
        let id = new_id("tj");
        let sealed = self.keyring.seal(TABLE, &id, connection_id, payload)?;
        self.store
            .append_entry(&SealedEntry {
                id: id.clone(),
                connection_id: connection_id.to_string(),
                payload: sealed,
                created_at: now_ms(),
            })
            .await?;
        Ok(id)
    }

    /// Remove an entry that will not be applied (its tokens lost a race).
    pub async fn remove(&self, id: &str) -> Result<(), VaultError> {
        self.store.remove_entry(id).await
    }

    /// Entries left behind by a crash, oldest first, opened.
    pub async fn pending(&self) -> Result<Vec<Entry>, VaultError> {
        self.store
            .pending_entries()
            .await?
            .into_iter()
            .map(|e| {
                let payload = self
                    .keyring
                    .open(TABLE, &e.id, &e.connection_id, &e.payload)?;
                Ok(Entry {
                    id: e.id,
                    connection_id: e.connection_id,
                    payload,
                })
            })
            .collect()
    }
}
