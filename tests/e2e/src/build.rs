//! Making sure the binaries and wasm plugins under test exist and are current.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Cargo's build output folder.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("target"),
    }
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(cmd: &mut Command) {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    assert!(status.success(), "{shown} failed with {status}");
}

/// Build the binaries and the plugins (incrementally: a no-op when current).
/// Runs once per test process.
pub fn ensure_built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        // The whole workspace's binaries (`latchkey`, `latchkey-check`, `fake-provider`):
        // selecting the workspace resolves features as `cargo test --workspace` does, so the
        // gateway built for the tests is reused here instead of built a second time.
        run(cargo().args(["build", "--quiet", "--workspace", "--bins"]));
        // Always: cargo makes it a no-op when nothing changed, and a stale plugin built against
        // an older contract would otherwise be refused at load and fail tests mysteriously.
        run(cargo().args(["run", "--quiet", "-p", "xtask", "--", "build-plugins"]));
        // The Node programs some tests run (a no-op when their lockfiles are installed).
        run(cargo().args(["run", "--quiet", "-p", "xtask", "--", "node-deps"]));
    });
}

/// A binary built from this workspace.
pub fn bin(name: &str) -> PathBuf {
    target_dir().join("debug").join(name)
}

/// A bundled connector, built by `cargo xtask build-plugins`.
pub fn plugin(name: &str) -> PathBuf {
    root()
        .join("target")
        .join("plugins")
        .join(format!("{name}.wasm"))
}

/// A test-fixture connector.
pub fn fixture(name: &str) -> PathBuf {
    root()
        .join("target")
        .join("test-plugins")
        .join(format!("{name}.wasm"))
}
