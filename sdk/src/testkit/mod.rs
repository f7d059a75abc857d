//! The auth test kit in a connector's own `cargo test` (feature `testkit`, host target only):
//! build the crate's component, then run the kit on it — `latchkey-check --plugin <wasm>`,
//! the program behind `latchkey check` — and read its JSON report: consent, refresh, expiry,
//! rotation, clock skew, `invalid_grant`, scope drift, a rate-limited token endpoint, revoked
//! keys, alerts, against the fake provider. The kit is a tool the test runs, not a library it
//! links: a connector's build compiles the SDK and a few small crates, never the gateway.
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
//! The kit binary is [`Options::kit`] when set, else `$LATCHKEY_CHECK`, else `latchkey-check`
//! on `PATH` (`cargo install --path host/check` in a Latchkey checkout installs it).
//!
//! A connector the fake has no realistic app for meets its generic app: give canned answers
//! and tool-call sequences in scenario files (the format of `latchkey check --scenarios`)
//! through [`Options::scenarios`].

mod build;
mod report;
mod run;

pub use build::build_wasm;
pub use report::{Case, ConnectorReport, Outcome, Report};
pub use run::{Options, check_plugin};

/// Why the kit could not run.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The component could not be built.
    #[error("building the component failed: {0}")]
    Build(String),
    /// The kit binary is not installed where the test looks.
    #[error(
        "the auth test kit `latchkey-check` was not found ({0}): install it with `cargo install --path host/check` from a Latchkey checkout, or set LATCHKEY_CHECK to its path"
    )]
    NoKit(String),
    /// The plugin could not be checked at all (unreadable, refused, no report).
    #[error("the auth check could not run: {0}")]
    Check(String),
}

/// Panics with the readable report unless every case passed (or was skipped).
pub fn assert_passed(report: &Report) {
    assert!(
        report.passed(),
        "the auth test kit found problems:\n{}",
        report.to_text()
    );
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
