//! Connections: one stored credential per (connector, owner), with sealed secret fields.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, params};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::error::VaultError;
use super::keyring::Keyring;
use super::seal::Sealed;
use crate::clock::now_ms;
use crate::ids::new_id;

/// Who a connection belongs to: one user (individual) or a group (shared credential).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Owner {
    User(String),
    Group(String),
}

impl Owner {
    fn kind(&self) -> &'static str {
        match self {
            Owner::User(_) => "user",
            Owner::Group(_) => "group",
        }
    }

    /// The user or group id.
    pub fn id(&self) -> &str {
        match self {
            Owner::User(id) | Owner::Group(id) => id,
        }
    }

    fn from_parts(kind: &str, id: String) -> Result<Owner, VaultError> {
        match kind {
            "user" => Ok(Owner::User(id)),
            "group" => Ok(Owner::Group(id)),
            other => Err(VaultError::Malformed(format!("owner kind {other:?}"))),
        }
    }
}

/// Which of the connector's auth schemes a connection was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeKind {
    ApiKey,
    Basic,
    Oauth2,
    ServiceAccount,
}

impl SchemeKind {
    /// The stored (and API) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemeKind::ApiKey => "api_key",
            SchemeKind::Basic => "basic",
            SchemeKind::Oauth2 => "oauth2",
            SchemeKind::ServiceAccount => "service_account",
        }
    }

    fn parse(s: &str) -> Result<Self, VaultError> {
        Ok(match s {
            "api_key" => SchemeKind::ApiKey,
            "basic" => SchemeKind::Basic,
            "oauth2" => SchemeKind::Oauth2,
            "service_account" => SchemeKind::ServiceAccount,
            other => return Err(VaultError::Malformed(format!("scheme {other:?}"))),
        })
    }
}

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    NeedsReauth,
    Revoked,
}

impl ConnectionStatus {
    /// The stored (and API) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::NeedsReauth => "needs_reauth",
            ConnectionStatus::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> Result<Self, VaultError> {
        Ok(match s {
            "active" => ConnectionStatus::Active,
            "needs_reauth" => ConnectionStatus::NeedsReauth,
            "revoked" => ConnectionStatus::Revoked,
            other => return Err(VaultError::Malformed(format!("status {other:?}"))),
        })
    }
}

/// A secret field of a connection; each is sealed separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretField {
    ApiKey,
    Password,
    AccessToken,
    RefreshToken,
    PrivateKey,
    ClientSecret,
    /// Named further tokens (JSON object name → token), e.g. Slack's user token.
    ExtraTokens,
}

impl SecretField {
    /// The stored spelling (also part of the AEAD binding).
    pub fn as_str(self) -> &'static str {
        match self {
            SecretField::ApiKey => "api_key",
            SecretField::Password => "password",
            SecretField::AccessToken => "access_token",
            SecretField::RefreshToken => "refresh_token",
            SecretField::PrivateKey => "private_key",
            SecretField::ClientSecret => "client_secret",
            SecretField::ExtraTokens => "extra_tokens",
        }
    }
}

/// A connection as stored, without its secrets: safe to log and to return over the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRecord {
    pub id: String,
    pub connector_id: String,
    pub owner: Owner,
    pub scheme: SchemeKind,
    pub status: ConnectionStatus,
    pub status_reason: Option<String>,
    pub granted_scopes: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped on every token change: a refresher that waited can tell someone else refreshed.
    pub token_version: i64,
    /// Scopes the provider stopped granting since the user consented (scope drift).
    pub lost_scopes: Vec<String>,
    /// When the current tokens were received (with `expires_at`: how long they live).
    pub tokens_at: Option<i64>,
}

/// New tokens for an OAuth or service-account connection.
pub struct TokenUpdate {
    pub access_token: SecretString,
    /// `None` keeps the stored refresh token (a response without one does not erase it).
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<i64>,
    /// `None` keeps the recorded scopes.
    pub granted_scopes: Option<Vec<String>>,
    /// Named further tokens (JSON object); `None` keeps the stored ones.
    pub extra_tokens: Option<SecretString>,
}

impl std::fmt::Debug for TokenUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenUpdate")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .field("granted_scopes", &self.granted_scopes)
            .finish_non_exhaustive()
    }
}

/// What to store for a new (or replaced) connection, besides its secrets.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub connector_id: String,
    pub owner: Owner,
    pub scheme: SchemeKind,
    pub granted_scopes: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_at: Option<i64>,
}

const TABLE: &str = "connection_secrets";
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

/// Seal and store one secret field (replacing it), inside the caller's transaction.
pub fn write_secret(
    conn: &Connection,
    keyring: &Keyring,
    connection_id: &str,
    field: SecretField,
    secret: &SecretString,
) -> Result<(), VaultError> {
    let (key_id, sealed) = keyring.seal(
        TABLE,
        connection_id,
        field.as_str(),
        secret.expose_secret().as_bytes(),
    )?;
    conn.execute(
        "INSERT INTO connection_secrets (connection_id, field, data_key_id, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (connection_id, field) DO UPDATE SET data_key_id = ?3, nonce = ?4, ciphertext = ?5",
        params![connection_id, field.as_str(), key_id, sealed.nonce, sealed.ciphertext],
    )?;
    Ok(())
}

/// Open one secret field of a connection, if it has one.
pub fn read_secret(
    conn: &Connection,
    keyring: &Keyring,
    connection_id: &str,
    field: SecretField,
) -> Result<Option<SecretString>, VaultError> {
    let row = conn
        .query_row(
            "SELECT data_key_id, nonce, ciphertext FROM connection_secrets WHERE connection_id = ?1 AND field = ?2",
            params![connection_id, field.as_str()],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?)),
        )
        .optional()?;
    let Some((key_id, nonce, ciphertext)) = row else {
        return Ok(None);
    };
    let plain = keyring.open(
        TABLE,
        connection_id,
        field.as_str(),
        &key_id,
        &Sealed { nonce, ciphertext },
    )?;
    let text = std::str::from_utf8(&plain).map_err(|_| VaultError::SecretTampered)?;
    Ok(Some(SecretString::from(text.to_owned())))
}

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
        super::token_journal::remove(&tx, j)?;
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

/// Delete a connection and every secret of it. Returns whether it existed.
pub fn delete(conn: &mut Connection, id: &str) -> Result<bool, VaultError> {
    let tx = conn.transaction()?;
    tx.execute(
        "DELETE FROM connection_secrets WHERE connection_id = ?1",
        params![id],
    )?;
    let n = tx.execute("DELETE FROM connections WHERE id = ?1", params![id])?;
    tx.commit()?;
    Ok(n > 0)
}
