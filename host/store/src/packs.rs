//! Tool packs: named sets of tools across connectors, authorized together.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::error::VaultError;
use crate::clock::now_ms;

/// A tool pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Agent-facing tool names (`<connector>_<tool>`).
    pub tools: Vec<String>,
}

/// Create or replace a pack.
pub fn put(conn: &Connection, pack: &Pack) -> Result<(), VaultError> {
    conn.execute(
        "INSERT INTO packs (name, description, tools, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET description = ?2, tools = ?3, updated_at = ?4",
        params![
            pack.name,
            pack.description,
            serde_json::to_string(&pack.tools)?,
            now_ms()
        ],
    )?;
    Ok(())
}

fn read(name: String, description: String, tools: String) -> Result<Pack, VaultError> {
    Ok(Pack {
        name,
        description,
        tools: serde_json::from_str(&tools)?,
    })
}

/// A pack by name.
pub fn get(conn: &Connection, name: &str) -> Result<Option<Pack>, VaultError> {
    conn.query_row(
        "SELECT name, description, tools FROM packs WHERE name = ?1",
        params![name],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?
    .map(|(n, d, t)| read(n, d, t))
    .transpose()
}

/// Every pack, by name.
pub fn list(conn: &Connection) -> Result<Vec<Pack>, VaultError> {
    let mut stmt = conn.prepare("SELECT name, description, tools FROM packs ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.map(|r| {
        let (n, d, t) = r?;
        read(n, d, t)
    })
    .collect()
}

/// Delete a pack; returns whether it existed.
pub fn delete(conn: &Connection, name: &str) -> Result<bool, VaultError> {
    Ok(conn.execute("DELETE FROM packs WHERE name = ?1", params![name])? > 0)
}
