//! Building the connector's own component for the kit, from its test.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::TestkitError;

/// Build the crate at `manifest_dir` (package `package`) for `wasm32-wasip2` in release mode,
/// into `target_dir` (keep it apart from the running test's own target folder), and return
/// the component's path. The plain wasm build: no feature of the test run is enabled.
pub fn build_wasm(
    manifest_dir: &Path,
    package: &str,
    target_dir: &Path,
) -> Result<PathBuf, TestkitError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(manifest_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| TestkitError::Build(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        return Err(TestkitError::Build(format!(
            "cargo build --target wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`):\n{}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let wasm = target_dir
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{}.wasm", package.replace('-', "_")));
    if !wasm.exists() {
        return Err(TestkitError::Build(format!(
            "no component at {} (is the crate a cdylib? `[lib] crate-type = [\"cdylib\"]`)",
            wasm.display()
        )));
    }
    Ok(wasm)
}
