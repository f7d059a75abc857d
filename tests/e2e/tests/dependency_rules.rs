//! The dependency rules the crate graph promises, read from cargo itself: the gateway never
//! links the auth test kit or the fake provider (not even behind a feature), and the SDK a
//! connector builds with never pulls in wasmtime or the gateway.

use std::process::Command;

use e2e::build;

/// Every package `package` depends on (normal and build edges, the host target, all features).
fn dependencies(package: &str) -> Vec<String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(build::root())
        .args(["tree", "--offline", "-p", package, "-e", "normal,build"])
        .args(["--all-features", "--prefix", "none"])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn the_gateway_never_links_the_kit_or_the_fake_provider() {
    let deps = dependencies("latchkey");
    assert!(deps.iter().any(|d| d == "latchkey-runtime"), "{deps:?}");
    for banned in ["fake-provider", "latchkey-check", "scripted-browser"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "the gateway depends on {banned}"
        );
    }
}

#[test]
fn the_sdk_never_pulls_in_wasmtime_or_the_gateway() {
    let deps = dependencies("latchkey-sdk");
    assert!(deps.iter().any(|d| d == "wit-bindgen"), "{deps:?}");
    for banned in [
        "wasmtime",
        "latchkey",
        "latchkey-check",
        "fake-provider",
        "tokio",
    ] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "the SDK depends on {banned}"
        );
    }
}
