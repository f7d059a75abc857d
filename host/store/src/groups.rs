//! Groups: members share a group's connections, for the connectors the group's policy names.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::error::VaultError;
use crate::clock::now_ms;

/// A group and its sharing policy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    /// Connectors whose group connection members may use.
    pub shared_connectors: Vec<String>,
    pub members: Vec<String>,
    pub updated_at: i64,
}

/// Create or replace a group (policy and members) atomically.
pub fn put(
    conn: &mut Connection,
    id: &str,
    shared_connectors: &[String],
    members: &[String],
) -> Result<Group, VaultError> {
    let tx = conn.transaction()?;
    let now = now_ms();
    tx.execute(
        "INSERT INTO groups (id, shared_connectors, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET shared_connectors = ?2, updated_at = ?3",
        params![id, serde_json::to_string(shared_connectors)?, now],
    )?;
    tx.execute("DELETE FROM group_members WHERE group_id = ?1", params![id])?;
    for m in members {
        tx.execute(
            "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)",
            params![id, m],
        )?;
    }
    let group = get(&tx, id)?.ok_or_else(|| VaultError::Malformed("group vanished".into()))?;
    tx.commit()?;
    Ok(group)
}

/// A group with its members.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Group>, VaultError> {
    let row = conn
        .query_row(
            "SELECT shared_connectors, updated_at FROM groups WHERE id = ?1",
            params![id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?;
    let Some((shared, updated_at)) = row else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?;
    let members = stmt
        .query_map(params![id], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Group {
        id: id.to_string(),
        shared_connectors: serde_json::from_str(&shared)?,
        members,
        updated_at,
    }))
}

/// Delete a group; its connections stay (delete them explicitly).
pub fn delete(conn: &Connection, id: &str) -> Result<bool, VaultError> {
    Ok(conn.execute("DELETE FROM groups WHERE id = ?1", params![id])? > 0)
}

/// The groups `user_id` belongs to whose policy shares `connector_id`, in a stable order.
pub fn sharing(
    conn: &Connection,
    user_id: &str,
    connector_id: &str,
) -> Result<Vec<String>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT g.id FROM groups g JOIN group_members m ON m.group_id = g.id \
         WHERE m.user_id = ?1 AND EXISTS (SELECT 1 FROM json_each(g.shared_connectors) WHERE value = ?2) ORDER BY g.id",
    )?;
    let rows = stmt.query_map(params![user_id, connector_id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
