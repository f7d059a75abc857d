//! The set of loaded plugins, swapped atomically: readers take a snapshot per call, so a call
//! in flight keeps the version it started with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::error::LoadError;
use super::limits::PluginLimits;
use super::{LoadedPlugin, PluginRuntime, ToolSpec};

/// Loaded plugins by connector id.
#[derive(Default)]
pub struct Registry {
    plugins: ArcSwap<BTreeMap<String, Arc<LoadedPlugin>>>,
}

/// The outcome of loading one file from the plugins folder.
#[derive(Debug)]
pub struct FolderLoad {
    pub path: PathBuf,
    pub result: Result<String, LoadError>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A consistent view of every plugin, for one request.
    pub fn snapshot(&self) -> Arc<BTreeMap<String, Arc<LoadedPlugin>>> {
        self.plugins.load_full()
    }

    /// The plugin for `connector_id`.
    pub fn get(&self, connector_id: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins.load().get(connector_id).cloned()
    }

    /// Resolve an agent-facing tool name `<connector>_<tool>` to its plugin and tool.
    pub fn resolve_tool(&self, qualified: &str) -> Option<(Arc<LoadedPlugin>, ToolSpec)> {
        let (connector, tool) = qualified.split_once('_')?;
        let plugin = self.get(connector)?;
        let spec = plugin.tool(tool)?.clone();
        Some((plugin, spec))
    }

    /// Add or replace a plugin.
    pub fn insert(&self, plugin: Arc<LoadedPlugin>) {
        self.plugins.rcu(|current| {
            let mut next = BTreeMap::clone(current);
            next.insert(plugin.manifest.id.clone(), plugin.clone());
            next
        });
    }

    /// Load every `*.wasm` in `dir` (sorted by name). A file that fails to load is reported and
    /// skipped; two files claiming the same connector id keep the first.
    pub async fn load_folder(
        &self,
        runtime: &PluginRuntime,
        dir: &Path,
        limits_for: impl Fn(&str) -> PluginLimits,
    ) -> std::io::Result<Vec<FolderLoad>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "wasm") && p.is_file())
            .collect();
        paths.sort();
        let mut report = Vec::with_capacity(paths.len());
        for path in paths {
            let result = match tokio::fs::read(&path).await {
                Err(source) => Err(LoadError::Io {
                    path: path.clone(),
                    source,
                }),
                Ok(bytes) => match runtime.load(bytes, Some(path.clone()), &limits_for).await {
                    Ok(plugin) if self.get(&plugin.manifest.id).is_some() => {
                        Err(LoadError::InvalidManifest(format!(
                            "connector id {:?} is already loaded from another file",
                            plugin.manifest.id
                        )))
                    }
                    Ok(plugin) => {
                        let id = plugin.manifest.id.clone();
                        self.insert(plugin);
                        Ok(id)
                    }
                    Err(e) => Err(e),
                },
            };
            match &result {
                Ok(id) => tracing::info!(path = %path.display(), connector = %id, "plugin loaded"),
                Err(e) => tracing::error!(path = %path.display(), error = %e, "plugin refused"),
            }
            report.push(FolderLoad { path, result });
        }
        Ok(report)
    }
}
