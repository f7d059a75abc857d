//! The vault's face for flows: the PKCE verifier of an OAuth state is sealed here, bound to
//! (states table, hex of the state's hash, `verifier`).

use secrecy::ExposeSecret;

use super::{Consumed, FlowStore, Peeked, PendingState};
use crate::error::VaultError;
use crate::keyring::Keyring;

/// The table name in every verifier's binding (kept from the first schema).
const TABLE: &str = "oauth_states";
const FIELD: &str = "verifier";

/// Flows: sessions come straight from the store (through `Deref`); states seal here.
#[derive(Clone, Copy)]
pub struct FlowVault<'a> {
    pub(crate) store: &'a dyn FlowStore,
    pub(crate) keyring: &'a Keyring,
}

impl<'a> std::ops::Deref for FlowVault<'a> {
    type Target = dyn FlowStore + 'a;
    fn deref(&self) -> &Self::Target {
        self.store
    }
}

impl FlowVault<'_> {
    /// Store a new state under the hash of its value, its verifier sealed.
    pub async fn insert_state(
        &self,
        state_hash: &[u8],
        state: PendingState,
    ) -> Result<(), VaultError> {
        let row = hex::encode(state_hash);
        let stored = state.map_verifier(|v| {
            self.keyring
                .seal(TABLE, &row, FIELD, v.expose_secret().as_bytes())
        })?;
        self.store.insert_state_sealed(state_hash, &stored).await
    }

    /// Look at a state without spending it (see [`FlowStore::peek_state_sealed`]).
    pub async fn peek_state(&self, state_hash: &[u8]) -> Result<Peeked, VaultError> {
        Ok(match self.store.peek_state_sealed(state_hash).await? {
            Peeked::Unknown => Peeked::Unknown,
            Peeked::AlreadyUsed => Peeked::AlreadyUsed,
            Peeked::Pending(s) => Peeked::Pending(s.map_verifier(|sealed| {
                self.keyring
                    .open_text(TABLE, &hex::encode(state_hash), FIELD, sealed)
            })?),
        })
    }

    /// Spend a state: the first presentation wins, every later one is a replay.
    pub async fn consume_state(&self, state_hash: &[u8], now: i64) -> Result<Consumed, VaultError> {
        Ok(
            match self.store.consume_state_sealed(state_hash, now).await? {
                Consumed::Unknown => Consumed::Unknown,
                Consumed::AlreadyUsed => Consumed::AlreadyUsed,
                Consumed::Fresh(s) => Consumed::Fresh(s.map_verifier(|sealed| {
                    self.keyring
                        .open_text(TABLE, &hex::encode(state_hash), FIELD, sealed)
                })?),
            },
        )
    }
}
