//! Connections: one stored credential per (connector, owner), with sealed secret fields.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, params};
use secrecy::SecretString;

use super::error::VaultError;
use super::keyring::Keyring;
use crate::clock::now_ms;
use crate::ids::new_id;

mod lifecycle;
mod secrets;
mod types;

pub use lifecycle::*;
pub use secrets::{read_secret, write_secret};
pub use types::*;

const COLUMNS: &str = "id, connector_id, owner_kind, owner_id, scheme, status, status_reason, \
                       granted_scopes, metadata, expires_at, created_at, updated_at, token_version, lost_scopes, tokens_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<ConnectionRecord, VaultError>> {
    let owner_kind: String = r.get(2)?;
    let owner_id: String = r.get(3)?;
    let scheme: String = r.get(4)?;
    let status: String = r.get(5)?;
    let scopes: String = r.get(7)?;
    let metadata: String = r.get(8)?;
    let id: String = r.get(0)?;
    let connector_id: String = r.get(1)?;
    let status_reason: Option<String> = r.get(6)?;
    let expires_at: Option<i64> = r.get(9)?;
    let created_at: i64 = r.get(10)?;
    let updated_at: i64 = r.get(11)?;
    let token_version: i64 = r.get(12)?;
    let lost_scopes: String = r.get(13)?;
    let tokens_at: Option<i64> = r.get(14)?;
    Ok((|| {
        Ok(ConnectionRecord {
            id,
            connector_id,
            owner: Owner::from_parts(&owner_kind, owner_id)?,
            scheme: SchemeKind::parse(&scheme)?,
            status: ConnectionStatus::parse(&status)?,
            status_reason,
            granted_scopes: serde_json::from_str(&scopes)?,
            metadata: serde_json::from_str(&metadata)?,
            expires_at,
            created_at,
            updated_at,
            token_version,
            lost_scopes: serde_json::from_str(&lost_scopes)?,
            tokens_at,
        })
    })())
}

/// Find the connection of `owner` for `connector_id`.
pub fn find(
    conn: &Connection,
    connector_id: &str,
    owner: &Owner,
) -> Result<Option<ConnectionRecord>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM connections WHERE connector_id = ?1 AND owner_kind = ?2 AND owner_id = ?3"),
        params![connector_id, owner.kind(), owner.id()],
        from_row,
    )
    .optional()?
    .transpose()
}

/// A connection by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<ConnectionRecord>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

/// All connections, optionally only those of one owner, oldest first.
pub fn list(conn: &Connection, owner: Option<&Owner>) -> Result<Vec<ConnectionRecord>, VaultError> {
    let mut out = Vec::new();
    match owner {
        Some(owner) => {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM connections WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY created_at, id"
            ))?;
            for row in stmt.query_map(params![owner.kind(), owner.id()], from_row)? {
                out.push(row??);
            }
        }
        None => {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM connections ORDER BY created_at, id"
            ))?;
            for row in stmt.query_map([], from_row)? {
                out.push(row??);
            }
        }
    }
    Ok(out)
}

/// Create or replace the connection of (connector, owner) with `secrets`, atomically. An
/// existing connection keeps its id; its old secrets are dropped.
pub fn put(
    conn: &mut Connection,
    keyring: &Arc<Keyring>,
    new: NewConnection,
    secrets: &[(SecretField, SecretString)],
) -> Result<ConnectionRecord, VaultError> {
    let tx = conn.transaction()?;
    let now = now_ms();
    let existing = find(&tx, &new.connector_id, &new.owner)?;
    let id = existing
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_else(|| new_id("conn"));
    let scopes = serde_json::to_string(&new.granted_scopes)?;
    let metadata = serde_json::to_string(&new.metadata)?;
    match existing {
        Some(_) => {
            tx.execute(
                "UPDATE connections SET scheme = ?2, status = 'active', status_reason = NULL, lost_scopes = '[]', tokens_at = ?6, granted_scopes = ?3, \
                 metadata = ?4, expires_at = ?5, updated_at = ?6 WHERE id = ?1",
                params![id, new.scheme.as_str(), scopes, metadata, new.expires_at, now],
            )?;
            tx.execute(
                "DELETE FROM connection_secrets WHERE connection_id = ?1",
                params![id],
            )?;
        }
        None => {
            tx.execute(
                "INSERT INTO connections (id, connector_id, owner_kind, owner_id, scheme, granted_scopes, metadata, \
                 expires_at, created_at, updated_at, tokens_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
                params![
                    id,
                    new.connector_id,
                    new.owner.kind(),
                    new.owner.id(),
                    new.scheme.as_str(),
                    scopes,
                    metadata,
                    new.expires_at,
                    now
                ],
            )?;
        }
    }
    for (field, secret) in secrets {
        write_secret(&tx, keyring, &id, *field, secret)?;
    }
    let record =
        get(&tx, &id)?.ok_or_else(|| VaultError::Malformed("connection vanished".into()))?;
    tx.commit()?;
    Ok(record)
}

/// Delete a connection and every secret of it. Returns whether it existed.
pub fn delete(conn: &mut Connection, id: &str) -> Result<bool, VaultError> {
    let tx = conn.transaction()?;
    tx.execute(
        "DELETE FROM connection_secrets WHERE connection_id = ?1",
        params![id],
    )?;
    let n = tx.execute("DELETE FROM connections WHERE id = ?1", params![id])?;
    // Its incidents end with it: an open alert would stay listed forever, its link dead.
    crate::alerts::resolve_for(&tx, id)?;
    tx.commit()?;
    Ok(n > 0)
}
