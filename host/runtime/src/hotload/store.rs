//! What must survive a restart: each connector's approved permissions and a copy of the
//! version that serves. With it a restart never activates a widening the operator has not
//! approved, and the approved version keeps serving while the folder holds a pending one.
//!
//! Layout under `<data_dir>/plugin-state/`: `approvals.json` and `<id>.wasm` (the active
//! version's bytes). Every write is a temp file + rename.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::permissions::Permissions;

/// One connector's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// SHA-256 of the approved module.
    pub hash: String,
    pub permissions: Permissions,
}

/// The state folder.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

/// Write `bytes` to `path` atomically: a temp file beside it, then a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", rand::random::<u32>()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl StateStore {
    /// Open (and create) the folder.
    pub fn open(dir: PathBuf) -> std::io::Result<StateStore> {
        std::fs::create_dir_all(&dir)?;
        Ok(StateStore { dir })
    }

    fn approvals_path(&self) -> PathBuf {
        self.dir.join("approvals.json")
    }

    /// The recorded approvals; an unreadable file counts as none (logged), so a corrupt
    /// state file can only make the gateway stricter about what it auto-activates.
    pub fn approvals(&self) -> BTreeMap<String, Approval> {
        match std::fs::read(self.approvals_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::error!(error = %e, "plugin approvals file is unreadable; ignoring it");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        }
    }

    /// Replace the recorded approvals.
    pub fn save_approvals(&self, approvals: &BTreeMap<String, Approval>) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(approvals).map_err(std::io::Error::other)?;
        write_atomically(&self.approvals_path(), &json)
    }

    /// The saved bytes of `id`'s serving version.
    pub fn active_bytes(&self, id: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join(format!("{id}.wasm"))).ok()
    }

    /// Save the bytes of `id`'s serving version.
    pub fn save_active(&self, id: &str, bytes: &[u8]) -> std::io::Result<()> {
        write_atomically(&self.dir.join(format!("{id}.wasm")), bytes)
    }

    /// Forget `id` entirely (it was unloaded).
    pub fn forget(&self, id: &str) {
        let _ = std::fs::remove_file(self.dir.join(format!("{id}.wasm")));
    }
}
