//! What can go wrong in the vault, phrased for the operator who has to fix it. No backend's
//! words here: each backend maps its own failures onto these (see `sqlite::error`).

use std::path::PathBuf;

/// Errors from the vault: storage, keys and sealed data.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read master key file {path}: {source}")]
    MasterKeyIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "master key {origin} is malformed: {reason} (expected 32 random bytes, base64-encoded)"
    )]
    MasterKeyMalformed { origin: String, reason: String },
    #[error(
        "refusing to start: the vault was sealed with master key {sealed_with}, but the key given is {given}; \
         start with the original key (or rotate it with `latchkey vault rotate-master-key`)"
    )]
    WrongMasterKey { sealed_with: String, given: String },
    #[error(
        "the vault's data key {0} failed its integrity check: the database was altered or the key is wrong"
    )]
    DataKeyCorrupt(String),
    #[error("a sealed secret failed to open: it was altered, or moved from another record")]
    SecretTampered,
    #[error(
        "the database schema is version {found}, newer than this build understands ({known}); upgrade latchkey"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// No room for the write (a full disk, or the configured size cap): nothing was stored.
    #[error("the storage is full: {0}")]
    Full(String),
    /// The storage is not a usable database (not one at all, or damaged).
    #[error("the storage is corrupt or not a latchkey database: {0}")]
    Corrupt(String),
    /// The storage cannot be reached now (shut down, connection lost): nothing was stored.
    #[error("the storage is unavailable: {0}")]
    Unavailable(String),
    /// A concurrent writer changed the record first (a token version, an audit position, a
    /// connection id): nothing was stored; read again and decide.
    #[error("a concurrent change got there first: {0}")]
    Conflict(String),
    /// Any other failure of the storage engine.
    #[error("database error: {0}")]
    Backend(String),
    #[error("stored data is malformed: {0}")]
    Malformed(String),
}

impl VaultError {
    /// Whether the caller may simply retry later: nothing was stored and nothing is broken.
    pub fn retry_later(&self) -> bool {
        matches!(
            self,
            VaultError::Full(_) | VaultError::Unavailable(_) | VaultError::Conflict(_)
        )
    }

    /// The vault was shut down (its engine stopped).
    pub fn closed() -> Self {
        VaultError::Unavailable("the vault is shut down".into())
    }
}

impl From<serde_json::Error> for VaultError {
    fn from(e: serde_json::Error) -> Self {
        VaultError::Malformed(e.to_string())
    }
}
