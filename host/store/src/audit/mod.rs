//! The audit log: every tool call and credential use, with no secret in it, chained with an
//! HMAC (key derived from the data key, so only the gateway can extend the chain). Editing,
//! deleting or reordering an entry breaks the chain; a MAC'd head record catches a cut tail.
//!
//! The chain is computed here ([`AuditVault`]); a backend only appends rows at the position
//! it is told, refusing a position that is no longer the end ([`AuditStore::append`]).

mod chain;

use async_trait::async_trait;
use serde::Serialize;

use crate::error::VaultError;

pub use chain::AuditVault;
pub(crate) use chain::Tail;

/// One event to record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What happened: `tool_call`, `token_refresh`, `connect`, `disconnect`, `session_minted`…
    pub event: String,
    /// The agent key (or admin key) behind it.
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub connector: Option<String>,
    pub tool: Option<String>,
    pub connection: Option<String>,
    pub scopes: Vec<String>,
    /// `ok`, or a problem code.
    pub outcome: String,
    /// Short free text (never a secret).
    pub detail: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// An entry as a backend keeps it: with its link in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: i64,
    pub at: i64,
    pub event: Event,
    /// HMAC over the previous entry's MAC and this entry's content.
    pub mac: Vec<u8>,
}

/// The MAC'd record of where the chain ends, so a cut tail is detected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub mac: Vec<u8>,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    Intact {
        entries: i64,
    },
    /// An entry's content (or its position) no longer matches the chain.
    Altered {
        seq: i64,
    },
    /// Entries are missing before `seq` (a gap), or the chain does not start at 1.
    Removed {
        after: i64,
    },
    /// The newest entries were cut off (the head record says there were more).
    Truncated {
        expected: i64,
        found: i64,
    },
}

/// Storage of the audit chain.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The last entry's position and MAC, if any.
    async fn audit_tail(&self) -> Result<Option<(i64, Vec<u8>)>, VaultError>;
    /// Append `record` and replace the head with `head`, together, only if `record.seq` is
    /// one past the current last entry (`Conflict` otherwise, and nothing is stored): the
    /// chain order is the commit order, whoever appends.
    async fn append(&self, record: &Record, head: &Head) -> Result<(), VaultError>;
    /// Entries after position `after`, oldest first, at most `limit`. An entry that cannot be
    /// read back as written is `Malformed` (an alteration, not an empty field).
    async fn records(&self, after: i64, limit: i64) -> Result<Vec<Record>, VaultError>;
    /// The head record, if one was written (`Malformed` if it is unreadable).
    async fn head(&self) -> Result<Option<Head>, VaultError>;
    /// The MAC stored with the entry at `seq`, if there is one.
    async fn mac_at(&self, seq: i64) -> Result<Option<Vec<u8>>, VaultError>;
}
