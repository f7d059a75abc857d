//! `latchkey new connector`: the crate it generates builds for wasm32-wasip2 as generated and
//! passes the auth test kit (`latchkey check`), as a connector author would run them.

use std::path::Path;
use std::process::Command;

use e2e::build;
use serde_json::Value;

fn run(cmd: &mut Command) -> std::process::Output {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    assert!(
        out.status.success(),
        "{shown} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_generated_connector_builds_and_passes_the_kit() {
    build::ensure_built();
    let dir = tempfile::tempdir().expect("tempdir");
    let crate_dir = dir.path().join("acme-notes");
    let sdk = build::root().join("sdk");
    run(Command::new(build::bin("latchkey")).args([
        "new",
        "connector",
        "acme-notes",
        "--dir",
        path(&crate_dir),
        "--sdk-path",
        path(&sdk),
    ]));
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.contains("crate-type = [\"cdylib\"]"), "{manifest}");
    // The versions the bundled plugins build with, so the build needs no network and reuses
    // their compiled dependencies (same target folder, same release profile).
    std::fs::copy(
        build::root().join("plugins").join("Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .expect("lockfile");
    let wasm_target = build::target_dir().join("wasm-plugins");
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--offline",
                "--target",
                "wasm32-wasip2",
            ])
            .arg("--manifest-path")
            .arg(crate_dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&wasm_target)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS"),
    );
    let wasm = wasm_target
        .join("wasm32-wasip2")
        .join("release")
        .join("acme_notes.wasm");
    assert!(wasm.is_file(), "the build wrote {}", wasm.display());
    let report = dir.path().join("report.json");
    run(Command::new(build::bin("latchkey"))
        .current_dir(dir.path())
        .args(["check", "--plugin", path(&wasm), "--json", path(&report)]));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(json["totals"]["failed"], 0, "{json}");
    let connector = &json["connectors"][0];
    assert_eq!(connector["id"], "acme-notes");
    assert_eq!(connector["provider"], "generic");
    let passed = |id: &str| {
        connector["cases"].as_array().is_some_and(|cases| {
            cases
                .iter()
                .any(|c| c["id"] == id && c["outcome"] == "passed")
        })
    };
    for id in [
        "oauth2.consent_grants_tool_scopes",
        "oauth2.refresh_works",
        "api_key.connect_page_checks_it",
        "tools.list_items",
        "tools.add_item",
        "lint.input_schemas",
        "lint.auth_errors",
        "lint.declared_scopes",
        "lint.egress_allowlist",
    ] {
        assert!(passed(id), "{id} passed: {connector}");
    }
}

#[test]
fn a_bad_id_is_refused_and_nothing_is_written() {
    build::ensure_built();
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("bad");
    let out = Command::new(build::bin("latchkey"))
        .args(["new", "connector", "Acme_Notes", "--dir", path(&target)])
        .output()
        .expect("run latchkey");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"Acme_Notes\""), "{stderr}");
    assert!(!target.exists(), "nothing was written");
}
