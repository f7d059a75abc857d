//! Sealed secret fields of a connection: each bound (AEAD) to its row and field.

use rusqlite::{Connection, OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};

use super::SecretField;
use crate::error::VaultError;
use crate::keyring::Keyring;
use crate::seal::Sealed;

const TABLE: &str = "connection_secrets";

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
