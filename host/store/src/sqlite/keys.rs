//! Wrapped data keys in SQL: `data_keys`.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteBackend;
use crate::error::VaultError;
use crate::keyring::{DataKeyStore, WrappedKey};
use crate::seal::Sealed;

#[async_trait]
impl DataKeyStore for SqliteBackend {
    async fn data_keys(&self) -> Result<Vec<WrappedKey>, VaultError> {
        self.db
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT id, master_key_id, nonce, wrapped, active, created_at FROM data_keys ORDER BY created_at",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(WrappedKey {
                        id: r.get(0)?,
                        master_key_id: r.get(1)?,
                        wrapped: Sealed {
                            nonce: r.get(2)?,
                            ciphertext: r.get(3)?,
                        },
                        active: r.get::<_, i64>(4)? != 0,
                        created_at: r.get(5)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn add_first_data_key(&self, key: &WrappedKey) -> Result<bool, VaultError> {
        let k = key.clone();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let active: i64 = tx.query_row(
                    "SELECT count(*) FROM data_keys WHERE active = 1",
                    [],
                    |r| r.get(0),
                )?;
                if active > 0 {
                    return Ok(false);
                }
                tx.execute(
                    "INSERT INTO data_keys (id, master_key_id, nonce, wrapped, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
                    params![k.id, k.master_key_id, k.wrapped.nonce, k.wrapped.ciphertext, k.created_at],
                )?;
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn rewrap_data_keys(
        &self,
        from_master_id: &str,
        keys: &[WrappedKey],
    ) -> Result<usize, VaultError> {
        let (from, keys) = (from_master_id.to_string(), keys.to_vec());
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                for k in &keys {
                    let n = tx.execute(
                        "UPDATE data_keys SET master_key_id = ?2, nonce = ?3, wrapped = ?4 WHERE id = ?1 AND master_key_id = ?5",
                        params![k.id, k.master_key_id, k.wrapped.nonce, k.wrapped.ciphertext, from],
                    )?;
                    if n == 0 {
                        return Err(VaultError::Conflict(format!(
                            "data key {} is no longer wrapped by {from}",
                            k.id
                        )));
                    }
                }
                tx.commit()?;
                Ok(keys.len())
            })
            .await
    }
}
