//! This connector through the auth test kit (the checks of `latchkey check`), from its own
//! `cargo test`. Host target and the `testkit` feature only:
//!
//! ```sh
//! cargo test --manifest-path plugins/Cargo.toml -p github \
//!     --target x86_64-unknown-linux-gnu --features testkit --test auth_kit
//! ```
//!
//! The test builds the crate's component for wasm32-wasip2 first (a plain build, without the
//! feature), then drives it against the fake provider's GitHub app in-process.

#![cfg(all(feature = "testkit", not(target_arch = "wasm32")))]

use latchkey_sdk::testkit;

#[test]
fn github_passes_the_auth_test_kit() {
    let wasm = latchkey_sdk::this_crate_wasm!().expect("the component builds");
    let report = testkit::check_plugin(&wasm, testkit::Options::default()).expect("checked");
    testkit::assert_passed(&report);
    let github = &report.connectors[0];
    assert_eq!(github.id, "github");
    assert!(
        github
            .cases
            .iter()
            .any(|c| c.id == "oauth2.expired_token_refreshed"
                && c.outcome == testkit::Outcome::Passed),
        "{}",
        report.to_text()
    );
}
