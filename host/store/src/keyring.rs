//! Envelope encryption: data keys seal the secrets, the master key wraps the data keys.
//! Rotating the master key re-wraps a handful of data keys, never the secrets themselves.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use secrecy::{ExposeSecret, SecretBox};

use super::error::VaultError;
use super::master_key::{KEY_LEN, MasterKey};
use super::seal::{self, Binding, Sealed};
use crate::clock::now_ms;
use crate::ids::new_id;

/// The unwrapped data keys, held in memory for the life of the process.
pub struct Keyring {
    active: String,
    keys: HashMap<String, SecretBox<[u8; KEY_LEN]>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn wrap_binding<'a>(id: &'a str, master_id: &'a str) -> Binding<'a> {
    Binding {
        table: "data_keys",
        row: id,
        field: "key",
        key_id: master_id,
    }
}

struct WrappedRow {
    id: String,
    master_key_id: String,
    sealed: Sealed,
    active: bool,
}

fn wrapped_rows(conn: &Connection) -> Result<Vec<WrappedRow>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT id, master_key_id, nonce, wrapped, active FROM data_keys ORDER BY created_at",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(WrappedRow {
            id: r.get(0)?,
            master_key_id: r.get(1)?,
            sealed: Sealed {
                nonce: r.get(2)?,
                ciphertext: r.get(3)?,
            },
            active: r.get::<_, i64>(4)? != 0,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl Keyring {
    /// Unwrap every data key with `master`, creating the first one on a new database.
    /// A different master key than the one the data was sealed with is refused.
    pub fn load(conn: &mut Connection, master: &MasterKey) -> Result<Keyring, VaultError> {
        let rows = wrapped_rows(conn)?;
        let mut keys = HashMap::new();
        let mut active = None;
        for row in rows {
            if row.master_key_id != master.id() {
                return Err(VaultError::WrongMasterKey {
                    sealed_with: row.master_key_id,
                    given: master.id().to_string(),
                });
            }
            let plain = seal::open(
                master.expose(),
                wrap_binding(&row.id, master.id()),
                &row.sealed,
            )
            .map_err(|_| VaultError::DataKeyCorrupt(row.id.clone()))?;
            let bytes: [u8; KEY_LEN] = plain
                .as_slice()
                .try_into()
                .map_err(|_| VaultError::DataKeyCorrupt(row.id.clone()))?;
            if row.active {
                active = Some(row.id.clone());
            }
            keys.insert(row.id, SecretBox::new(Box::new(bytes)));
        }
        let active = match active {
            Some(id) => id,
            None => {
                let (id, key) = create_data_key(conn, master)?;
                keys.insert(id.clone(), key);
                id
            }
        };
        Ok(Keyring { active, keys })
    }

    /// Seal a secret with the active data key; returns the key id to store beside it.
    pub fn seal(
        &self,
        table: &str,
        row: &str,
        field: &str,
        plaintext: &[u8],
    ) -> Result<(String, Sealed), VaultError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or(VaultError::DataKeyCorrupt(self.active.clone()))?;
        let sealed = seal::seal(
            key.expose_secret(),
            Binding {
                table,
                row,
                field,
                key_id: &self.active,
            },
            plaintext,
        )?;
        Ok((self.active.clone(), sealed))
    }

    /// A key for one purpose (e.g. MACs on connect links), derived from the active data key so
    /// it lives exactly as long as the data it protects and is never stored.
    pub fn derive(&self, purpose: &str) -> Result<SecretBox<[u8; KEY_LEN]>, VaultError> {
        use hmac::{Hmac, Mac};
        let key = self
            .keys
            .get(&self.active)
            .ok_or(VaultError::DataKeyCorrupt(self.active.clone()))?;
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.expose_secret())
            .map_err(|_| VaultError::DataKeyCorrupt(self.active.clone()))?;
        mac.update(b"latchkey derive v1\0");
        mac.update(purpose.as_bytes());
        let out: [u8; KEY_LEN] = mac.finalize().into_bytes().into();
        Ok(SecretBox::new(Box::new(out)))
    }

    /// Open a secret sealed by [`Keyring::seal`] at the same place.
    pub fn open(
        &self,
        table: &str,
        row: &str,
        field: &str,
        key_id: &str,
        sealed: &Sealed,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
        let key = self.keys.get(key_id).ok_or(VaultError::SecretTampered)?;
        seal::open(
            key.expose_secret(),
            Binding {
                table,
                row,
                field,
                key_id,
            },
            sealed,
        )
    }
}

