//! This connector through the auth test kit (the checks of `latchkey check`), from its own
//! `cargo test`. Host target and the `testkit` feature only:
//!
//! ```sh
//! cargo build -p latchkey-check && export LATCHKEY_CHECK=$PWD/target/debug/latchkey-check
//! cargo test --manifest-path plugins/Cargo.toml -p github \
//!     --target x86_64-unknown-linux-gnu --features testkit --test auth_kit
//! ```
//!
//! The test builds the crate's component for wasm32-wasip2 first (a plain build, without the
//! feature), then runs the kit's binary on it, which drives it against the fake provider's
//! GitHub app; the connector's build never compiles the gateway.

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
