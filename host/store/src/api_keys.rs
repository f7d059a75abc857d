//! Stored keys: agent keys, admin keys, and user sessions (short-lived keys an agent key mints
//! for one user). Only a hash of each key's secret part is kept.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::error::VaultError;
use crate::clock::now_ms;

/// What a key may do: agents call tools, admins manage the gateway, sessions call tools for
/// exactly one user. Never interchangeable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Agent,
    Admin,
    Session,
}

impl KeyKind {
    /// The stored (and key prefix) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Agent => "agent",
            KeyKind::Admin => "admin",
            KeyKind::Session => "session",
        }
    }

    fn parse(s: &str) -> Result<Self, VaultError> {
        match s {
            "agent" => Ok(KeyKind::Agent),
            "admin" => Ok(KeyKind::Admin),
            "session" => Ok(KeyKind::Session),
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
    /// Agent keys and sessions: the tool packs they may use; `None` = every tool.
    pub packs: Option<Vec<String>>,
    /// Sessions: the one user they act for.
    pub user_id: Option<String>,
    /// Sessions: the agent key that minted them.
    pub parent_id: Option<String>,
    /// Sessions: when they stop working.
    pub expires_at: Option<i64>,
}

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub kind: KeyKind,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub packs: Option<Vec<String>>,
    pub user_id: Option<String>,
    pub parent_id: Option<String>,
    pub expires_at: Option<i64>,
}

const COLUMNS: &str =
    "id, kind, name, secret_hash, created_at, revoked_at, packs, user_id, parent_id, expires_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<ApiKeyRecord, VaultError>> {
    let kind: String = r.get(1)?;
    let packs: Option<String> = r.get(6)?;
    let rest = (
        r.get::<_, String>(0)?,
        r.get::<_, String>(2)?,
        r.get::<_, Vec<u8>>(3)?,
        r.get::<_, i64>(4)?,
        r.get::<_, Option<i64>>(5)?,
        r.get::<_, Option<String>>(7)?,
        r.get::<_, Option<String>>(8)?,
        r.get::<_, Option<i64>>(9)?,
    );
    Ok((|| {
        let (id, name, secret_hash, created_at, revoked_at, user_id, parent_id, expires_at) = rest;
        Ok(ApiKeyRecord {
            id,
            kind: KeyKind::parse(&kind)?,
            name,
            secret_hash,
            created_at,
            revoked_at,
            packs: packs.as_deref().map(serde_json::from_str).transpose()?,
            user_id,
            parent_id,
            expires_at,
        })
    })())
}

/// Store a new key's hash.
pub fn insert(conn: &Connection, key: &NewKey) -> Result<ApiKeyRecord, VaultError> {
    let now = now_ms();
    let packs = key.packs.as_ref().map(serde_json::to_string).transpose()?;
    conn.execute(
        "INSERT INTO api_keys (id, kind, name, secret_hash, created_at, packs, user_id, parent_id, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            key.id,
            key.kind.as_str(),
            key.name,
            key.secret_hash,
            now,
            packs,
            key.user_id,
            key.parent_id,
            key.expires_at
        ],
    )?;
    get(conn, &key.id)?.ok_or_else(|| VaultError::Malformed("key vanished".into()))
}

/// A key by id, revoked or not.
pub fn get(conn: &Connection, id: &str) -> Result<Option<ApiKeyRecord>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

/// All keys of one kind, oldest first.
pub fn list(conn: &Connection, kind: KeyKind) -> Result<Vec<ApiKeyRecord>, VaultError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE kind = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map(params![kind.as_str()], from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Revoke a key, and every session it minted; returns whether an unrevoked key was found.
pub fn revoke(conn: &Connection, id: &str) -> Result<bool, VaultError> {
    let now = now_ms();
    let n = conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE parent_id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    Ok(n > 0)
}

/// Drop sessions that expired more than a day ago.
pub fn prune_sessions(conn: &Connection, now: i64) -> Result<usize, VaultError> {
    Ok(conn.execute(
        "DELETE FROM api_keys WHERE kind = 'session' AND expires_at < ?1",
        params![now - 86_400_000],
    )?)
}
