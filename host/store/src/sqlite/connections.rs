//! Connections in SQL: `connections` rows, their sealed fields in `connection_secrets`, and
//! the token journal (`token_journal`), applied in the transaction that writes the tokens.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteBackend;
use super::rows::{collect, from_json, json, owner_parts, sealed_at};
use crate::clock::now_ms;
use crate::connections::{
    ConnectionRecord, ConnectionStatus, ConnectionStore, NewConnection, Owner, SchemeKind,
    SecretField, TokenWrite,
};
use crate::error::VaultError;
use crate::journal::{JournalStore, SealedEntry};
use crate::seal::SealedValue;

const COLUMNS: &str = "id, connector_id, owner_kind, owner_id, scheme, status, status_reason, \
                       granted_scopes, metadata, expires_at, created_at, updated_at, token_version, lost_scopes, tokens_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<ConnectionRecord, VaultError>> {
    let owner_kind: String = r.get(2)?;
    let owner_id: String = r.get(3)?;
    let scheme: String = r.get(4)?;
    let status: String = r.get(5)?;
    let scopes: String = r.get(7)?;
    let metadata: String = r.get(8)?;
    let lost_scopes: String = r.get(13)?;
    let (id, connector_id, status_reason) = (r.get(0)?, r.get(1)?, r.get(6)?);
    let (expires_at, created_at, updated_at) = (r.get(9)?, r.get(10)?, r.get(11)?);
    let (token_version, tokens_at) = (r.get(12)?, r.get(14)?);
    Ok((|| {
        Ok(ConnectionRecord {
            id,
            connector_id,
            owner: Owner::from_parts(&owner_kind, owner_id)?,
            scheme: SchemeKind::parse(&scheme)?,
            status: ConnectionStatus::parse(&status)?,
            status_reason,
            granted_scopes: from_json(&scopes)?,
            metadata: from_json(&metadata)?,
            expires_at,
            created_at,
            updated_at,
            token_version,
            lost_scopes: from_json(&lost_scopes)?,
            tokens_at,
        })
    })())
}

fn find(
    conn: &Connection,
    connector_id: &str,
    owner: &Owner,
) -> Result<Option<ConnectionRecord>, VaultError> {
    let (kind, owner_id) = owner_parts(owner);
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM connections WHERE connector_id = ?1 AND owner_kind = ?2 AND owner_id = ?3"),
        params![connector_id, kind, owner_id],
        from_row,
    )
    .optional()?
    .transpose()
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<ConnectionRecord>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

fn must_get(conn: &Connection, id: &str) -> Result<ConnectionRecord, VaultError> {
    get(conn, id)?.ok_or_else(|| VaultError::Malformed("connection vanished".into()))
}

fn write_secret(
    conn: &Connection,
    id: &str,
    field: SecretField,
    sealed: &SealedValue,
) -> Result<(), VaultError> {
    conn.execute(
        "INSERT INTO connection_secrets (connection_id, field, data_key_id, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (connection_id, field) DO UPDATE SET data_key_id = ?3, nonce = ?4, ciphertext = ?5",
        params![id, field.as_str(), sealed.data_key_id, sealed.nonce, sealed.ciphertext],
    )?;
    Ok(())
}

fn put(
    conn: &mut Connection,
    id: &str,
    new: &NewConnection,
    secrets: &[(SecretField, SealedValue)],
) -> Result<ConnectionRecord, VaultError> {
    let tx = conn.transaction()?;
    let now = now_ms();
    let scopes = json(&new.granted_scopes)?;
    let metadata = json(&new.metadata)?;
    match find(&tx, &new.connector_id, &new.owner)? {
        Some(existing) if existing.id != id => {
            return Err(VaultError::Conflict(format!(
                "the connection of this owner is {}",
                existing.id
            )));
        }
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
            let (kind, owner_id) = owner_parts(&new.owner);
            tx.execute(
                "INSERT INTO connections (id, connector_id, owner_kind, owner_id, scheme, granted_scopes, metadata, \
                 expires_at, created_at, updated_at, tokens_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
                params![id, new.connector_id, kind, owner_id, new.scheme.as_str(), scopes, metadata, new.expires_at, now],
            )?;
        }
    }
    for (field, sealed) in secrets {
        write_secret(&tx, id, *field, sealed)?;
    }
    let record = must_get(&tx, id)?;
    tx.commit()?;
    Ok(record)
}

