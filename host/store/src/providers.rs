//! Provider configs: the operator's OAuth client per connector, its secret sealed.

use rusqlite::{Connection, OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::error::VaultError;
use super::keyring::Keyring;
use super::seal::Sealed;
use crate::clock::now_ms;

const TABLE: &str = "provider_configs";

/// An OAuth client registered with an app, as the gateway uses it.
#[derive(Clone, Serialize)]
pub struct ProviderConfig {
    pub connector_id: String,
    pub client_id: String,
    #[serde(skip)]
    pub client_secret: Option<SecretString>,
    /// Replaces the scopes the connector would ask for, when set.
    pub scopes: Option<Vec<String>>,
    /// Replaces the connector's declared issuer (RFC 9207), when set.
    pub issuer: Option<String>,
    pub updated_at: i64,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("connector_id", &self.connector_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Create or replace the config of one connector.
pub fn put(
    conn: &Connection,
    keyring: &Keyring,
    config: &ProviderConfig,
) -> Result<(), VaultError> {
    let sealed = config
        .client_secret
        .as_ref()
        .map(|s| {
            keyring.seal(
                TABLE,
                &config.connector_id,
                "client_secret",
                s.expose_secret().as_bytes(),
            )
        })
        .transpose()?;
    let scopes = config
        .scopes
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let (key_id, nonce, ciphertext) = match sealed {
        Some((k, s)) => (Some(k), Some(s.nonce), Some(s.ciphertext)),
        None => (None, None, None),
    };
    conn.execute(
        "INSERT INTO provider_configs (connector_id, client_id, scopes, issuer, data_key_id, secret_nonce, secret_sealed, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (connector_id) DO UPDATE SET client_id = ?2, scopes = ?3, \
         issuer = ?4, data_key_id = ?5, secret_nonce = ?6, secret_sealed = ?7, updated_at = ?8",
        params![config.connector_id, config.client_id, scopes, config.issuer, key_id, nonce, ciphertext, now_ms()],
    )?;
    Ok(())
}

type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    i64,
);

fn open_row(keyring: &Keyring, row: Row) -> Result<ProviderConfig, VaultError> {
    let (connector_id, client_id, scopes, issuer, key_id, nonce, ciphertext, updated_at) = row;
    let client_secret = match (key_id, nonce, ciphertext) {
        (Some(k), Some(nonce), Some(ciphertext)) => {
            let plain = keyring.open(
                TABLE,
                &connector_id,
                "client_secret",
                &k,
                &Sealed { nonce, ciphertext },
            )?;
            let text = std::str::from_utf8(&plain).map_err(|_| VaultError::SecretTampered)?;
            Some(SecretString::from(text.to_owned()))
        }
        _ => None,
    };
    Ok(ProviderConfig {
        connector_id,
        client_id,
        client_secret,
        scopes: scopes.as_deref().map(serde_json::from_str).transpose()?,
        issuer,
        updated_at,
    })
}

const SELECT: &str = "SELECT connector_id, client_id, scopes, issuer, data_key_id, secret_nonce, secret_sealed, updated_at FROM provider_configs";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

/// The config of one connector, with its secret opened.
pub fn get(
    conn: &Connection,
    keyring: &Keyring,
    connector_id: &str,
) -> Result<Option<ProviderConfig>, VaultError> {
    conn.query_row(
        &format!("{SELECT} WHERE connector_id = ?1"),
        params![connector_id],
        read_row,
    )
    .optional()?
    .map(|row| open_row(keyring, row))
    .transpose()
}

/// Every config (secrets opened: callers must not expose them).
pub fn list(conn: &Connection, keyring: &Keyring) -> Result<Vec<ProviderConfig>, VaultError> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY connector_id"))?;
    let rows = stmt.query_map([], read_row)?;
    rows.map(|r| open_row(keyring, r?)).collect()
}

/// Remove a connector's config; returns whether it existed.
pub fn delete(conn: &Connection, connector_id: &str) -> Result<bool, VaultError> {
    Ok(conn.execute(
        "DELETE FROM provider_configs WHERE connector_id = ?1",
        params![connector_id],
    )? > 0)
}
