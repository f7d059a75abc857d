//! The one place plugins are loaded, swapped, approved, rolled back and unloaded. Every
//! change takes the same async lock for its whole duration (compilation included), so two
//! reloads can never interleave; readers never take it — calls read the registry, the admin
//! API reads a published view.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use latchkey_store::VaultError;
use latchkey_store::files::write_atomically;
use latchkey_store::plugins::PluginStore;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::permissions::Permissions;
use super::status::{EntryView, FileError, Overview, VersionView, Via};
use super::store::Approval;
use crate::{
    LoadError, LoadOptions, LoadedPlugin, PluginLimits, PluginMetrics, PluginRuntime, Registry,
};

/// Limits for a connector id, from the configuration.
pub type LimitsFor = Arc<dyn Fn(&str) -> PluginLimits + Send + Sync>;

/// Why an operator request was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("the plugin was rejected: {0}")]
    Rejected(#[from] LoadError),
    #[error("no connector {0:?} is known")]
    NotFound(String),
    #[error("connector {0:?} has no update waiting for approval")]
    NothingPending(String),
    #[error("connector {0:?} has no previous version to roll back to")]
    NoPrevious(String),
    #[error("connector id {id:?} is already loaded from {other}")]
    Conflict { id: String, other: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an offered version led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Now serving.
    Activated { id: String, version: String },
    /// The same module already serves.
    Unchanged { id: String },
    /// Asks for more than was approved; the current version keeps serving.
    Pending { id: String, widening: Vec<String> },
}

#[derive(Clone)]
struct Version {
    plugin: Arc<LoadedPlugin>,
    bytes: Arc<Vec<u8>>,
    loaded_at: u64,
    via: Via,
}

impl Version {
    fn hash(&self) -> &str {
        &self.plugin.hash
    }
    fn id(&self) -> &str {
        &self.plugin.manifest.id
    }
}

struct Pending {
    version: Version,
    widening: Vec<String>,
}

#[derive(Default)]
struct Entry {
    active: Option<Version>,
    previous: Option<Version>,
    pending: Option<Pending>,
    /// The folder file that mirrors this connector's serving version.
    file: Option<PathBuf>,
    last_error: Option<(String, u64)>,
    /// Replaced versions whose calls may still be running.
    retired: Vec<Arc<LoadedPlugin>>,
}

/// What the folder watcher last processed for one file.
struct FileSeen {
    hash: String,
    connector: Option<String>,
    error: Option<String>,
}

#[derive(Default)]
struct State {
    entries: BTreeMap<String, Entry>,
    files: BTreeMap<PathBuf, FileSeen>,
    approvals: BTreeMap<String, Approval>,
}

/// Loads, swaps and unloads plugins; owns the registry's contents.
pub struct PluginManager {
    runtime: Arc<PluginRuntime>,
    registry: Arc<Registry>,
    limits_for: LimitsFor,
    plugins_dir: PathBuf,
    store: Option<Arc<dyn PluginStore>>,
    metrics: std::sync::Mutex<BTreeMap<String, Arc<PluginMetrics>>>,
    state: Mutex<State>,
    view: ArcSwap<Overview>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl PluginManager {
    /// A manager for `plugins_dir`; `store` (if any) keeps approvals and serving copies across
    /// restarts (and, on a shared backend, across gateways).
    pub async fn new(
        runtime: Arc<PluginRuntime>,
        registry: Arc<Registry>,
        limits_for: LimitsFor,
        plugins_dir: PathBuf,
        store: Option<Arc<dyn PluginStore>>,
    ) -> Result<PluginManager, VaultError> {
        let mut approvals = BTreeMap::new();
        if let Some(store) = &store {
            for stored in store.approvals().await? {
                if let Some(a) = Approval::from_stored(&stored) {
                    approvals.insert(stored.connector_id, a);
                }
            }
        }
        Ok(PluginManager {
            runtime,
            registry,
            limits_for,
            plugins_dir,
            store,
            metrics: std::sync::Mutex::new(BTreeMap::new()),
            state: Mutex::new(State {
                approvals,
                ..State::default()
            }),
            view: ArcSwap::from_pointee(Overview::default()),
        })
    }

    /// The folder this manager mirrors.
    pub fn plugins_dir(&self) -> &Path {
        &self.plugins_dir
    }

    /// The published view of every connector (no lock taken).
    pub fn overview(&self) -> Arc<Overview> {
        self.view.load_full()
    }

    fn metrics_for(&self, id: &str) -> Arc<PluginMetrics> {
        let mut map = match self.metrics.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(id.to_string()).or_default().clone()
    }

    async fn compile(&self, bytes: Vec<u8>, source: Option<PathBuf>) -> Result<Version, LoadError> {
        let bytes = Arc::new(bytes);
        let limits = self.limits_for.clone();
        let limits_for = move |id: &str| limits(id);
        let metrics_for = |id: &str| self.metrics_for(id);
        let plugin = self
            .runtime
            .load_with(
                Vec::clone(&bytes),
                LoadOptions {
                    source,
                    limits_for: &limits_for,
                    metrics_for: &metrics_for,
                },
            )
            .await?;
        Ok(Version {
            plugin,
            bytes,
            loaded_at: now(),
            via: Via::Folder,
        })
    }

    // ---- operations (each holds the lock throughout) ----

    /// Load the whole folder at start-up: approved versions serve, widened ones wait.
    pub async fn load_folder(&self) -> std::io::Result<(usize, usize)> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.plugins_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_plugin_file(p))
            .collect();
        paths.sort();
        let (mut ok, mut refused) = (0, 0);
        for path in paths {
            match self.file_changed(&path).await {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
        }
        // Approvals of connectors whose files are gone are forgotten.
        let mut state = self.state.lock().await;
        let gone: Vec<String> = state
            .approvals
            .keys()
            .filter(|id| !state.entries.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            state.approvals.remove(&id);
            if let Some(store) = &self.store
                && let Err(e) = store.remove_approval(&id).await
            {
                tracing::error!(connector = %id, error = %e, "cannot forget a plugin approval");
            }
        }
        self.publish(&mut state);
        Ok((ok, refused))
    }

    /// A file in the folder is new or changed (and stable): load it and offer it. The file is
    /// read under the lock, so what is processed is what is on disk after any operation that
    /// ran before (an upload's mirror write, say), never a stale copy.
    pub async fn file_changed(&self, path: &Path) -> Result<Applied, ManageError> {
        let mut state = self.state.lock().await;
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(source) => {
                tracing::error!(path = %path.display(), error = %source, "cannot read plugin file");
                return Err(ManageError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let hash = sha256(&bytes);
        if state.files.get(path).is_some_and(|f| f.hash == hash) {
            let id = state.files[path].connector.clone().unwrap_or_default();
            return Ok(Applied::Unchanged { id });
        }
        let previous_owner = state.files.get(path).and_then(|f| f.connector.clone());
        // Provisional record: activating this very file must not rewrite it.
        state.files.insert(
            path.to_path_buf(),
            FileSeen {
                hash: hash.clone(),
                connector: previous_owner.clone(),
                error: None,
            },
        );
        let result = match self.compile(bytes, Some(path.to_path_buf())).await {
            Ok(version) => self.offer(&mut state, version, Some(path)).await,
            Err(e) => Err(ManageError::Rejected(e)),
        };
        let connector = match &result {
            Ok(
                Applied::Activated { id, .. }
                | Applied::Unchanged { id }
                | Applied::Pending { id, .. },
            ) => Some(id.clone()),
            Err(_) => previous_owner,
        };
        let error = result.as_ref().err().map(ToString::to_string);
        if let (Some(e), Some(id)) = (&error, &connector)
            && let Some(entry) = state.entries.get_mut(id)
        {
            entry.last_error = Some((format!("{}: {e}", path.display()), now()));
        }
        match &result {
            Ok(applied) => {
                tracing::info!(path = %path.display(), ?applied, "plugin file processed")
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "plugin refused; the previous version (if any) keeps serving")
            }
        }
        state.files.insert(
            path.to_path_buf(),
            FileSeen {
                hash,
                connector,
                error,
            },
        );
        self.publish(&mut state);
        result
    }

    /// A file left the folder: its connector unloads (running calls finish first).
    pub async fn file_removed(&self, path: &Path) {
        let mut state = self.state.lock().await;
        let Some(seen) = state.files.remove(path) else {
            return;
        };
        if let Some(id) = seen.connector
            && state.entries.get(&id).and_then(|e| e.file.as_deref()) == Some(path)
        {
            tracing::info!(path = %path.display(), connector = %id, "plugin file removed; unloading");
            self.unload_locked(&mut state, &id).await;
        }
        self.publish(&mut state);
    }

    /// An operator upload: validated like a folder file, then mirrored into the folder.
    pub async fn upload(&self, bytes: Vec<u8>) -> Result<Applied, ManageError> {
        let mut state = self.state.lock().await;
        let mut version = self.compile(bytes, None).await?;
        version.via = Via::Upload;
        let result = self.offer(&mut state, version, None).await;
        self.publish(&mut state);
        result
    }

    /// Activate `id`'s pending update.
    pub async fn approve(&self, id: &str) -> Result<Applied, ManageError> {
        let mut state = self.state.lock().await;
        let entry = state
            .entries
            .get_mut(id)
            .ok_or_else(|| ManageError::NotFound(id.into()))?;
        let pending = entry
            .pending
            .take()
            .ok_or_else(|| ManageError::NothingPending(id.into()))?;
        let mut version = pending.version;
        version.via = Via::Approval;
        let result = self.activate(&mut state, version).await;
        self.publish(&mut state);
        result
    }

    /// Drop `id`'s pending update; the folder file goes back to the serving version.
    pub async fn reject(&self, id: &str) -> Result<(), ManageError> {
        let mut state = self.state.lock().await;
        let entry = state
            .entries
            .get_mut(id)
            .ok_or_else(|| ManageError::NotFound(id.into()))?;
        entry
            .pending
            .take()
            .ok_or_else(|| ManageError::NothingPending(id.into()))?;
        if let Some(active) = entry.active.clone() {
            self.mirror(&mut state, &active)?;
        }
        self.publish(&mut state);
        Ok(())
    }

    /// Serve `id`'s previous version again (the current one becomes the previous).
    pub async fn rollback(&self, id: &str) -> Result<Applied, ManageError> {
        let mut state = self.state.lock().await;
        let entry = state
            .entries
            .get_mut(id)
            .ok_or_else(|| ManageError::NotFound(id.into()))?;
        let mut previous = entry
            .previous
            .clone()
            .ok_or_else(|| ManageError::NoPrevious(id.into()))?;
        previous.via = Via::Rollback;
        previous.loaded_at = now();
        let result = self.activate(&mut state, previous).await;
        self.publish(&mut state);
        result
    }

    /// Stop serving `id`. Its folder file is renamed to `<file>.unloaded` so a restart agrees.
    pub async fn unload(&self, id: &str) -> Result<(), ManageError> {
        let mut state = self.state.lock().await;
        let file = match state.entries.get(id) {
            Some(e) if e.active.is_some() || e.pending.is_some() => e.file.clone(),
            _ => return Err(ManageError::NotFound(id.into())),
        };
        if let Some(path) = file {
            let parked = PathBuf::from(format!("{}.unloaded", path.display()));
            if path.exists() {
                std::fs::rename(&path, &parked).map_err(|source| ManageError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
            state.files.remove(&path);
        }
        self.unload_locked(&mut state, id).await;
        self.publish(&mut state);
        Ok(())
    }

    // ---- under the lock ----

    async fn unload_locked(&self, state: &mut State, id: &str) {
        self.registry.remove(id);
        if let Some(entry) = state.entries.get_mut(id) {
            if let Some(active) = entry.active.take() {
                entry.retired.push(active.plugin);
            }
            entry.pending = None;
            entry.previous = None;
            entry.file = None;
        }
        state.approvals.remove(id);
        if let Some(store) = &self.store
            && let Err(e) = store.forget(id).await
        {
            tracing::error!(connector = %id, error = %e, "cannot forget an unloaded plugin's approval");
        }
    }

    /// Decide what a freshly validated version does: serve, wait for approval, or nothing.
    async fn offer(
        &self,
        state: &mut State,
        version: Version,
        from_file: Option<&Path>,
    ) -> Result<Applied, ManageError> {
        let id = version.id().to_string();
        let entry = state.entries.entry(id.clone()).or_default();
        if let (Some(path), Some(owner)) = (from_file, entry.file.as_deref())
            && path != owner
            && owner.exists()
        {
            return Err(ManageError::Conflict {
                id,
                other: owner.display().to_string(),
            });
        }
        if let Some(path) = from_file {
            entry.file = Some(path.to_path_buf());
        }
        if entry
            .active
            .as_ref()
            .is_some_and(|a| a.hash() == version.hash())
        {
            entry.pending = None;
            return Ok(Applied::Unchanged { id });
        }
        let wanted = Permissions::of(&version.plugin.manifest);
        let widening = match state.approvals.get(&id) {
            Some(approval) => wanted.widening_over(&approval.permissions),
            None => Vec::new(),
        };
        if !widening.is_empty() {
            // At start-up nothing serves yet: the last approved copy does, if kept.
            if entry.active.is_none()
                && let Some(bytes) = self.saved_copy(&id).await
            {
                self.restore(state, &id, bytes, from_file).await;
            }
            let entry = state.entries.entry(id.clone()).or_default();
            tracing::warn!(connector = %id, ?widening, "plugin update widens permissions; waiting for approval");
            entry.pending = Some(Pending {
                version,
                widening: widening.clone(),
            });
            return Ok(Applied::Pending { id, widening });
        }
        self.activate(state, version).await
    }

    /// The saved copy of `id`'s approved version, if one is kept (a store failure is logged and
    /// counts as none: the pending version then simply waits with nothing serving).
    async fn saved_copy(&self, id: &str) -> Option<Vec<u8>> {
        match self.store.as_ref()?.copy(id).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(connector = %id, error = %e, "cannot read the saved approved copy");
                None
            }
        }
    }

    /// Restore the last approved copy of `id` (start-up only, when the folder holds a
    /// widened version); almost always a cache hit.
    async fn restore(&self, state: &mut State, id: &str, bytes: Vec<u8>, file: Option<&Path>) {
        match self.compile(bytes, None).await {
            Ok(mut v) if v.id() == id => {
                v.via = Via::Restore;
                let entry = state.entries.entry(id.to_string()).or_default();
                entry.file = file.map(Path::to_path_buf);
                self.registry.insert(v.plugin.clone());
                entry.active = Some(v);
            }
            Ok(_) => {
                tracing::error!(connector = %id, "the saved copy is another connector; not restored")
            }
            Err(e) => {
                tracing::error!(connector = %id, error = %e, "the saved approved copy does not load")
            }
        }
    }

    /// Make `version` the serving one: swap it into the registry, remember the old one for
    /// rollback, record the approval, mirror the bytes to the folder and the state store.
    async fn activate(&self, state: &mut State, version: Version) -> Result<Applied, ManageError> {
        let id = version.id().to_string();
        self.mirror(state, &version)?;
        self.registry.insert(version.plugin.clone());
        let entry = state.entries.entry(id.clone()).or_default();
        if let Some(old) = entry.active.replace(version.clone()) {
            entry.retired.push(old.plugin.clone());
            entry.previous = Some(old);
        }
        entry.pending = None;
        entry.last_error = None;
        let approval = Approval {
            hash: version.hash().to_string(),
            permissions: Permissions::of(&version.plugin.manifest),
        };
        if let Some(store) = &self.store {
            match approval.to_stored(&id) {
                Ok(stored) => {
                    if let Err(e) = store.put_approval(&stored).await {
                        tracing::error!(connector = %id, error = %e, "cannot save the plugin approval");
                    }
                }
                Err(e) => {
                    tracing::error!(connector = %id, error = %e, "cannot save the plugin approval")
                }
            }
            if let Err(e) = store.save_copy(&id, &version.bytes).await {
                tracing::error!(connector = %id, error = %e, "cannot save the approved copy");
            }
        }
        state.approvals.insert(id.clone(), approval);
        tracing::info!(connector = %id, version = %version.plugin.manifest.version, hash = %version.hash(), via = ?version.via, "plugin now serving");
        Ok(Applied::Activated {
            id,
            version: version.plugin.manifest.version.clone(),
        })
    }

    /// Make the folder file of `version`'s connector hold its bytes (so a restart serves the
    /// same thing), unless it already does.
    fn mirror(&self, state: &mut State, version: &Version) -> Result<(), ManageError> {
        let id = version.id().to_string();
        let path = match state.entries.get(&id).and_then(|e| e.file.clone()) {
            Some(p) => p,
            None => {
                let candidate = self.plugins_dir.join(format!("{id}.wasm"));
                let taken = state
                    .files
                    .get(&candidate)
                    .is_some_and(|f| f.connector.as_deref() != Some(&id));
                if taken {
                    self.plugins_dir
                        .join(format!("{id}-{}.wasm", &version.hash()[..12]))
                } else {
                    candidate
                }
            }
        };
        if state
            .files
            .get(&path)
            .is_some_and(|f| f.hash == version.hash())
        {
            return Ok(());
        }
        write_atomically(&path, &version.bytes).map_err(|source| ManageError::Io {
            path: path.clone(),
            source,
        })?;
        state.files.insert(
            path.clone(),
            FileSeen {
                hash: version.hash().to_string(),
                connector: Some(id.clone()),
                error: None,
            },
        );
        if let Some(entry) = state.entries.get_mut(&id) {
            entry.file = Some(path);
        }
        Ok(())
    }

    /// Publish the admin view, and forget connectors with nothing left (no version, no
    /// pending update, no running call).
    fn publish(&self, state: &mut State) {
        state.entries.retain(|_, e| {
            e.retired.retain(|p| p.in_flight() > 0);
            e.active.is_some() || e.pending.is_some() || !e.retired.is_empty()
        });
        let view = |v: &Version| VersionView::new(&v.plugin, v.loaded_at, v.via);
        let entries = state
            .entries
            .iter()
            .map(|(id, e)| EntryView {
                id: id.clone(),
                active: e.active.as_ref().map(view),
                previous: e.previous.as_ref().map(view),
                pending: e
                    .pending
                    .as_ref()
                    .map(|p| (view(&p.version), p.widening.clone())),
                file: e.file.clone(),
                last_error: e.last_error.clone(),
                retired: e.retired.clone(),
                metrics: self.metrics_for(id),
            })
            .collect();
        let rejected_files = state
            .files
            .iter()
            .filter_map(|(path, f)| {
                let error = f.error.clone()?;
                let owned = f
                    .connector
                    .as_ref()
                    .is_some_and(|id| state.entries.contains_key(id));
                (!owned).then(|| FileError {
                    file: path.clone(),
                    error,
                })
            })
            .collect();
        self.view.store(Arc::new(Overview {
            entries,
            rejected_files,
        }));
    }
}

/// Whether the watcher and loader consider `path`: `*.wasm`, not hidden (temp files are).
pub fn is_plugin_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
        && path
            .file_name()
            .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        && path.is_file()
}