fn write_tokens(
    conn: &mut Connection,
    id: &str,
    w: &TokenWrite,
) -> Result<ConnectionRecord, VaultError> {
    let tx = conn.transaction()?;
    let version: Option<i64> = tx
        .query_row(
            "SELECT token_version FROM connections WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    match (version, w.expected_version) {
        (None, _) => {
            return Err(VaultError::Malformed(format!(
                "connection {id} does not exist"
            )));
        }
        (Some(found), Some(expected)) if found != expected => {
            return Err(VaultError::Conflict(format!(
                "connection {id} was refreshed meanwhile (token version {found}, not {expected})"
            )));
        }
        _ => {}
    }
    if let Some(j) = &w.journal_id {
        tx.execute("DELETE FROM token_journal WHERE id = ?1", params![j])?;
    }
    // The refresh token first: a rotated one is never lost while the new access token is used.
    if let Some(refresh) = &w.refresh_token {
        write_secret(&tx, id, SecretField::RefreshToken, refresh)?;
    }
    write_secret(&tx, id, SecretField::AccessToken, &w.access_token)?;
    if let Some(extra) = &w.extra_tokens {
        write_secret(&tx, id, SecretField::ExtraTokens, extra)?;
    }
    let scopes = w.granted_scopes.as_ref().map(json).transpose()?;
    tx.execute(
        "UPDATE connections SET expires_at = ?2, granted_scopes = COALESCE(?3, granted_scopes), \
         token_version = token_version + 1, status = 'active', status_reason = NULL, updated_at = ?4, tokens_at = ?4, \
         refresh_holder = NULL, refresh_until = NULL WHERE id = ?1",
        params![id, w.expires_at, scopes, now_ms()],
    )?;
    let record = must_get(&tx, id)?;
    tx.commit()?;
    Ok(record)
}

fn merge_metadata(
    conn: &mut Connection,
    id: &str,
    entries: &BTreeMap<String, String>,
) -> Result<Option<ConnectionRecord>, VaultError> {
    let tx = conn.transaction()?;
    let Some(mut record) = get(&tx, id)? else {
        return Ok(None);
    };
    record
        .metadata
        .extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
    tx.execute(
        "UPDATE connections SET metadata = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, json(&record.metadata)?, now_ms()],
    )?;
    let updated = get(&tx, id)?;
    tx.commit()?;
    Ok(updated)
}