fn create_data_key(
    conn: &mut Connection,
    master: &MasterKey,
) -> Result<(String, SecretBox<[u8; KEY_LEN]>), VaultError> {
    let mut bytes = [0u8; KEY_LEN];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let id = new_id("dk");
    let wrapped = seal::seal(master.expose(), wrap_binding(&id, master.id()), &bytes)?;
    conn.execute(
        "INSERT INTO data_keys (id, master_key_id, nonce, wrapped, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        params![id, master.id(), wrapped.nonce, wrapped.ciphertext, now_ms()],
    )?;
    Ok((id, SecretBox::new(Box::new(bytes))))
}

/// Re-wrap every data key from `old` to `new` in one transaction. Running gateways keep
/// working (they hold the unwrapped data keys); restart them with the new key afterwards.
pub fn rotate_master_key(
    conn: &mut Connection,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<usize, VaultError> {
    let tx = conn.transaction()?;
    let rows = wrapped_rows(&tx)?;
    for row in &rows {
        if row.master_key_id != old.id() {
            return Err(VaultError::WrongMasterKey {
                sealed_with: row.master_key_id.clone(),
                given: old.id().to_string(),
            });
        }
        let plain = seal::open(old.expose(), wrap_binding(&row.id, old.id()), &row.sealed)
            .map_err(|_| VaultError::DataKeyCorrupt(row.id.clone()))?;
        let rewrapped = seal::seal(new.expose(), wrap_binding(&row.id, new.id()), &plain)?;
        tx.execute(
            "UPDATE data_keys SET master_key_id = ?2, nonce = ?3, wrapped = ?4 WHERE id = ?1",
            params![row.id, new.id(), rewrapped.nonce, rewrapped.ciphertext],
        )?;
    }
    tx.commit()?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().expect("open");
        migrations::apply(&mut conn).expect("migrate");
        conn
    }

    #[test]
    fn first_load_creates_a_key_and_later_loads_reuse_it() {
        let mut conn = db();
        let master = MasterKey::generate();
        let ring = Keyring::load(&mut conn, &master).expect("load");
        let (kid, sealed) = ring.seal("t", "r", "f", b"hello").expect("seal");
        let again = Keyring::load(&mut conn, &master).expect("reload");
        assert_eq!(
            again
                .open("t", "r", "f", &kid, &sealed)
                .expect("open")
                .as_slice(),
            b"hello"
        );
    }

    #[test]
    fn a_different_master_key_is_refused() {
        let mut conn = db();
        Keyring::load(&mut conn, &MasterKey::generate()).expect("load");
        let err = Keyring::load(&mut conn, &MasterKey::generate()).expect_err("wrong key");
        assert!(matches!(err, VaultError::WrongMasterKey { .. }), "{err}");
    }

    #[test]
    fn rotation_rewraps_and_the_old_key_stops_working() {
        let mut conn = db();
        let old = MasterKey::generate();
        let ring = Keyring::load(&mut conn, &old).expect("load");
        let (kid, sealed) = ring.seal("t", "r", "f", b"kept").expect("seal");
        let new = MasterKey::generate();
        assert_eq!(rotate_master_key(&mut conn, &old, &new).expect("rotate"), 1);
        assert!(Keyring::load(&mut conn, &old).is_err());
        let ring = Keyring::load(&mut conn, &new).expect("new key loads");
        assert_eq!(
            ring.open("t", "r", "f", &kid, &sealed)
                .expect("open")
                .as_slice(),
            b"kept"
        );
    }

    #[test]
    fn a_tampered_wrapped_key_is_detected() {
        let mut conn = db();
        let master = MasterKey::generate();
        Keyring::load(&mut conn, &master).expect("load");
        conn.execute("UPDATE data_keys SET wrapped = zeroblob(48)", [])
            .expect("tamper");
        assert!(matches!(
            Keyring::load(&mut conn, &master),
            Err(VaultError::DataKeyCorrupt(_))
        ));
    }
}
