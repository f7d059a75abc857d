//! The compiled-artifact cache: native code wasmtime produced for a module, kept on disk so a
//! restart deserializes in a fraction of a millisecond instead of compiling for a second.
//!
//! `Component::deserialize` trusts its input completely (it is native code), so an entry is
//! only ever used when it carries a valid HMAC-SHA256 under a key only this gateway holds
//! (derived from the vault's master key by the caller). An entry that fails the check, or
//! fails to deserialize, is deleted and the module is compiled again; nothing else on disk
//! can make the gateway run code it did not compile itself.
//!
//! Entry file: `<module sha256>-<engine hash>.cwasm` = `MAGIC ‖ tag (32 bytes) ‖ artifact`,
//! where tag = HMAC(key, MAGIC ‖ module sha256 ‖ engine hash ‖ artifact) and the engine hash
//! is SHA-256 over `Engine::precompile_compatibility_hash()` (wasmtime version and settings).
//!
//! The cache stays bounded: opening it deletes entries of other engines (after an upgrade they
//! can never be used) and leftover temporary files, and a new entry evicts the least recently
//! used beyond [`MAX_ENTRIES`] (a hit refreshes an entry's modification time).

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const MAGIC: &[u8; 16] = b"latchkey-cwasm-1";
const TAG_LEN: usize = 32;
const SUFFIX: &str = ".cwasm";

/// Entries kept: far more than the versions a gateway holds (current, previous and pending of
/// each connector), so only versions long replaced are evicted.
pub const MAX_ENTRIES: usize = 256;

/// Where the cache lives and the key that authenticates its entries.
pub struct CacheSettings {
    /// Folder for entries (created if missing, mode 0700 on Unix).
    pub dir: PathBuf,
    /// Key for the entries' HMAC; never leaves the gateway process.
    pub key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for CacheSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheSettings")
            .field("dir", &self.dir)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// What a lookup found.
#[derive(Debug)]
pub(super) enum Lookup {
    /// An authenticated artifact this gateway compiled.
    Hit(Vec<u8>),
    /// No entry.
    Miss,
    /// An entry exists but may not be used (it was deleted); the reason is for the logs.
    Rejected(String),
}

/// An open cache, bound to one engine configuration.
pub(super) struct ArtifactCache {
    dir: PathBuf,
    key: Zeroizing<[u8; 32]>,
    engine_hash: String,
    max_entries: usize,
}

/// Feeds `Hash` output into SHA-256, to turn wasmtime's compatibility hash into stable bytes.
struct ShaHasher(Sha256);

impl std::hash::Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

/// A stable hex digest of anything `Hash` (the engine's compatibility hash).
pub(super) fn engine_hash(h: impl std::hash::Hash) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    h.hash(&mut hasher);
    hex::encode(&hasher.0.finalize()[..16])
}

impl ArtifactCache {
    /// Open (and create) the cache folder for an engine whose compatibility hash is `engine_hash`.
    pub(super) fn open(settings: CacheSettings, engine_hash: String) -> std::io::Result<Self> {
        std::fs::create_dir_all(&settings.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&settings.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let cache = ArtifactCache {
            dir: settings.dir,
            key: settings.key,
            engine_hash,
            max_entries: MAX_ENTRIES,
        };
        cache.sweep_unusable();
        Ok(cache)
    }

    /// Delete what can never be used: other engines' entries and temporary files (a crash
    /// mid-write). Best effort: a file that cannot be removed is only wasted space.
    fn sweep_unusable(&self) {
        let ours = format!("-{}{SUFFIX}", self.engine_hash);
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let stale_tmp = name.starts_with('.') && name.ends_with(".tmp");
            let other_engine = name.ends_with(SUFFIX) && !name.ends_with(&ours);
            if stale_tmp || other_engine {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Evict the least recently used entries beyond `max_entries`.
    fn evict(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(SUFFIX))
            .filter_map(|e| {
                let used = e.metadata().and_then(|m| m.modified()).ok()?;
                Some((used, e.path()))
            })
            .collect();
        if found.len() <= self.max_entries {
            return;
        }
        found.sort_by_key(|(used, _)| std::cmp::Reverse(*used));
        for (_, path) in found.into_iter().skip(self.max_entries) {
            let _ = std::fs::remove_file(path);
        }
    }

    fn path(&self, module_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{module_hash}-{}{SUFFIX}", self.engine_hash))
    }

    fn mac(&self, module_hash: &str) -> HmacSha256 {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(self.key.as_slice()) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts any key length"),
        };
        mac.update(MAGIC);
        mac.update(module_hash.as_bytes());
        mac.update(self.engine_hash.as_bytes());
        mac
    }

    /// The authenticated artifact for `module_hash`, if there is one.
    pub(super) fn get(&self, module_hash: &str) -> Lookup {
        let path = self.path(module_hash);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Rejected(format!("unreadable: {e}")),
        };
        let verdict = match data.strip_prefix(MAGIC.as_slice()) {
            Some(rest) if rest.len() > TAG_LEN => {
                let (tag, artifact) = rest.split_at(TAG_LEN);
                let mut mac = self.mac(module_hash);
                mac.update(artifact);
                match mac.verify_slice(tag) {
                    Ok(()) => {
                        // Recently used: the last to be evicted.
                        if let Ok(f) = std::fs::File::options().write(true).open(&path) {
                            let _ = f.set_modified(std::time::SystemTime::now());
                        }
                        return Lookup::Hit(artifact.to_vec());
                    }
                    Err(_) => {
                        "its authentication tag does not match (not written by this gateway, or altered)"
                    }
                }
            }
            _ => "it is truncated or not a cache entry",
        };
        self.remove(module_hash);
        Lookup::Rejected(verdict.to_string())
    }