fn record_lost_scopes(conn: &mut Connection, id: &str, lost: &[String]) -> Result<(), VaultError> {
    let tx = conn.transaction()?;
    let Some(record) = get(&tx, id)? else {
        return Ok(());
    };
    let mut all = record.lost_scopes;
    for s in lost {
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    tx.execute(
        "UPDATE connections SET lost_scopes = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, json(&all)?, now_ms()],
    )?;
    tx.commit()?;
    Ok(())
}

fn delete(conn: &mut Connection, id: &str) -> Result<bool, VaultError> {
    let tx = conn.transaction()?;
    tx.execute(
        "DELETE FROM connection_secrets WHERE connection_id = ?1",
        params![id],
    )?;
    let n = tx.execute("DELETE FROM connections WHERE id = ?1", params![id])?;
    // Its incidents end with it: an open alert would stay listed forever, its link dead.
    super::alerts::resolve_for(&tx, id)?;
    tx.commit()?;
    Ok(n > 0)
}

#[async_trait]
impl ConnectionStore for SqliteBackend {
    async fn put_sealed(
        &self,
        id: &str,
        new: &NewConnection,
        secrets: &[(SecretField, SealedValue)],
    ) -> Result<ConnectionRecord, VaultError> {
        let (id, new, secrets) = (id.to_string(), new.clone(), secrets.to_vec());
        self.db.write(move |c| put(c, &id, &new, &secrets)).await
    }

    async fn find(
        &self,
        connector_id: &str,
        owner: &Owner,
    ) -> Result<Option<ConnectionRecord>, VaultError> {
        let (connector_id, owner) = (connector_id.to_string(), owner.clone());
        self.db.read(move |c| find(c, &connector_id, &owner)).await
    }

    async fn get(&self, id: &str) -> Result<Option<ConnectionRecord>, VaultError> {
        let id = id.to_string();
        self.db.read(move |c| get(c, &id)).await
    }

    async fn list(&self, owner: Option<&Owner>) -> Result<Vec<ConnectionRecord>, VaultError> {
        let owner = owner.cloned();
        self.db
            .read(move |c| match &owner {
                Some(owner) => {
                    let (kind, owner_id) = owner_parts(owner);
                    let mut stmt = c.prepare(&format!(
                        "SELECT {COLUMNS} FROM connections WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY created_at, id"
                    ))?;
                    collect(stmt.query_map(params![kind, owner_id], from_row)?)
                }
                None => {
                    let mut stmt = c.prepare(&format!(
                        "SELECT {COLUMNS} FROM connections ORDER BY created_at, id"
                    ))?;
                    collect(stmt.query_map([], from_row)?)
                }
            })
            .await
    }

    async fn secret_sealed(
        &self,
        id: &str,
        field: SecretField,
    ) -> Result<Option<SealedValue>, VaultError> {
        let id = id.to_string();
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT data_key_id, nonce, ciphertext FROM connection_secrets WHERE connection_id = ?1 AND field = ?2",
                    params![id, field.as_str()],
                    |r| sealed_at(r, 0),
                )
                .optional()?)
            })
            .await
    }

    async fn write_tokens(
        &self,
        id: &str,
        write: &TokenWrite,
    ) -> Result<ConnectionRecord, VaultError> {
        let (id, write) = (id.to_string(), write.clone());
        self.db.write(move |c| write_tokens(c, &id, &write)).await
    }

    async fn merge_metadata(
        &self,
        id: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<Option<ConnectionRecord>, VaultError> {
        let (id, entries) = (id.to_string(), entries.clone());
        self.db
            .write(move |c| merge_metadata(c, &id, &entries))
            .await
    }

    async fn set_status(
        &self,
        id: &str,
        status: ConnectionStatus,
        reason: Option<&str>,
    ) -> Result<bool, VaultError> {
        let (id, reason) = (id.to_string(), reason.map(str::to_string));
        self.db
            .write(move |c| {
                let n = c.execute(
                    "UPDATE connections SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, status.as_str(), reason, now_ms()],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn record_lost_scopes(&self, id: &str, lost: &[String]) -> Result<(), VaultError> {
        let (id, lost) = (id.to_string(), lost.to_vec());
        self.db
            .write(move |c| record_lost_scopes(c, &id, &lost))
            .await
    }

    async fn probe_candidates(&self) -> Result<Vec<(ConnectionRecord, Option<i64>)>, VaultError> {
        self.db
            .read(|c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {COLUMNS}, probed_at FROM connections WHERE status = 'active' ORDER BY coalesce(probed_at, 0), id"
                ))?;
                let rows = stmt.query_map([], |r| {
                    let probed: Option<i64> = r.get(15)?;
                    Ok(from_row(r)?.map(|record| (record, probed)))
                })?;
                collect(rows)
            })
            .await
    }

    async fn mark_probed(&self, id: &str, at: i64) -> Result<(), VaultError> {
        let id = id.to_string();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE connections SET probed_at = ?2 WHERE id = ?1",
                    params![id, at],
                )?;
                Ok(())
            })
            .await
    }

    async fn delete(&self, id: &str) -> Result<bool, VaultError> {
        let id = id.to_string();
        self.db.write(move |c| delete(c, &id)).await
    }
}

#[async_trait]
impl JournalStore for SqliteBackend {
    async fn append_entry(&self, entry: &SealedEntry) -> Result<(), VaultError> {
        let e = entry.clone();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO token_journal (id, connection_id, data_key_id, nonce, sealed, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![e.id, e.connection_id, e.payload.data_key_id, e.payload.nonce, e.payload.ciphertext, e.created_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn remove_entry(&self, id: &str) -> Result<(), VaultError> {
        let id = id.to_string();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM token_journal WHERE id = ?1", params![id])?;
                Ok(())
            })
            .await
    }

    async fn pending_entries(&self) -> Result<Vec<SealedEntry>, VaultError> {
        self.db
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT id, connection_id, data_key_id, nonce, sealed, created_at FROM token_journal ORDER BY created_at, id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(SealedEntry {
                        id: r.get(0)?,
                        connection_id: r.get(1)?,
                        payload: sealed_at(r, 2)?,
                        created_at: r.get(5)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
