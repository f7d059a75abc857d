//! Watching the plugins folder by polling.
//!
//! Polling rather than inotify (`notify`): a plugins folder holds tens of files, so a stat of
//! each once a second costs nothing; polling works the same on bind mounts, network file
//! systems and Kubernetes ConfigMap volumes (which swap a symlink and confuse inotify), needs
//! no extra dependency, and gives the debounce for free: a file is loaded only once its size
//! and modification time are the same on two polls in a row, so a half-written file is never
//! compiled. Deploy by writing a temp file (a name starting with `.`, or not ending in
//! `.wasm`) and renaming it over the target: the rename is atomic and the watcher only ever
//! sees whole files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::manager::{PluginManager, is_plugin_file};

/// What identifies a file's content cheaply: size, modification time, inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
    }
}

/// What a poll found that needs doing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files new or changed, and stable since the previous poll.
    pub changed: Vec<PathBuf>,
    /// Files that are gone.
    pub removed: Vec<PathBuf>,
}

/// The debounce: remembers what each poll saw and what was last handed on.
#[derive(Debug, Default)]
pub struct Debounce {
    /// Stamp seen on the previous poll.
    seen: BTreeMap<PathBuf, Stamp>,
    /// Stamp of the version last handed on as changed.
    handled: BTreeMap<PathBuf, Stamp>,
}

impl Debounce {
    /// Mark `stamps` as already handled (the start-up load read them).
    pub fn prime(&mut self, stamps: BTreeMap<PathBuf, Stamp>) {
        self.seen = stamps.clone();
        self.handled = stamps;
    }

    /// Compare one poll's `stamps` with the previous ones.
    pub fn poll(&mut self, stamps: BTreeMap<PathBuf, Stamp>) -> Changes {
        let mut changes = Changes::default();
        for (path, stamp) in &stamps {
            let stable = self.seen.get(path) == Some(stamp);
            let new = self.handled.get(path) != Some(stamp);
            if stable && new {
                changes.changed.push(path.clone());
                self.handled.insert(path.clone(), *stamp);
            }
        }
        let gone: Vec<PathBuf> = self
            .handled
            .keys()
            .filter(|p| !stamps.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            self.handled.remove(&path);
            changes.removed.push(path);
        }
        self.seen = stamps;
        changes
    }
}

/// Stamps of every plugin file in `dir` (unreadable entries are skipped).
pub fn scan(dir: &Path) -> BTreeMap<PathBuf, Stamp> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| is_plugin_file(p))
        .filter_map(|p| std::fs::metadata(&p).ok().map(|m| (p, Stamp::of(&m))))
        .collect()
}

/// Poll the manager's folder every `interval` until the manager is dropped.
pub fn spawn(manager: &Arc<PluginManager>, interval: Duration) -> tokio::task::JoinHandle<()> {
    let weak = Arc::downgrade(manager);
    let dir = manager.plugins_dir().to_path_buf();
    let mut debounce = Debounce::default();
    debounce.prime(scan(&dir));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(manager) = weak.upgrade() else {
                return;
            };
            let scan_dir = dir.clone();
            let stamps = tokio::task::spawn_blocking(move || scan(&scan_dir))
                .await
                .unwrap_or_default();
            let changes = debounce.poll(stamps);
            for path in changes.changed {
                // The result is logged and shown by the manager.
                let _ = manager.file_changed(&path).await;
            }
            for path in changes.removed {
                manager.file_removed(&path).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(len: u64, t: u64) -> Stamp {
        Stamp {
            len,
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(t)),
            inode: 1,
        }
    }

    fn at(entries: &[(&str, Stamp)]) -> BTreeMap<PathBuf, Stamp> {
        entries
            .iter()
            .map(|(p, s)| (PathBuf::from(p), *s))
            .collect()
    }

    #[test]
    fn a_file_is_handed_on_once_it_is_stable() {
        let mut d = Debounce::default();
        // First sight: still possibly being written.
        assert_eq!(d.poll(at(&[("a.wasm", stamp(10, 1))])), Changes::default());
        // Grew meanwhile: still not stable.
        assert_eq!(d.poll(at(&[("a.wasm", stamp(20, 2))])), Changes::default());
        // Same as last poll: load it, once.
        let c = d.poll(at(&[("a.wasm", stamp(20, 2))]));
        assert_eq!(c.changed, vec![PathBuf::from("a.wasm")]);
        assert_eq!(d.poll(at(&[("a.wasm", stamp(20, 2))])), Changes::default());
        // Replaced: handed on again after it settles.
        assert_eq!(d.poll(at(&[("a.wasm", stamp(30, 3))])), Changes::default());
        assert_eq!(d.poll(at(&[("a.wasm", stamp(30, 3))])).changed.len(), 1);
        // Deleted.
        assert_eq!(d.poll(at(&[])).removed, vec![PathBuf::from("a.wasm")]);
    }

    #[test]
    fn primed_files_are_not_reloaded_and_a_file_removed_before_loading_is_no_event() {
        let mut d = Debounce::default();
        d.prime(at(&[("a.wasm", stamp(1, 1))]));
        assert_eq!(d.poll(at(&[("a.wasm", stamp(1, 1))])), Changes::default());
        assert_eq!(
            d.poll(at(&[("a.wasm", stamp(1, 1)), ("b.wasm", stamp(5, 5))])),
            Changes::default()
        );
        // b vanished before it settled: nothing was loaded, so nothing to unload.
        assert_eq!(d.poll(at(&[("a.wasm", stamp(1, 1))])), Changes::default());
    }
}
