//! What a flow is: connect sessions, pack flows, OAuth states, and what presenting a state found.

use secrecy::SecretString;
use serde::Serialize;

use crate::connections::Owner;
use crate::error::VaultError;
use crate::seal::SealedValue;

/// Where a connect session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Pending,
    Completed,
    Failed,
    Expired,
}

impl SessionStatus {
    /// The stored spelling.
    pub fn name(self) -> &'static str {
        match self {
            SessionStatus::Pending => "pending",
            SessionStatus::Completed => "completed",
            SessionStatus::Failed => "failed",
            SessionStatus::Expired => "expired",
        }
    }

    /// The status from its stored spelling.
    pub fn parse(s: &str) -> Result<Self, VaultError> {
        Ok(match s {
            "pending" => SessionStatus::Pending,
            "completed" => SessionStatus::Completed,
            "failed" => SessionStatus::Failed,
            "expired" => SessionStatus::Expired,
            other => return Err(VaultError::Malformed(format!("session status {other:?}"))),
        })
    }

    /// Whether the session can no longer change.
    pub fn is_final(self) -> bool {
        !matches!(self, SessionStatus::Pending)
    }
}

/// A connect session. Its link carries a MAC of the id, so nothing secret is stored.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectSession {
    pub id: String,
    pub connector_id: String,
    pub owner: Owner,
    /// Scopes to ask for; empty means the connector's defaults.
    pub scopes: Vec<String>,
    pub return_to: Option<String>,
    pub status: SessionStatus,
    pub error: Option<String>,
    pub connection_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
    /// The pack flow this session is one step of, if any.
    pub pack_session_id: Option<String>,
}

impl ConnectSession {
    /// The status as seen now: a pending session past its expiry reads as expired.
    pub fn effective_status(&self, now: i64) -> SessionStatus {
        if self.status == SessionStatus::Pending && now >= self.expires_at {
            SessionStatus::Expired
        } else {
            self.status
        }
    }
}

/// A pack connect flow (its per-app steps are connect sessions pointing at it).
#[derive(Debug, Clone, Serialize)]
pub struct PackSession {
    pub id: String,
    pub pack: String,
    pub owner: Owner,
    pub return_to: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Everything the OAuth callback needs to finish what the authorize request started.
#[derive(Clone)]
pub struct PendingState<V = SecretString> {
    pub session_id: String,
    pub connector_id: String,
    pub browser_hash: Vec<u8>,
    pub redirect_uri: String,
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
    /// The PKCE verifier: open in the vault's hands, sealed in a backend's.
    pub verifier: V,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A state as a backend keeps it: the verifier sealed.
pub type SealedState = PendingState<SealedValue>;

impl<V> PendingState<V> {
    /// The same state with its verifier sealed or opened by `f`.
    pub fn map_verifier<W, E>(
        self,
        f: impl FnOnce(&V) -> Result<W, E>,
    ) -> Result<PendingState<W>, E> {
        Ok(PendingState {
            verifier: f(&self.verifier)?,
            session_id: self.session_id,
            connector_id: self.connector_id,
            browser_hash: self.browser_hash,
            redirect_uri: self.redirect_uri,
            issuer: self.issuer,
            scopes: self.scopes,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }
}

impl<V> std::fmt::Debug for PendingState<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingState")
            .field("session_id", &self.session_id)
            .field("connector_id", &self.connector_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What looking at a presented state, without spending it, found.
#[derive(Debug)]
pub enum Peeked<S = PendingState> {
    /// No such state was ever issued (forged or altered).
    Unknown,
    /// Issued, but already used once (replay).
    AlreadyUsed,
    /// Issued and not yet used: the callback checks it, then spends it with `consume_state`.
    Pending(S),
}

/// What presenting a state found.
#[derive(Debug)]
pub enum Consumed<S = PendingState> {
    /// No such state was ever issued (forged or altered).
    Unknown,
    /// Issued, but already used once (replay).
    AlreadyUsed,
    /// First use: the state is now spent.
    Fresh(S),
}
