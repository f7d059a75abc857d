//! The token journal: a token response is sealed and written the moment it arrives, then
//! applied to its connection in a second step that also removes the entry. A crash between the
//! two is repaired at start-up by replaying what is left.

use rusqlite::{Connection, params};

use super::error::VaultError;
use super::keyring::Keyring;
use super::seal::Sealed;
use crate::clock::now_ms;
use crate::ids::new_id;

const TABLE: &str = "token_journal";

/// A journal entry waiting to be applied.
pub struct Entry {
    pub id: String,
    pub connection_id: String,
    pub payload: zeroize::Zeroizing<Vec<u8>>,
}

/// Seal and store `payload` (the serialized tokens) for `connection_id`; returns the entry id.
pub fn write(
    conn: &Connection,
    keyring: &Keyring,
    connection_id: &str,
    payload: &[u8],
) -> Result<String, VaultError> {
    let id = new_id("tj");
    let (key_id, sealed) = keyring.seal(TABLE, &id, connection_id, payload)?;
    conn.execute(
        "INSERT INTO token_journal (id, connection_id, data_key_id, nonce, sealed, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, connection_id, key_id, sealed.nonce, sealed.ciphertext, now_ms()],
    )?;
    Ok(id)
}

/// Remove an applied entry (inside the transaction that applied it).
pub fn remove(conn: &Connection, id: &str) -> Result<(), VaultError> {
    conn.execute("DELETE FROM token_journal WHERE id = ?1", params![id])?;
    Ok(())
}

/// Entries left behind by a crash, oldest first.
pub fn pending(conn: &Connection, keyring: &Keyring) -> Result<Vec<Entry>, VaultError> {
    let mut stmt =
        conn.prepare("SELECT id, connection_id, data_key_id, nonce, sealed FROM token_journal ORDER BY created_at, id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Vec<u8>>(3)?,
            r.get::<_, Vec<u8>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, connection_id, key_id, nonce, ciphertext) = row?;
        let payload = keyring.open(
            TABLE,
            &id,
            &connection_id,
            &key_id,
            &Sealed { nonce, ciphertext },
        )?;
        out.push(Entry {
            id,
            connection_id,
            payload,
        });
    }
    Ok(out)
}