    /// Store `artifact` for `module_hash` (temp file + rename: readers never see half an entry).
    pub(super) fn put(&self, module_hash: &str, artifact: &[u8]) -> std::io::Result<()> {
        let mut mac = self.mac(module_hash);
        mac.update(artifact);
        let tag = mac.finalize().into_bytes();
        let path = self.path(module_hash);
        let tmp = self.dir.join(format!(
            ".{module_hash}.{}.{}.tmp",
            std::process::id(),
            rand::random::<u32>()
        ));
        let result = write_private(&tmp, &[MAGIC.as_slice(), &tag, artifact])
            .and_then(|()| std::fs::rename(&tmp, &path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        self.evict();
        result
    }

    /// Forget the entry for `module_hash` (it failed to load).
    pub(super) fn remove(&self, module_hash: &str) {
        let _ = std::fs::remove_file(self.path(module_hash));
    }
}

fn write_private(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &Path, key: u8) -> ArtifactCache {
        ArtifactCache::open(
            CacheSettings {
                dir: dir.to_path_buf(),
                key: Zeroizing::new([key; 32]),
            },
            "engine1".into(),
        )
        .expect("open")
    }

    #[test]
    fn an_entry_round_trips_only_under_the_same_key_and_engine() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = cache(dir.path(), 1);
        assert!(matches!(c.get("abc"), Lookup::Miss));
        c.put("abc", b"native code").expect("put");
        assert!(matches!(c.get("abc"), Lookup::Hit(a) if a == b"native code"));

        // Another key (another gateway, or a forger): refused and deleted.
        let other = cache(dir.path(), 2);
        assert!(matches!(other.get("abc"), Lookup::Rejected(_)));
        assert!(
            matches!(c.get("abc"), Lookup::Miss),
            "the forged entry was deleted"
        );
    }

    #[test]
    fn tampered_truncated_or_moved_entries_are_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = cache(dir.path(), 1);
        c.put("abc", b"native code").expect("put");
        let path = c.path("abc");

        let mut bytes = std::fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).expect("write");
        assert!(matches!(c.get("abc"), Lookup::Rejected(why) if why.contains("tag")));

        std::fs::write(&path, &MAGIC[..10]).expect("write");
        assert!(matches!(c.get("abc"), Lookup::Rejected(why) if why.contains("truncated")));

        // A valid entry for one module copied under another module's name.
        c.put("abc", b"native code").expect("put");
        std::fs::copy(c.path("abc"), c.path("def")).expect("copy");
        assert!(matches!(c.get("def"), Lookup::Rejected(_)));
    }

    #[test]
    fn the_cache_stays_bounded_evicting_the_least_recently_used() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = cache(dir.path(), 1);
        c.max_entries = 3;
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for (i, module) in ["a", "b", "c"].iter().enumerate() {
            c.put(module, b"code").expect("put");
            let f = std::fs::File::options()
                .write(true)
                .open(c.path(module))
                .expect("open");
            f.set_modified(old + std::time::Duration::from_secs(i as u64))
                .expect("age the entry");
        }
        // "a" is the oldest, but a hit makes it the most recently used: "b" goes instead.
        assert!(matches!(c.get("a"), Lookup::Hit(_)));
        c.put("d", b"code").expect("put");
        assert!(matches!(c.get("b"), Lookup::Miss), "b was evicted");
        for kept in ["a", "c", "d"] {
            assert!(matches!(c.get(kept), Lookup::Hit(_)), "{kept} was kept");
        }
    }

    #[test]
    fn opening_sweeps_other_engines_entries_and_leftover_temporary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = cache(dir.path(), 1);
        c.put("abc", b"native code").expect("put");
        let foreign = dir.path().join("abc-engine0.cwasm");
        let leftover = dir.path().join(".abc.1.2.tmp");
        let unrelated = dir.path().join("README");
        for f in [&foreign, &leftover, &unrelated] {
            std::fs::write(f, b"x").expect("write");
        }
        let c = cache(dir.path(), 1);
        assert!(!foreign.exists() && !leftover.exists());
        assert!(unrelated.exists(), "files that are not ours are left alone");
        assert!(matches!(c.get("abc"), Lookup::Hit(_)));
    }

    #[test]
    fn the_engine_hash_is_stable_and_distinguishes() {
        assert_eq!(engine_hash(42u64), engine_hash(42u64));
        assert_ne!(engine_hash(42u64), engine_hash(43u64));
    }
}
