//! Hot-loading against the real binary: swaps under load, broken uploads, permission
//! widening and approval, folder deploys, rollback and unload.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use e2e::variant::shapeshift;
use e2e::{Gateway, GatewayOptions, build};
use reqwest::StatusCode;
use serde_json::{Value, json};

const FAST_WATCH: &str = "[hotload]\npoll_interval_ms = 100\n";

async fn gateway(extra: &str) -> Gateway {
    e2e::install_crypto_provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("shapeshift.wasm");
    std::fs::write(&first, shapeshift(json!({}))).expect("write fixture");
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![first, build::plugin("notion")],
        extra_config: extra.to_string(),
        ..GatewayOptions::default()
    })
    .await;
    gw.set_api_key("shapeshift", "alice", "any-key");
    gw
}

async fn version(gw: &Gateway) -> (StatusCode, Value) {
    gw.call("shapeshift_version", "alice", json!({})).await
}

async fn serving(gw: &Gateway) -> String {
    let (status, body) = version(gw).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["output"]["version"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

async fn plugin_view(gw: &Gateway, id: &str) -> Value {
    let (status, list) = gw.get("/v1/admin/plugins", &gw.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

async fn upload(gw: &Gateway, bytes: Vec<u8>) -> (StatusCode, Value) {
    gw.post_bytes("/v1/admin/plugins", &gw.admin_key, bytes)
        .await
}

/// Deploy the documented way: a hidden temp file in the folder, then a rename.
fn deploy(gw: &Gateway, name: &str, bytes: &[u8]) {
    let dir = gw.plugins_dir();
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).expect("write temp");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

/// Wait (bounded) until `check` holds for the plugin's admin view.
async fn wait_for(gw: &Gateway, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = plugin_view(gw, id).await;
        if check(&view) {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_swaps_under_a_steady_stream_of_calls_fail_no_call() {
    let gw = Arc::new(gateway("").await);
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));

    // Callers: quick calls, and slow ones that straddle swaps and must finish on the version
    // they started on. Versions seen by one caller never go backwards.
    let mut callers = Vec::new();
    for worker in 0..4 {
        let (gw, stop, calls) = (gw.clone(), stop.clone(), calls.clone());
        callers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut last_minor = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let (tool, input) = if worker == 0 {
                    ("shapeshift_slow", json!({"ms": 150}))
                } else {
                    ("shapeshift_version", json!({}))
                };
                let (status, body) = gw.call(tool, "alice", input).await;
                calls.fetch_add(1, Ordering::SeqCst);
                if status != StatusCode::OK {
                    failures.push(format!("{status}: {body}"));
                    continue;
                }
                let v = body["output"]["version"].as_str().unwrap_or("");
                let minor: u64 = v
                    .rsplit('.')
                    .next()
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                if minor < last_minor {
                    failures.push(format!("went back from 1.0.{last_minor} to {v}"));
                }
                if worker == 0 && body["output"]["started_on"] != body["output"]["version"] {
                    failures.push(format!("a call changed version midway: {body}"));
                }
                last_minor = minor;
            }
            failures
        }));
    }

    for i in 1..=100 {
        let v = format!("1.0.{i}");
        let (status, body) = upload(&gw, shapeshift(json!({"version": v}))).await;
        assert_eq!(status, StatusCode::CREATED, "swap {i}: {body}");
        assert_eq!(body["result"], "activated", "{body}");
        // A call that starts after the swap sees the new version.
        assert_eq!(serving(&gw).await, v, "after swap {i}");
    }
    stop.store(true, Ordering::SeqCst);
    let mut failures = Vec::new();
    for c in callers {
        failures.extend(c.await.expect("caller"));
    }
    assert!(
        failures.is_empty(),
        "{} failed calls: {failures:?}",
        failures.len()
    );
    let total = calls.load(Ordering::SeqCst);
    assert!(
        total >= 100,
        "the stream was too thin to prove anything: {total} calls"
    );

    let view = plugin_view(&gw, "shapeshift").await;
    assert_eq!(view["version"], "1.0.100", "{view}");
    assert_eq!(view["previous"]["version"], "1.0.99", "{view}");
    assert_eq!(view["metrics"]["errors"], 0, "{view}");
}

