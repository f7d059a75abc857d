//! The set of loaded plugins, swapped atomically: readers take a snapshot per call, so a call
//! in flight keeps the version it started with. Only `hotload::PluginManager` changes it.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::{LoadedPlugin, ToolSpec};

/// Loaded plugins by connector id.
#[derive(Default)]
pub struct Registry {
    plugins: ArcSwap<BTreeMap<String, Arc<LoadedPlugin>>>,
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

    /// Remove a plugin; calls already running keep their own reference and finish.
    pub fn remove(&self, connector_id: &str) -> Option<Arc<LoadedPlugin>> {
        let mut removed = None;
        self.plugins.rcu(|current| {
            let mut next = BTreeMap::clone(current);
            removed = next.remove(connector_id);
            next
        });
        removed
    }
}
