//! What the admin API shows about each connector: the serving, previous and pending
//! versions, the last error, calls still draining on replaced versions, and metrics.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use super::permissions::Permissions;
use crate::{LoadedPlugin, PluginMetrics};

/// How a version came to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A file in the plugins folder.
    Folder,
    /// `POST /v1/admin/plugins`.
    Upload,
    /// An operator approved it.
    Approval,
    /// An operator rolled back to it.
    Rollback,
    /// The last approved copy, restored at start-up.
    Restore,
}

/// One version of a connector, as shown to operators.
#[derive(Clone)]
pub struct VersionView {
    plugin: Arc<LoadedPlugin>,
    loaded_at: u64,
    via: Via,
}

impl VersionView {
    /// A view of `plugin`, loaded at `loaded_at` (Unix seconds) via `via`.
    pub fn new(plugin: &Arc<LoadedPlugin>, loaded_at: u64, via: Via) -> Self {
        VersionView {
            plugin: plugin.clone(),
            loaded_at,
            via,
        }
    }

    /// The JSON shown by the admin API.
    pub fn json(&self) -> Value {
        let p = &self.plugin;
        let perms = Permissions::of(&p.manifest);
        json!({
            "version": p.manifest.version,
            "hash": p.hash,
            "tools": p.manifest.tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            "allowed_hosts": p.manifest.allowed_hosts,
            "scopes": perms.scopes,
            "auth": perms.auth,
            "source": p.source.as_ref().map(|s| s.display().to_string()),
            "code": p.code_origin,
            "loaded_at": self.loaded_at,
            "via": self.via,
            "in_flight": p.in_flight(),
        })
    }
}

/// One connector's state, as of the last change.
#[derive(Clone)]
pub struct EntryView {
    pub id: String,
    pub active: Option<VersionView>,
    pub previous: Option<VersionView>,
    /// The version waiting for approval and what it adds.
    pub pending: Option<(VersionView, Vec<String>)>,
    pub file: Option<PathBuf>,
    /// The last refusal for this connector and when (Unix seconds).
    pub last_error: Option<(String, u64)>,
    /// Replaced versions that had calls running at the last change.
    pub retired: Vec<Arc<LoadedPlugin>>,
    pub metrics: Arc<PluginMetrics>,
}

impl EntryView {
    /// `active`, `pending_approval`, `draining` (unloaded, calls still running) or `unloaded`.
    pub fn state(&self) -> &'static str {
        match (&self.active, &self.pending) {
            (_, Some(_)) => "pending_approval",
            (Some(_), None) => "active",
            (None, None) if self.draining() > 0 => "draining",
            (None, None) => "unloaded",
        }
    }

    /// Calls still running on replaced versions, read now.
    pub fn draining(&self) -> usize {
        self.retired.iter().map(|p| p.in_flight()).sum()
    }

    /// The JSON shown by the admin API.
    pub fn json(&self) -> Value {
        let active = self.active.as_ref().map(VersionView::json);
        json!({
            "id": self.id,
            "state": self.state(),
            "version": active.as_ref().map(|a| a["version"].clone()),
            "hash": active.as_ref().map(|a| a["hash"].clone()),
            "tools": active.as_ref().map(|a| a["tools"].clone()),
            "allowed_hosts": active.as_ref().map(|a| a["allowed_hosts"].clone()),
            "active": active,
            "previous": self.previous.as_ref().map(VersionView::json),
            "pending": self.pending.as_ref().map(|(v, widening)| {
                json!({ "version": v.json(), "widening": widening })
            }),
            "file": self.file.as_ref().map(|f| f.display().to_string()),
            "last_error": self.last_error.as_ref().map(|(message, at)| json!({"message": message, "at": at})),
            "draining_calls": self.draining(),
            "metrics": self.metrics.snapshot(),
        })
    }
}

/// A folder file that could not be loaded and belongs to no known connector.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    pub file: PathBuf,
    pub error: String,
}

/// Everything the admin API shows about plugins.
#[derive(Clone, Default)]
pub struct Overview {
    pub entries: Vec<EntryView>,
    pub rejected_files: Vec<FileError>,
}

impl Overview {
    /// The connector `id`, if known.
    pub fn get(&self, id: &str) -> Option<&EntryView> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The JSON of `GET /v1/admin/plugins`.
    pub fn json(&self) -> Value {
        json!({
            "plugins": self.entries.iter().map(EntryView::json).collect::<Vec<_>>(),
            "rejected_files": self.rejected_files,
        })
    }
}
