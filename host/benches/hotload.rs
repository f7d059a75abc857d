//! Benchmark: restarting with 10 plugins, from the compiled-artifact cache vs from scratch.
//!
//! Each round builds a new engine (a restart) and loads a folder of 10 connectors through
//! the same `PluginManager::load_folder` the gateway runs at start-up: once with an empty
//! cache (compile everything, write the cache), once with the cache that run left behind
//! (authenticate + deserialize). Prints both and their ratio, measured in the same run.
//! Release build only: `cargo xtask bench`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey::hotload::PluginManager;
use latchkey::plugin::{CacheSettings, EngineSettings, PluginRuntime, Registry};
use zeroize::Zeroizing;

const PLUGINS: usize = 10;
const ROUNDS: usize = 5;
const MARKER: &[u8] = b"LATCHKEY-SHAPESHIFT-CONFIG:";

fn fixture() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = root.join("target/test-plugins/shapeshift.wasm");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build-plugins`)", path.display()))
}

/// Ten different connectors: the shapeshift fixture with its manifest rewritten (see the
/// fixture's docs), so each is a distinct module that must be compiled on its own.
fn connectors(dir: &Path) {
    let base = fixture();
    let at = base
        .windows(MARKER.len())
        .position(|w| w == MARKER)
        .expect("marker");
    for i in 0..PLUGINS {
        let mut bytes = base.clone();
        let json = format!(
            r#"{{"id":"bench-{i}","version":"1.0.{i}","hosts":["https://allowed.test"],"scopes":[],"placement":"bearer"}}"#
        );
        let blob = &mut bytes[at + MARKER.len()..at + 1024];
        blob.fill(b' ');
        blob[..json.len()].copy_from_slice(json.as_bytes());
        std::fs::write(dir.join(format!("bench-{i}.wasm")), bytes).expect("write plugin");
    }
}

async fn restart(plugins: &Path, cache: Option<&Path>) -> Duration {
    let started = Instant::now();
    let mut runtime = PluginRuntime::new(&EngineSettings::default()).expect("runtime");
    if let Some(dir) = cache {
        runtime = runtime
            .with_cache(CacheSettings {
                dir: dir.to_path_buf(),
                key: Zeroizing::new([7; 32]),
            })
            .expect("cache");
    }
    let manager = PluginManager::new(
        Arc::new(runtime),
        Arc::new(Registry::new()),
        Arc::new(|_: &str| Default::default()),
        plugins.to_path_buf(),
        None,
    )
    .await
    .expect("manager");
    let (loaded, refused) = manager.load_folder().await.expect("load folder");
    assert_eq!((loaded, refused), (PLUGINS, 0));
    started.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let work = tempfile::tempdir().expect("tempdir");
    let plugins: PathBuf = work.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    connectors(&plugins);

    let (mut scratch, mut cached) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let cache = work.path().join(format!("cache-{round}"));
        scratch.push(restart(&plugins, Some(&cache)).await);
        cached.push(restart(&plugins, Some(&cache)).await);
    }
    let (s, c) = (median(scratch), median(cached));
    println!(
        "restart with {PLUGINS} plugins, median of {ROUNDS} (engine + compile/deserialize + describe + checks):"
    );
    println!(
        "  from scratch (compile, write cache)   {:>9.1} ms",
        s.as_secs_f64() * 1e3
    );
    println!(
        "  from the artifact cache               {:>9.1} ms",
        c.as_secs_f64() * 1e3
    );
    println!(
        "  ratio scratch / cache                 {:>9.1}x",
        s.as_secs_f64() / c.as_secs_f64().max(1e-9)
    );
}
