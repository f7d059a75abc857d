//! The SQLite backend: the embedded default, and the only module that knows SQLite. The
//! engine (one writer thread, a read pool, WAL, `synchronous=FULL`) is `engine`, the schema
//! `migrations`; each other file implements one aggregate's trait in SQL.

mod alerts;
mod audit;
mod catalog;
mod connections;
mod engine;
mod error;
mod flows;
mod jobs;
mod keys;
mod leases;
mod migrations;
mod plugins;
mod principals;
mod rows;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::Db;

use crate::backend::Backend;
use crate::error::VaultError;

/// How to run the SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Largest size the database may grow to, in bytes (0: no cap). Past it, writes are
    /// refused as on a full disk (`Full`) and nothing stored is lost.
    pub max_size_bytes: u64,
    /// Where serving copies of plugins are kept: files beside the database rather than rows,
    /// so large modules never count against `max_size_bytes` (which is for credentials).
    pub plugin_dir: PathBuf,
}

/// A vault database in one SQLite file.
pub struct SqliteBackend {
    db: Db,
    plugin_dir: PathBuf,
}

impl SqliteBackend {
    /// Open (or create) the database at `path`, bring its schema up to date, and apply the
    /// size cap. A file that is not a database is refused and left untouched.
    pub async fn open(path: &Path, options: SqliteOptions) -> Result<SqliteBackend, VaultError> {
        let db = Db::open(path)?;
        if options.max_size_bytes > 0 {
            let pages = db.cap_size(options.max_size_bytes).await?;
            tracing::info!(
                max_size_bytes = options.max_size_bytes,
                max_pages = pages,
                "database size capped"
            );
        }
        let backend = SqliteBackend {
            db,
            plugin_dir: options.plugin_dir,
        };
        plugins::import_legacy_approvals(&backend).await?;
        Ok(backend)
    }

    /// [`SqliteBackend::open`], as the `Arc<dyn Backend>` the vault takes.
    pub async fn open_shared(
        path: &Path,
        options: SqliteOptions,
    ) -> Result<Arc<dyn Backend>, VaultError> {
        Ok(Arc::new(Self::open(path, options).await?))
    }
}

impl Backend for SqliteBackend {
    fn describe(&self) -> String {
        format!("sqlite:{}", self.db.path().display())
    }
}
