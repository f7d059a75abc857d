//! SQLite's failures in the vault's words: a full disk (or the size cap) is `Full`, a file
//! that is not a database is `Corrupt`, anything else a `Backend` error.

use rusqlite::ErrorCode;

use crate::error::VaultError;

impl From<rusqlite::Error> for VaultError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => VaultError::Full(e.to_string()),
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
                VaultError::Corrupt(e.to_string())
            }
            _ => VaultError::Backend(e.to_string()),
        }
    }
}
