//! Keys, sessions and groups in SQL: `api_keys` (all three key kinds), `groups`,
//! `group_members`.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteBackend;
use super::rows::{collect, from_json, json};
use crate::clock::now_ms;
use crate::error::VaultError;
use crate::principals::{ApiKeyRecord, Group, KeyKind, NewKey, PrincipalStore};

const COLUMNS: &str =
    "id, kind, name, secret_hash, created_at, revoked_at, packs, user_id, parent_id, expires_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<ApiKeyRecord, VaultError>> {
    let kind: String = r.get(1)?;
    let packs: Option<String> = r.get(6)?;
    let (id, name, secret_hash, created_at, revoked_at) =
        (r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
    let (user_id, parent_id, expires_at) = (r.get(7)?, r.get(8)?, r.get(9)?);
    Ok((|| {
        Ok(ApiKeyRecord {
            id,
            kind: KeyKind::parse(&kind)?,
            name,
            secret_hash,
            created_at,
            revoked_at,
            packs: packs.as_deref().map(from_json).transpose()?,
            user_id,
            parent_id,
            expires_at,
        })
    })())
}

fn get_key(conn: &Connection, id: &str) -> Result<Option<ApiKeyRecord>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

fn get_group(conn: &Connection, id: &str) -> Result<Option<Group>, VaultError> {
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
        shared_connectors: from_json(&shared)?,
        members,
        updated_at,
    }))
}

fn put_group(
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
        params![id, json(shared_connectors)?, now],
    )?;
    tx.execute("DELETE FROM group_members WHERE group_id = ?1", params![id])?;
    for m in members {
        tx.execute(
            "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)",
            params![id, m],
        )?;
    }
    let group =
        get_group(&tx, id)?.ok_or_else(|| VaultError::Malformed("group vanished".into()))?;
    tx.commit()?;
    Ok(group)
}

#[async_trait]
impl PrincipalStore for SqliteBackend {
    async fn insert_key(&self, key: &NewKey) -> Result<ApiKeyRecord, VaultError> {
        let key = key.clone();
        self.db
            .write(move |c| {
                let packs = key.packs.as_ref().map(json).transpose()?;
                c.execute(
                    "INSERT INTO api_keys (id, kind, name, secret_hash, created_at, packs, user_id, parent_id, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![key.id, key.kind.as_str(), key.name, key.secret_hash, now_ms(), packs, key.user_id, key.parent_id, key.expires_at],
                )?;
                get_key(c, &key.id)?.ok_or_else(|| VaultError::Malformed("key vanished".into()))
            })
            .await
    }

    async fn get_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, VaultError> {
        let id = id.to_string();
        self.db.read(move |c| get_key(c, &id)).await
    }

    async fn list_keys(&self, kind: KeyKind) -> Result<Vec<ApiKeyRecord>, VaultError> {
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {COLUMNS} FROM api_keys WHERE kind = ?1 ORDER BY created_at, id"
                ))?;
                collect(stmt.query_map(params![kind.as_str()], from_row)?)
            })
            .await
    }

    async fn revoke_key(&self, id: &str) -> Result<bool, VaultError> {
        let id = id.to_string();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let now = now_ms();
                let n = tx.execute(
                    "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, now],
                )?;
                tx.execute(
                    "UPDATE api_keys SET revoked_at = ?2 WHERE parent_id = ?1 AND revoked_at IS NULL",
                    params![id, now],
                )?;
                tx.commit()?;
                Ok(n > 0)
            })
            .await
    }

    async fn prune_sessions(&self, now: i64) -> Result<usize, VaultError> {
        self.db
            .write(move |c| {
                Ok(c.execute(
                    "DELETE FROM api_keys WHERE kind = 'session' AND expires_at < ?1",
                    params![now - 86_400_000],
                )?)
            })
            .await
    }

    async fn put_group(
        &self,
        id: &str,
        shared_connectors: &[String],
        members: &[String],
    ) -> Result<Group, VaultError> {
        let (id, shared, members) = (id.to_string(), shared_connectors.to_vec(), members.to_vec());
        self.db
            .write(move |c| put_group(c, &id, &shared, &members))
            .await
    }

    async fn get_group(&self, id: &str) -> Result<Option<Group>, VaultError> {
        let id = id.to_string();
        self.db.read(move |c| get_group(c, &id)).await
    }

    async fn delete_group(&self, id: &str) -> Result<bool, VaultError> {
        let id = id.to_string();
        self.db
            .write(move |c| Ok(c.execute("DELETE FROM groups WHERE id = ?1", params![id])? > 0))
            .await
    }

    async fn groups_sharing(
        &self,
        user_id: &str,
        connector_id: &str,
    ) -> Result<Vec<String>, VaultError> {
        let (user, connector) = (user_id.to_string(), connector_id.to_string());
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(
                    "SELECT g.id FROM groups g JOIN group_members m ON m.group_id = g.id \
                     WHERE m.user_id = ?1 AND EXISTS (SELECT 1 FROM json_each(g.shared_connectors) WHERE value = ?2) ORDER BY g.id",
                )?;
                let rows = stmt.query_map(params![user, connector], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
