//! What can go wrong in the vault, phrased for the operator who has to fix it.

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
    #[error("the storage is full: {0}")]
    DiskFull(String),
    #[error("the database file is not a usable SQLite database: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(String),
    #[error("stored data is malformed: {0}")]
    Malformed(String),
    #[error("the vault is shut down")]
    Closed,
}

impl From<rusqlite::Error> for VaultError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => VaultError::DiskFull(e.to_string()),
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
                VaultError::Corrupt(e.to_string())
            }
            _ => VaultError::Sqlite(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for VaultError {
    fn from(e: serde_json::Error) -> Self {
        VaultError::Malformed(e.to_string())
    }
}
