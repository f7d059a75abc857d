//! What a backend keeps for flows. Every method is one transaction.

use async_trait::async_trait;

use super::{ConnectSession, Consumed, PackSession, Peeked, SealedState};
use crate::connections::Owner;
use crate::error::VaultError;

/// Storage of connect sessions, pack flows and OAuth states.
#[async_trait]
pub trait FlowStore: Send + Sync {
    /// Store a new connect session (pending).
    async fn insert_session(&self, session: &ConnectSession) -> Result<(), VaultError>;
    /// A connect session by id.
    async fn get_session(&self, id: &str) -> Result<Option<ConnectSession>, VaultError>;
    /// The connect sessions of one pack flow, by connector.
    async fn sessions_of_pack(
        &self,
        pack_session_id: &str,
    ) -> Result<Vec<ConnectSession>, VaultError>;
    /// Sessions still pending (and unexpired at `now`) for (connector, owner), newest first.
    async fn pending_sessions(
        &self,
        connector_id: &str,
        owner: &Owner,
        now: i64,
    ) -> Result<Vec<ConnectSession>, VaultError>;
    /// Mark a pending, unexpired session completed with the connection it produced. False if
    /// it was not pending (already used, failed or expired): a link works once.
    async fn complete_session(&self, id: &str, connection_id: &str) -> Result<bool, VaultError>;
    /// Record why the last attempt failed; the session stays usable until it expires.
    async fn record_session_error(&self, id: &str, error: &str) -> Result<(), VaultError>;
    /// End a pending session as failed (e.g. the user denied consent).
    async fn fail_session(&self, id: &str, error: &str) -> Result<(), VaultError>;
    /// Mark pending sessions past their expiry at `now` as expired; returns how many.
    async fn expire_sessions(&self, now: i64) -> Result<usize, VaultError>;

    /// Store a new pack flow.
    async fn insert_pack_session(&self, session: &PackSession) -> Result<(), VaultError>;
    /// A pack flow by id.
    async fn get_pack_session(&self, id: &str) -> Result<Option<PackSession>, VaultError>;

    /// Store a new OAuth state under the hash of its value (its session must exist).
    async fn insert_state_sealed(
        &self,
        state_hash: &[u8],
        state: &SealedState,
    ) -> Result<(), VaultError>;
    /// Read a state without spending it, so a response the callback's checks refuse (another
    /// browser, a wrong issuer) leaves it for the user's own.
    async fn peek_state_sealed(&self, state_hash: &[u8])
    -> Result<Peeked<SealedState>, VaultError>;
    /// Spend a state at `now`: the first presentation wins, every later one is a replay.
    async fn consume_state_sealed(
        &self,
        state_hash: &[u8],
        now: i64,
    ) -> Result<Consumed<SealedState>, VaultError>;
    /// Drop states that expired before `older_than` (they can only ever be refused).
    async fn prune_states(&self, older_than: i64) -> Result<usize, VaultError>;
}
