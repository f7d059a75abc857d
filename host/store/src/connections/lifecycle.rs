//! How a stored connection changes over its life: new tokens, learned metadata, probes, lost
//! scopes, status.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::secrets::write_secret;
use super::{COLUMNS, ConnectionRecord, ConnectionStatus, SecretField, TokenUpdate, from_row, get};
use crate::clock::now_ms;
use crate::error::VaultError;
use crate::keyring::Keyring;

/// Replace a connection's tokens atomically (refresh token first in the same transaction, so a
/// rotated one is never lost while the new access token is in use) and mark it active.
pub fn update_tokens(
    conn: &mut Connection,
    keyring: &Keyring,
    id: &str,
    update: &TokenUpdate,
    journal_id: Option<&str>,
) -> Result<ConnectionRecord, VaultError> {
    let tx = conn.transaction()?;
    if let Some(j) = journal_id {
        crate::token_journal::remove(&tx, j)?;
    }
    if let Some(refresh) = &update.refresh_token {
        write_secret(&tx, keyring, id, SecretField::RefreshToken, refresh)?;
    }
    write_secret(
        &tx,
        keyring,
        id,
        SecretField::AccessToken,
        &update.access_token,
    )?;
    if let Some(extra) = &update.extra_tokens {
        write_secret(&tx, keyring, id, SecretField::ExtraTokens, extra)?;
    }
    let scopes = update
        .granted_scopes
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let n = tx.execute(
        "UPDATE connections SET expires_at = ?2, granted_scopes = COALESCE(?3, granted_scopes), \
         token_version = token_version + 1, status = 'active', status_reason = NULL, updated_at = ?4, tokens_at = ?4 WHERE id = ?1",
        params![id, update.expires_at, scopes, now_ms()],
    )?;
    if n == 0 {
        return Err(VaultError::Malformed(format!(
            "connection {id} does not exist"
        )));
    }
    let record =
        get(&tx, id)?.ok_or_else(|| VaultError::Malformed("connection vanished".into()))?;
    tx.commit()?;
    Ok(record)
}

/// Add (or replace) non-secret metadata entries of a connection.
pub fn merge_metadata(
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
        params![id, serde_json::to_string(&record.metadata)?, now_ms()],
    )?;
    let updated = get(&tx, id)?;
    tx.commit()?;
    Ok(updated)
}

/// Connections a probe should look at: active, and not probed within `interval_ms` of `now`
/// (per connector), oldest probe first.
pub fn probe_candidates(
    conn: &Connection,
) -> Result<Vec<(ConnectionRecord, Option<i64>)>, VaultError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS}, probed_at FROM connections WHERE status = 'active' ORDER BY coalesce(probed_at, 0), id"
    ))?;
    let rows = stmt.query_map([], |r| Ok((from_row(r)?, r.get::<_, Option<i64>>(15)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (record, probed) = row?;
        out.push((record?, probed));
    }
    Ok(out)
}

/// Remember that a probe looked at a connection.
pub fn mark_probed(conn: &Connection, id: &str, at: i64) -> Result<(), VaultError> {
    conn.execute(
        "UPDATE connections SET probed_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Record scopes a connection lost (added to any lost before).
pub fn record_lost_scopes(
    conn: &mut Connection,
    id: &str,
    lost: &[String],
) -> Result<(), VaultError> {
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
        params![id, serde_json::to_string(&all)?, now_ms()],
    )?;
    tx.commit()?;
    Ok(())
}

/// Set a connection's status and the reason for it.
pub fn set_status(
    conn: &Connection,
    id: &str,
    status: ConnectionStatus,
    reason: Option<&str>,
) -> Result<bool, VaultError> {
    let n = conn.execute(
        "UPDATE connections SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, status.as_str(), reason, now_ms()],
    )?;
    Ok(n > 0)
}
