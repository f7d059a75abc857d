//! Pack connect flows: one link for a user to connect every app of a tool pack, in turn.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::connections::Owner;
use super::error::VaultError;

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

/// Store a new flow.
pub fn insert(conn: &Connection, s: &PackSession) -> Result<(), VaultError> {
    let (kind, id) = match &s.owner {
        Owner::User(u) => ("user", u),
        Owner::Group(g) => ("group", g),
    };
    conn.execute(
        "INSERT INTO pack_sessions (id, pack, owner_kind, owner_id, return_to, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![s.id, s.pack, kind, id, s.return_to, s.created_at, s.expires_at],
    )?;
    Ok(())
}

/// A flow by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<PackSession>, VaultError> {
    let row = conn
        .query_row(
            "SELECT id, pack, owner_kind, owner_id, return_to, created_at, expires_at FROM pack_sessions WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            },
        )
        .optional()?;
    row.map(
        |(id, pack, kind, owner_id, return_to, created_at, expires_at)| {
            Ok(PackSession {
                id,
                pack,
                owner: match kind.as_str() {
                    "user" => Owner::User(owner_id),
                    "group" => Owner::Group(owner_id),
                    other => return Err(VaultError::Malformed(format!("owner kind {other:?}"))),
                },
                return_to,
                created_at,
                expires_at,
            })
        },
    )
    .transpose()
}