#[tokio::test]
async fn a_broken_upload_is_rejected_and_the_previous_version_keeps_serving() {
    let gw = gateway(FAST_WATCH).await;
    let good = shapeshift(json!({}));
    let truncated = good[..good.len() / 2].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "garbage",
            b"\0asm\x0d\0\x01\0junkjunk".to_vec(),
            "not a usable WebAssembly component",
        ),
        ("truncated", truncated, "not a usable WebAssembly component"),
        (
            "bad manifest",
            shapeshift(json!({"id": "Bad_Id", "version": "9.0.0"})),
            "manifest is invalid",
        ),
        (
            "crashing describe",
            shapeshift(json!({"version": 7})),
            "describe() failed",
        ),
        (
            "an import the host never gives",
            std::fs::read(build::fixture("rogue_import")).expect("rogue"),
            "latchkey:vault/secrets",
        ),
    ];
    for (what, bytes, expected) in cases {
        let (status, body) = upload(&gw, bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_eq!(body["code"], "plugin_rejected", "{what}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains(expected)),
            "{what}: {body} should say {expected:?}"
        );
        assert_eq!(serving(&gw).await, "1.0.0", "after {what}");
    }

    // The same through the folder: a broken file replaces the good one on disk.
    deploy(&gw, "shapeshift.wasm", b"\0asm\x0d\0\x01\0half-written");
    let view = wait_for(&gw, "shapeshift", "the refusal", |v| {
        !v["last_error"].is_null()
    })
    .await;
    assert_eq!(view["state"], "active", "{view}");
    assert!(
        view["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a usable")),
        "{view}"
    );
    assert_eq!(serving(&gw).await, "1.0.0");
    // A fixed file then takes over, and the error is cleared.
    deploy(
        &gw,
        "shapeshift.wasm",
        &shapeshift(json!({"version": "1.1.0"})),
    );
    wait_for(&gw, "shapeshift", "the fix", |v| v["version"] == "1.1.0").await;
    assert_eq!(serving(&gw).await, "1.1.0");
    assert!(plugin_view(&gw, "shapeshift").await["last_error"].is_null());
}

