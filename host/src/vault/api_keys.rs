//! Stored agent and admin keys: only a hash of each key's secret part is kept.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::error::VaultError;
use crate::clock::now_ms;

/// What a key may do: agents call tools, admins manage the gateway. Never interchangeable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Agent,
    Admin,
}

impl KeyKind {
    /// The stored (and key prefix) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Agent => "agent",
            KeyKind::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Result<Self, VaultError> {
        match s {
            "agent" => Ok(KeyKind::Agent),
            "admin" => Ok(KeyKind::Admin),
            other => Err(VaultError::Malformed(format!("key kind {other:?}"))),
        }
    }
}

/// A key's stored row (no secret: only its hash).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyRecord {
    pub id: String,
    pub kind: KeyKind,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Store a new key's hash.
pub fn insert(
    conn: &Connection,
    id: &str,
    kind: KeyKind,
    name: &str,
    secret_hash: &[u8],
) -> Result<ApiKeyRecord, VaultError> {
    let now = now_ms();
    conn.execute(
        "INSERT INTO api_keys (id, kind, name, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, kind.as_str(), name, secret_hash, now],
    )?;
    Ok(ApiKeyRecord {
        id: id.to_string(),
        kind,
        name: name.to_string(),
        secret_hash: secret_hash.to_vec(),
        created_at: now,
        revoked_at: None,
    })
}

type Row = (String, String, String, Vec<u8>, i64, Option<i64>);

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn record(row: Row) -> Result<ApiKeyRecord, VaultError> {
    let (id, kind, name, secret_hash, created_at, revoked_at) = row;
    Ok(ApiKeyRecord {
        id,
        kind: KeyKind::parse(&kind)?,
        name,
        secret_hash,
        created_at,
        revoked_at,
    })
}

/// A key by id, revoked or not.
pub fn get(conn: &Connection, id: &str) -> Result<Option<ApiKeyRecord>, VaultError> {
    conn.query_row(
        "SELECT id, kind, name, secret_hash, created_at, revoked_at FROM api_keys WHERE id = ?1",
        params![id],
        from_row,
    )
    .optional()?
    .map(record)
    .transpose()
}

/// All keys of one kind, oldest first.
pub fn list(conn: &Connection, kind: KeyKind) -> Result<Vec<ApiKeyRecord>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT id, kind, name, secret_hash, created_at, revoked_at FROM api_keys WHERE kind = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map(params![kind.as_str()], from_row)?;
    rows.map(|r| record(r?)).collect()
}

/// Revoke a key; returns whether an unrevoked key was found.
pub fn revoke(conn: &Connection, id: &str) -> Result<bool, VaultError> {
    let n = conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now_ms()],
    )?;
    Ok(n > 0)
}
