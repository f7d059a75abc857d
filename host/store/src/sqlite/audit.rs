//! The audit chain in SQL: `audit_log` rows and the head record in `meta` (as JSON, the way
//! every earlier version wrote it).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteBackend;
use super::rows::json;
use crate::audit::{AuditStore, Event, Head, Record};
use crate::error::VaultError;

const HEAD_KEY: &str = "audit_head";

#[async_trait]
impl AuditStore for SqliteBackend {
    async fn audit_tail(&self) -> Result<Option<(i64, Vec<u8>)>, VaultError> {
        self.db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
            })
            .await
    }

    async fn append(&self, record: &Record, head: &Head) -> Result<(), VaultError> {
        let (r, head) = (record.clone(), head.clone());
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let last: i64 =
                    tx.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |row| {
                        row.get(0)
                    })?;
                if r.seq != last + 1 {
                    return Err(VaultError::Conflict(format!(
                        "audit position {} is taken (the log ends at {last})",
                        r.seq
                    )));
                }
                let e = &r.event;
                tx.execute(
                    "INSERT INTO audit_log (seq, at, event, actor, user_id, connector, tool, connection, scopes, outcome, detail, mac) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    params![r.seq, r.at, e.event, e.actor, e.user_id, e.connector, e.tool, e.connection, json(&e.scopes)?, e.outcome, e.detail, r.mac],
                )?;
                let head = serde_json::json!({"seq": head.seq, "mac": hex::encode(&head.mac)}).to_string();
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                    params![HEAD_KEY, head],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn records(&self, after: i64, limit: i64) -> Result<Vec<Record>, VaultError> {
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(
                    "SELECT seq, at, event, actor, user_id, connector, tool, connection, scopes, outcome, detail, mac \
                     FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, limit], |r| {
                    let scopes: String = r.get(8)?;
                    let event = Event {
                        event: r.get(2)?,
                        actor: r.get(3)?,
                        user_id: r.get(4)?,
                        connector: r.get(5)?,
                        tool: r.get(6)?,
                        connection: r.get(7)?,
                        scopes: Vec::new(),
                        outcome: r.get(9)?,
                        detail: r.get(10)?,
                    };
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, event, r.get::<_, Vec<u8>>(11)?, scopes))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (seq, at, mut event, mac, scopes) = row?;
                    // A scopes column that is not the JSON we wrote is an alteration, not "no scopes".
                    event.scopes = serde_json::from_str(&scopes).map_err(|_| {
                        VaultError::Malformed(format!("audit entry {seq} has unreadable scopes"))
                    })?;
                    out.push(Record { seq, at, event, mac });
                }
                Ok(out)
            })
            .await
    }

    async fn head(&self) -> Result<Option<Head>, VaultError> {
        self.db
            .read(|c| {
                let head: Option<String> = c
                    .query_row(
                        "SELECT value FROM meta WHERE key = ?1",
                        params![HEAD_KEY],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(head) = head else { return Ok(None) };
                let parsed: serde_json::Value = serde_json::from_str(&head)?;
                Ok(Some(Head {
                    seq: parsed["seq"].as_i64().unwrap_or(-1),
                    mac: parsed["mac"]
                        .as_str()
                        .and_then(|m| hex::decode(m).ok())
                        .unwrap_or_default(),
                }))
            })
            .await
    }

    async fn mac_at(&self, seq: i64) -> Result<Option<Vec<u8>>, VaultError> {
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT mac FROM audit_log WHERE seq = ?1",
                    params![seq],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await
    }
}