#[tokio::test]
async fn a_permission_widening_update_waits_for_approval() {
    let mut gw = gateway(FAST_WATCH).await;
    let evil = json!({"version": "2.0.0", "hosts": ["https://allowed.test", "https://evil.test"]});
    let (status, body) = upload(&gw, shapeshift(evil)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["result"], "pending_approval");
    assert_eq!(body["widening"], json!(["new host: https://evil.test"]));
    assert_eq!(body["plugin"]["state"], "pending_approval");
    assert_eq!(body["plugin"]["pending"]["version"]["version"], "2.0.0");
    // Meanwhile the approved version serves, for as long as it takes.
    for _ in 0..3 {
        assert_eq!(serving(&gw).await, "1.0.0");
    }

    // Approve with the CLI.
    let out = gw.cli_ok(
        &[
            "plugin",
            "--url",
            &gw.base_url,
            "--admin-key",
            &gw.admin_key,
            "approve",
            "shapeshift",
        ],
        None,
    );
    assert!(out.contains("activated"), "{out}");
    assert_eq!(serving(&gw).await, "2.0.0");
    let listed = gw.cli_ok(
        &[
            "plugin",
            "--url",
            &gw.base_url,
            "--admin-key",
            &gw.admin_key,
            "list",
        ],
        None,
    );
    assert!(listed.contains("shapeshift\tactive\t2.0.0"), "{listed}");

    // Narrowing needs no approval; widening a scope through the folder does, and can be
    // rejected (the folder file goes back to the serving version).
    deploy(
        &gw,
        "shapeshift.wasm",
        &shapeshift(json!({"version": "2.1.0"})),
    );
    wait_for(&gw, "shapeshift", "the narrowing", |v| {
        v["version"] == "2.1.0"
    })
    .await;
    deploy(
        &gw,
        "shapeshift.wasm",
        &shapeshift(json!({"version": "2.2.0", "scopes": ["admin"]})),
    );
    let view = wait_for(&gw, "shapeshift", "pending", |v| {
        v["state"] == "pending_approval"
    })
    .await;
    assert_eq!(
        view["pending"]["widening"],
        json!(["new scope: admin"]),
        "{view}"
    );
    assert_eq!(serving(&gw).await, "2.1.0");
    let (status, body) = gw
        .post(
            "/v1/admin/plugins/shapeshift/reject",
            &gw.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let on_disk = std::fs::read(gw.plugins_dir().join("shapeshift.wasm")).expect("read");
    assert_eq!(
        on_disk,
        shapeshift(json!({"version": "2.1.0"})),
        "the folder holds the serving version"
    );

    // A restart with a widened file in the folder does not activate it: the approved copy
    // serves and the file waits.
    gw.stop();
    std::fs::write(
        gw.plugins_dir().join("shapeshift.wasm"),
        shapeshift(json!({"version": "3.0.0", "placement": {"header": "X-Key"}})),
    )
    .expect("write");
    gw.spawn().await.expect("restart");
    let view = plugin_view(&gw, "shapeshift").await;
    assert_eq!(view["state"], "pending_approval", "{view}");
    assert_eq!(view["version"], "2.1.0", "{view}");
    assert_eq!(view["active"]["via"], "restore", "{view}");
    assert!(
        view["pending"]["widening"][0]
            .as_str()
            .is_some_and(|w| w.contains("new auth scheme")),
        "{view}"
    );
    assert_eq!(serving(&gw).await, "2.1.0");

    // Approving nothing, or an unknown plugin, is a clear error.
    let (status, body) = gw
        .post(
            "/v1/admin/plugins/notion/approve",
            &gw.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::CONFLICT, json!("plugin_conflict")),
        "{body}"
    );
    let (status, _) = gw
        .post("/v1/admin/plugins/nope/approve", &gw.admin_key, &json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn folder_deploys_swap_in_and_a_deleted_file_unloads() {
    let gw = gateway(FAST_WATCH).await;
    // A new connector appears.
    deploy(
        &gw,
        "second.wasm",
        &shapeshift(json!({"id": "second", "version": "0.1.0"})),
    );
    wait_for(&gw, "second", "the new connector", |v| {
        v["state"] == "active"
    })
    .await;
    gw.set_api_key("second", "alice", "k");
    let (status, body) = gw.call("second_version", "alice", json!({})).await;
    assert_eq!(
        (status, body["output"]["version"].clone()),
        (StatusCode::OK, json!("0.1.0")),
        "{body}"
    );

    // Updated in place.
    deploy(
        &gw,
        "second.wasm",
        &shapeshift(json!({"id": "second", "version": "0.2.0"})),
    );
    wait_for(&gw, "second", "the update", |v| v["version"] == "0.2.0").await;

    // A second file claiming the same id is refused; the first keeps serving.
    deploy(
        &gw,
        "copy.wasm",
        &shapeshift(json!({"id": "second", "version": "0.3.0"})),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = gw.get("/v1/admin/plugins", &gw.admin_key).await;
        let refused = list["rejected_files"].to_string();
        if refused.contains("copy.wasm") && refused.contains("already loaded") {
            break;
        }
        assert!(Instant::now() < deadline, "copy.wasm not refused: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, body) = gw.call("second_version", "alice", json!({})).await;
    assert_eq!(body["output"]["version"], "0.2.0", "{body}");
    std::fs::remove_file(gw.plugins_dir().join("copy.wasm")).expect("rm");

    // Deleted: unloaded, and new calls no longer find it.
    std::fs::remove_file(gw.plugins_dir().join("second.wasm")).expect("rm");
    wait_for(&gw, "second", "the unload", |v| v.is_null()).await;
    let (status, body) = gw.call("second_version", "alice", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The others never noticed.
    assert_eq!(serving(&gw).await, "1.0.0");
}

#[tokio::test]
async fn rollback_and_unload() {
    let gw = gateway("").await;
    let (status, _) = gw
        .post(
            "/v1/admin/plugins/shapeshift/rollback",
            &gw.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to roll back to yet");

    let (status, body) = upload(&gw, shapeshift(json!({"version": "1.5.0"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(serving(&gw).await, "1.5.0");
    let out = gw.cli_ok(
        &[
            "plugin",
            "--url",
            &gw.base_url,
            "--admin-key",
            &gw.admin_key,
            "rollback",
            "shapeshift",
        ],
        None,
    );
    assert!(out.contains("1.0.0"), "{out}");
    assert_eq!(serving(&gw).await, "1.0.0");
    let view = plugin_view(&gw, "shapeshift").await;
    assert_eq!(
        (
            view["previous"]["version"].clone(),
            view["active"]["via"].clone()
        ),
        (json!("1.5.0"), json!("rollback")),
        "{view}"
    );
    // The folder mirrors what serves, so a restart would agree.
    let on_disk = std::fs::read(gw.plugins_dir().join("shapeshift.wasm")).expect("read");
    assert_eq!(on_disk, shapeshift(json!({})));

    let (status, _) = gw
        .delete("/v1/admin/plugins/shapeshift", &gw.admin_key)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = version(&gw).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(plugin_view(&gw, "shapeshift").await.is_null());
    assert!(gw.plugins_dir().join("shapeshift.wasm.unloaded").exists());
    let (status, _) = gw
        .delete("/v1/admin/plugins/shapeshift", &gw.admin_key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Notion was never touched.
    let (_, tools) = gw.get("/v1/tools", &gw.agent_key).await;
    assert!(tools.to_string().contains("notion_search"));
}
