//! Packs and provider configs in SQL: `packs`, `provider_configs` (the client secret sealed).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteBackend;
use super::rows::{from_json, json};
use crate::catalog::{CatalogStore, Pack, ProviderConfig, SealedProvider};
use crate::clock::now_ms;
use crate::error::VaultError;
use crate::seal::SealedValue;

fn pack(r: &Row<'_>) -> rusqlite::Result<Result<Pack, VaultError>> {
    let (name, description, tools): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
    Ok(from_json(&tools).map(|tools| Pack {
        name,
        description,
        tools,
    }))
}

fn get_pack(conn: &Connection, name: &str) -> Result<Option<Pack>, VaultError> {
    conn.query_row(
        "SELECT name, description, tools FROM packs WHERE name = ?1",
        params![name],
        pack,
    )
    .optional()?
    .transpose()
}

const PROVIDER: &str = "SELECT connector_id, client_id, scopes, issuer, data_key_id, secret_nonce, secret_sealed, updated_at FROM provider_configs";

fn provider(r: &Row<'_>) -> rusqlite::Result<Result<SealedProvider, VaultError>> {
    let scopes: Option<String> = r.get(2)?;
    let sealed = match (
        r.get::<_, Option<String>>(4)?,
        r.get::<_, Option<Vec<u8>>>(5)?,
        r.get::<_, Option<Vec<u8>>>(6)?,
    ) {
        (Some(data_key_id), Some(nonce), Some(ciphertext)) => Some(SealedValue {
            data_key_id,
            nonce,
            ciphertext,
        }),
        _ => None,
    };
    let (connector_id, client_id, issuer, updated_at) =
        (r.get(0)?, r.get(1)?, r.get(3)?, r.get(7)?);
    Ok((|| {
        Ok(ProviderConfig {
            connector_id,
            client_id,
            client_secret: sealed,
            scopes: scopes.as_deref().map(from_json).transpose()?,
            issuer,
            updated_at,
        })
    })())
}

#[async_trait]
impl CatalogStore for SqliteBackend {
    async fn put_pack(&self, pack: &Pack) -> Result<(), VaultError> {
        let p = pack.clone();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO packs (name, description, tools, updated_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (name) DO UPDATE SET description = ?2, tools = ?3, updated_at = ?4",
                    params![p.name, p.description, json(&p.tools)?, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_pack(&self, name: &str) -> Result<Option<Pack>, VaultError> {
        let name = name.to_string();
        self.db.read(move |c| get_pack(c, &name)).await
    }

    async fn get_packs(&self, names: &[String]) -> Result<Vec<Pack>, VaultError> {
        let names = names.to_vec();
        self.db
            .read(move |c| {
                let mut out = Vec::new();
                for n in &names {
                    if let Some(p) = get_pack(c, n)? {
                        out.push(p);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn list_packs(&self) -> Result<Vec<Pack>, VaultError> {
        self.db
            .read(|c| {
                let mut stmt =
                    c.prepare("SELECT name, description, tools FROM packs ORDER BY name")?;
                super::rows::collect(stmt.query_map([], pack)?)
            })
            .await
    }

    async fn delete_pack(&self, name: &str) -> Result<bool, VaultError> {
        let name = name.to_string();
        self.db
            .write(move |c| Ok(c.execute("DELETE FROM packs WHERE name = ?1", params![name])? > 0))
            .await
    }

    async fn put_provider_sealed(&self, config: &SealedProvider) -> Result<(), VaultError> {
        let p = config.clone();
        self.db
            .write(move |c| {
                let scopes = p.scopes.as_ref().map(json).transpose()?;
                let (key_id, nonce, ciphertext) = match &p.client_secret {
                    Some(s) => (Some(&s.data_key_id), Some(&s.nonce), Some(&s.ciphertext)),
                    None => (None, None, None),
                };
                c.execute(
                    "INSERT INTO provider_configs (connector_id, client_id, scopes, issuer, data_key_id, secret_nonce, secret_sealed, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (connector_id) DO UPDATE SET client_id = ?2, scopes = ?3, \
                     issuer = ?4, data_key_id = ?5, secret_nonce = ?6, secret_sealed = ?7, updated_at = ?8",
                    params![p.connector_id, p.client_id, scopes, p.issuer, key_id, nonce, ciphertext, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_provider_sealed(
        &self,
        connector_id: &str,
    ) -> Result<Option<SealedProvider>, VaultError> {
        let id = connector_id.to_string();
        self.db
            .read(move |c| {
                c.query_row(
                    &format!("{PROVIDER} WHERE connector_id = ?1"),
                    params![id],
                    provider,
                )
                .optional()?
                .transpose()
            })
            .await
    }

    async fn list_providers_sealed(&self) -> Result<Vec<SealedProvider>, VaultError> {
        self.db
            .read(|c| {
                let mut stmt = c.prepare(&format!("{PROVIDER} ORDER BY connector_id"))?;
                super::rows::collect(stmt.query_map([], provider)?)
            })
            .await
    }

    async fn delete_provider(&self, connector_id: &str) -> Result<bool, VaultError> {
        let id = connector_id.to_string();
        self.db
            .write(move |c| {
                Ok(c.execute(
                    "DELETE FROM provider_configs WHERE connector_id = ?1",
                    params![id],
                )? > 0)
            })
            .await
    }
}
