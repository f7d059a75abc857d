//! What an attacker or a careless umask would find: private database files whatever the umask,
//! no core dumps and no secrets left in the process environment, no credential echoed in a
//! 400, one `Authorization` header only, no MCP session ids or tool payloads in the logs, and
//! problem+json for every low-level rejection.

mod common;

use std::os::unix::fs::PermissionsExt;

use e2e::{Gateway, GatewayOptions, build};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{canary, stack};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_database_and_plugin_state_are_private_whatever_the_umask() {
    let s = stack("").await;
    // One write, so the WAL and SHM files exist.
    s.gw.set_api_key("linear", "alice", "lin_api_x");
    let data = s.gw.dir.path().join("data");
    let db = s.gw.db_path();
    for (path, want) in [
        (data.clone(), 0o700),
        (db.clone(), 0o600),
        (data.join("latchkey.db-wal"), 0o600),
        (data.join("latchkey.db-shm"), 0o600),
        (data.join("plugin-state"), 0o700),
    ] {
        if path.exists() {
            assert_eq!(
                mode(&path) & 0o077,
                0,
                "{} is {:o}, want {want:o}",
                path.display(),
                mode(&path)
            );
        } else {
            assert!(!path.ends_with("latchkey.db"), "the database exists");
        }
    }
    assert!(db.exists());

    // Files an older version left world-readable are narrowed at the next start.
    let mut gw = s.gw;
    gw.stop();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    gw.spawn().await.expect("restart");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&data), 0o700);
}

#[tokio::test]
async fn no_core_dumps_and_no_secret_left_in_the_process_environment() {
    let secret = canary();
    let mut gw = Gateway::start(GatewayOptions {
        plugins: vec![build::plugin("github")],
        env: vec![("GITHUB_CLIENT_SECRET".into(), secret.clone())],
        extra_config: "[connectors.github.oauth]\nclient_id = \"gh\"\nclient_secret_env = \"GITHUB_CLIENT_SECRET\"\n"
            .into(),
        ..GatewayOptions::default()
    })
    .await;
    // From now on the master key comes from the environment, as in a container.
    let key_file = gw.dir.path().join("data").join("master.key");
    let master = std::fs::read_to_string(&key_file).expect("key file");
    gw.stop();
    gw.set_master_key(master.trim());
    std::fs::remove_file(&key_file).expect("remove the key file");
    gw.spawn()
        .await
        .expect("restart with the key in the environment");

    let pid = gw.pid().expect("running");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("core line");
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        !environ.contains(&secret),
        "the client secret is wiped from the environment"
    );
    assert!(
        !environ.contains(master.trim()),
        "the master key is wiped from the environment"
    );
    // Both were read all the same: the vault opens, the provider is configured.
    let (status, body) = gw.get("/v1/admin/providers", &gw.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("\"github\""), "{body}");
    gw.stop();
}

#[tokio::test]
async fn a_bad_body_never_echoes_the_callers_credential_and_two_authorizations_are_refused() {
    let s = stack("").await;
    let key = s.gw.admin_key.clone();
    for body in [
        json!({"name": "x", "packs": key}),
        json!({"name": "x", key.clone(): true}),
    ] {
        let (status, problem) = s.gw.post("/v1/admin/agent-keys", &key, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(problem["code"], "invalid_request");
        let (_, _, secret) = split_key(&key);
        assert!(
            !problem.to_string().contains(secret),
            "the key came back: {problem}"
        );
    }

    let resp =
        s.gw.http
            .get(format!("{}/v1/tools", s.gw.base_url))
            .header("authorization", format!("Bearer {}", s.gw.agent_key))
            .header("authorization", "Bearer lk_agent_0000000000000000_other")
            .send()
            .await
            .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "invalid_request", "{problem}");
}

/// `lk_<kind>_<id>_<secret>` → its parts.
fn split_key(key: &str) -> (&str, &str, &str) {
    let mut parts = key.splitn(4, '_').skip(1);
    let kind = parts.next().unwrap_or_default();
    let id = parts.next().unwrap_or_default();
    let secret = parts.next().unwrap_or_default();
    (kind, id, secret)
}

#[tokio::test]
async fn mcp_session_ids_and_tool_payloads_stay_out_of_the_logs() {
    let s = stack("").await;
    s.gw.set_api_key("misbehave", "alice", "k");
    let post = || {
        s.gw.http
            .post(format!("{}/mcp", s.gw.base_url))
            .bearer_auth(&s.gw.agent_key)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("latchkey-user", "alice")
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"}}});
    let resp = post().body(init.to_string()).send().await.expect("init");
    let session = resp.headers()["mcp-session-id"]
        .to_str()
        .expect("id")
        .to_string();
    let _ = resp.text().await;
    let with = |b: Value| {
        post()
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .body(b.to_string())
    };
    let _ = with(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .expect("initialized");
    let payload = canary();
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "misbehave_echo", "arguments": {"note": payload}}});
    let answer = with(call)
        .send()
        .await
        .expect("call")
        .text()
        .await
        .expect("body");
    assert!(answer.contains(&payload), "the call ran: {answer}");
    let logs = s.gw.logs();
    assert!(!logs.contains(&session), "the session id was logged");
    assert!(!logs.contains(&payload), "the tool payload was logged");
}

#[tokio::test]
async fn low_level_rejections_are_problem_json() {
    let s = stack("").await;
    let base = &s.gw.base_url;
    let http = &s.gw.http;
    let problem = |resp: reqwest::Response| async move {
        let status = resp.status();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.text().await.unwrap_or_default();
        assert_eq!(kind, "application/problem+json", "{status}: {body:?}");
        let value: Value = serde_json::from_str(&body).expect("problem json");
        (status, value)
    };

    let long = format!("{base}/v1/tools?x={}", "a".repeat(10_000));
    let (status, p) = problem(http.get(long).send().await.expect("414")).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG, "{p}");
    assert_eq!(p["code"], "uri_too_long");

    let (status, p) = problem(
        http.get(format!("{base}/v1/tools"))
            .header("x-filler", "b".repeat(70_000))
            .send()
            .await
            .expect("431"),
    )
    .await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "{p}");
    assert_eq!(p["code"], "headers_too_large");

    let upload = http
        .post(format!("{base}/v1/admin/plugins"))
        .bearer_auth(&s.gw.admin_key)
        .header("content-type", "application/wasm")
        .body(vec![0u8; (64 << 20) + 1])
        .send()
        .await
        .expect("413");
    // The body was refused unread: the connection must not go back to the client's pool.
    assert_eq!(
        upload
            .headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    let (status, p) = problem(upload).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert_eq!(p["code"], "payload_too_large");

    let (status, p) = problem(
        http.post(format!("{base}/v1/tools/linear_get_viewer/call"))
            .bearer_auth(&s.gw.agent_key)
            .header("content-type", "application/json")
            .body(vec![b' '; 2 << 20])
            .send()
            .await
            .expect("413"),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");

    // A connect form without its fields, and one with no body at all.
    let (_, body) =
        s.gw.post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": "linear", "user_id": "alice"}),
        )
        .await;
    let link = body["url"].as_str().expect("url").to_string();
    for form in ["kind=api_key", ""] {
        let (status, p) = problem(
            http.post(format!("{link}/credential"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .expect("form"),
        )
        .await;
        assert!(status.is_client_error(), "{status} {p}");
        assert!(p["code"].is_string(), "{p}");
    }
}
