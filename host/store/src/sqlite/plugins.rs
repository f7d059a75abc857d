//! Hot-load state for SQLite: approvals in `plugin_approvals`, serving copies as files in the
//! plugin folder (`<connector>.wasm`, written atomically), where earlier versions kept them
//! too. Copies stay out of the database so its size cap keeps meaning credentials.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteBackend;
use crate::clock::now_ms;
use crate::error::VaultError;
use crate::files::write_atomically;
use crate::plugins::{PluginApproval, PluginStore};

/// The approvals file earlier versions kept in the plugin folder.
const LEGACY_APPROVALS: &str = "approvals.json";

fn io_error(path: &Path, e: std::io::Error) -> VaultError {
    match e.raw_os_error() {
        // ENOSPC, EDQUOT: no room, exactly as a full database.
        Some(28) | Some(122) => VaultError::Full(format!("{}: {e}", path.display())),
        _ => VaultError::Unavailable(format!("{}: {e}", path.display())),
    }
}

impl SqliteBackend {
    /// The copy file of a connector; ids are `[a-z][a-z0-9-]*`, anything else is refused so
    /// no name can leave the folder.
    fn copy_path(&self, connector_id: &str) -> Result<PathBuf, VaultError> {
        let valid = connector_id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
            && connector_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(VaultError::Malformed(format!(
                "connector id {connector_id:?}"
            )));
        }
        Ok(self.plugin_dir.join(format!("{connector_id}.wasm")))
    }
}

/// Approvals an earlier version kept in `approvals.json` are moved into the database, once
/// (the file is renamed `approvals.json.imported`), so an upgrade keeps them.
pub(super) async fn import_legacy_approvals(backend: &SqliteBackend) -> Result<(), VaultError> {
    let path = backend.plugin_dir.join(LEGACY_APPROVALS);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let parsed: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(&bytes) {
        Ok(p) => p,
        Err(e) => {
            // As before: an unreadable file counts as no approvals (only ever stricter).
            tracing::error!(path = %path.display(), error = %e, "plugin approvals file is unreadable; ignoring it");
            return Ok(());
        }
    };
    let mut approvals = Vec::new();
    for (id, entry) in parsed {
        let (Some(hash), Some(permissions)) = (entry["hash"].as_str(), entry.get("permissions"))
        else {
            continue;
        };
        approvals.push(PluginApproval {
            connector_id: id,
            module_hash: hash.to_string(),
            permissions: permissions.to_string(),
        });
    }
    let count = approvals.len();
    backend
        .db
        .write(move |c| {
            let tx = c.transaction()?;
            let known: i64 = tx.query_row("SELECT count(*) FROM plugin_approvals", [], |r| r.get(0))?;
            if known == 0 {
                for a in &approvals {
                    tx.execute(
                        "INSERT INTO plugin_approvals (connector_id, module_hash, permissions, approved_at) VALUES (?1, ?2, ?3, ?4)",
                        params![a.connector_id, a.module_hash, a.permissions, now_ms()],
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    let imported = backend
        .plugin_dir
        .join(format!("{LEGACY_APPROVALS}.imported"));
    std::fs::rename(&path, &imported).map_err(|e| io_error(&path, e))?;
    tracing::info!(
        count,
        "plugin approvals moved from approvals.json into the database"
    );
    Ok(())
}

#[async_trait]
impl PluginStore for SqliteBackend {
    async fn approvals(&self) -> Result<Vec<PluginApproval>, VaultError> {
        self.db
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT connector_id, module_hash, permissions FROM plugin_approvals ORDER BY connector_id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(PluginApproval {
                        connector_id: r.get(0)?,
                        module_hash: r.get(1)?,
                        permissions: r.get(2)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn put_approval(&self, approval: &PluginApproval) -> Result<(), VaultError> {
        let a = approval.clone();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO plugin_approvals (connector_id, module_hash, permissions, approved_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (connector_id) DO UPDATE SET module_hash = ?2, permissions = ?3, approved_at = ?4",
                    params![a.connector_id, a.module_hash, a.permissions, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn remove_approval(&self, connector_id: &str) -> Result<(), VaultError> {
        let id = connector_id.to_string();
        self.db
            .write(move |c| {
                c.execute(
                    "DELETE FROM plugin_approvals WHERE connector_id = ?1",
                    params![id],
                )?;
                Ok(())
            })
            .await
    }

    async fn save_copy(&self, connector_id: &str, bytes: &[u8]) -> Result<(), VaultError> {
        let path = self.copy_path(connector_id)?;
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)
                .and_then(|()| write_atomically(&path, &bytes))
                .map_err(|e| io_error(&path, e))
        })
        .await
        .map_err(|_| VaultError::Backend("a plugin copy write panicked".into()))?
    }

    async fn copy(&self, connector_id: &str) -> Result<Option<Vec<u8>>, VaultError> {
        let path = self.copy_path(connector_id)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    async fn forget(&self, connector_id: &str) -> Result<(), VaultError> {
        self.remove_approval(connector_id).await?;
        let path = self.copy_path(connector_id)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path, e)),
        }
    }
}
