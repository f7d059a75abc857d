//! The auth test kit in a connector's own `cargo test` (feature `testkit`, host target only):
//! build the crate's component, then drive it through every auth scenario of
//! `latchkey check` — consent, refresh, expiry, rotation, clock skew, `invalid_grant`, scope
//! drift, a rate-limited token endpoint, revoked keys, alerts — against the fake provider,
//! in-process.
//!
//! ```no_run
//! // tests/auth_kit.rs of a connector crate; run with
//! //   cargo test --target x86_64-unknown-linux-gnu --features testkit --test auth_kit
//! #![cfg(feature = "testkit")]
//! use latchkey_sdk::testkit;
//!
//! #[test]
//! fn passes_the_auth_test_kit() {
//!     let wasm = latchkey_sdk::this_crate_wasm!().expect("the component builds");
//!     let report = testkit::check_plugin(&wasm, testkit::Options::default()).expect("checked");
//!     testkit::assert_passed(&report);
//! }
//! ```
//!
//! A connector the fake has no realistic app for meets its generic app: give canned answers
//! and tool-call sequences in a scenario file ([`ScenarioFile`], the format of
//! `latchkey check --scenarios`) through [`Options::scenarios`].

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fake provider, for tests that set it up themselves.
pub use fake_provider;
pub use latchkey::check::Options;
pub use latchkey::check::report::{Case, ConnectorReport, Outcome, Report};
pub use latchkey::check::scenario_file::ScenarioFile;

/// Why the kit could not run.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The component could not be built.
    #[error("building the component failed: {0}")]
    Build(String),
    /// The plugin could not be checked at all (unreadable, refused, no fake provider).
    #[error("the auth check could not run: {0}")]
    Check(String),
}

/// Check the component at `path` against the fake provider; the report says what passed.
/// Runs its own Tokio runtime: call it from a plain `#[test]`.
pub fn check_plugin(path: impl AsRef<Path>, options: Options) -> Result<Report, TestkitError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| TestkitError::Check(format!("a Tokio runtime: {e}")))?;
    runtime.block_on(check_plugin_async(path.as_ref(), &options))
}

/// [`check_plugin`] inside a Tokio runtime you already run (a multi-threaded one).
pub async fn check_plugin_async(path: &Path, options: &Options) -> Result<Report, TestkitError> {
    latchkey::check::check_file(path, options)
        .await
        .map_err(|e| TestkitError::Check(e.to_string()))
}

/// Panics with the readable report unless every case passed (or was skipped).
pub fn assert_passed(report: &Report) {
    assert!(
        report.passed(),
        "the auth test kit found problems:\n{}",
        report.to_text()
    );
}

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
            "no component at {} (is the crate a cdylib?)",
            wasm.display()
        )));
    }
    Ok(wasm)
}

/// Build the calling crate's component (from an integration test) and return its path:
/// [`build_wasm`] with the crate's folder, its name, and a folder under `CARGO_TARGET_TMPDIR`.
#[macro_export]
macro_rules! this_crate_wasm {
    () => {
        $crate::testkit::build_wasm(
            ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
            env!("CARGO_PKG_NAME"),
            &::std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("testkit-wasm"),
        )
    };
}
