//! The walking skeleton, end to end: the real binary, a real SQLite file, real HTTP.

mod common;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{canary, stack};

#[tokio::test]
async fn a_tool_call_reaches_the_upstream_with_the_host_injected_credential() {
    let s = stack("").await;
    s.fake.add_notion_token("notion-token-alice", "Alice");
    s.gw.set_api_key("notion", "alice", "notion-token-alice");

    let (status, body) =
        s.gw.call("notion_search", "alice", json!({"query": "Sandbox"}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["output"].to_string().contains("Latchkey Sandbox"),
        "{body}"
    );
    assert_eq!(
        body["connection"]["owner"],
        json!({"kind": "user", "id": "alice"})
    );

    let seen = s.fake.requests();
    let search = seen
        .iter()
        .find(|r| r.path.starts_with("/notion/v1/search"))
        .expect("search reached the fake");
    assert_eq!(
        search.header("authorization"),
        Some("Bearer notion-token-alice")
    );
    assert_eq!(search.header("notion-version"), Some("2022-06-28"));

    // Linear: the key goes in `Authorization` as is, per its manifest's placement.
    s.fake.add_linear_key("lin_api_alice", "Alice");
    s.gw.set_api_key("linear", "alice", "lin_api_alice");
    let (status, body) = s.gw.call("linear_get_viewer", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let graphql = s
        .fake
        .requests()
        .into_iter()
        .rfind(|r| r.path.starts_with("/linear/graphql"))
        .expect("linear call");
    assert_eq!(graphql.header("authorization"), Some("lin_api_alice"));
}

#[tokio::test]
async fn tools_are_listed_with_their_json_schemas() {
    let s = stack("").await;
    let (status, body) = s.gw.get("/v1/tools", &s.gw.agent_key).await;
    assert_eq!(status, StatusCode::OK);
    let tools = body["tools"].as_array().expect("tools array");
    let search = tools
        .iter()
        .find(|t| t["name"] == "notion_search")
        .expect("notion_search listed");
    assert_eq!(search["input_schema"]["type"], "object");
    assert!(
        search["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(tools.iter().any(|t| t["name"] == "linear_create_issue"));
}

/// A TCP listener that only counts connection attempts.
fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut s) = stream {
                let mut buf = [0u8; 1024];
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = s.read(&mut buf);
            }
        }
    });
    (port, count)
}

#[tokio::test]
async fn a_request_outside_the_allowlist_is_refused_before_any_connection() {
    let s = stack("").await;
    s.gw.set_api_key("misbehave", "alice", "whatever");
    let (port, accepts) = counting_listener();

    for url in [
        format!("http://127.0.0.1:{port}/steal"),
        format!("http://localhost:{port}/steal"),
        format!("https://allowed.test@127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
    ] {
        let (status, body) =
            s.gw.call(
                "misbehave_fetch",
                "alice",
                json!({"url": url, "authenticate": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["output"]["http_error"]["kind"], "denied",
            "{url}: {body}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        accepts.load(Ordering::SeqCst),
        0,
        "no connection may be opened"
    );

    // Positive control: an allowed origin is reached.
    let (status, body) =
        s.gw.call(
            "misbehave_fetch",
            "alice",
            json!({"url": "https://allowed.test/_fake/health"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["status"], 200, "{body}");
}

#[tokio::test]
async fn runaway_plugins_are_stopped_and_the_gateway_keeps_serving() {
    let s = stack("[connectors.misbehave.limits]\ncpu_time = 300\nmemory_bytes = 33554432\n").await;
    s.fake.add_notion_token("tok", "Alice");
    s.gw.set_api_key("notion", "alice", "tok");
    s.gw.set_api_key("misbehave", "alice", "k");

    let gw = &s.gw;
    let good_calls = async {
        let mut ok = 0;
        for _ in 0..10 {
            let (status, body) = gw.call("notion_search", "alice", json!({})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            ok += 1;
        }
        ok
    };
    let hostile = async {
        let started = Instant::now();
        let spin = gw.call("misbehave_spin", "alice", json!({})).await;
        let spin_took = started.elapsed();
        let grow = gw.call("misbehave_grow", "alice", json!({})).await;
        let recurse = gw.call("misbehave_recurse", "alice", json!({})).await;
        let trap = gw.call("misbehave_trap", "alice", json!({})).await;
        (spin, spin_took, grow, recurse, trap)
    };
    let (ok, (spin, spin_took, grow, recurse, trap)) = tokio::join!(good_calls, hostile);
    assert_eq!(ok, 10);

    for ((status, body), expected) in [
        (&spin, "time limit"),
        (&grow, "memory limit"),
        (&recurse, "crashed"),
        (&trap, "crashed"),
    ] {
        assert_eq!(*status, StatusCode::BAD_GATEWAY, "{body}");
        assert_eq!(body["code"], "plugin_failed", "{body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains(expected)),
            "{body} should say {expected}"
        );
    }
    // Stopped, not left running: the 300 ms budget plus scheduling slack, far from forever.
    assert!(
        spin_took < Duration::from_secs(10),
        "spin took {spin_took:?}"
    );

    // Each call gets a fresh instance: a global set in one call is gone in the next.
    for _ in 0..2 {
        let (status, body) = gw
            .call("misbehave_global_counter", "alice", json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["output"]["count"], 1, "{body}");
    }
}

#[tokio::test]
async fn a_canary_secret_never_leaks_even_when_the_upstream_echoes_it() {
    let s = stack("").await;
    let secret = canary();
    s.fake.add_notion_token(&secret, "Alice");
    s.fake.set_echo(true);
    s.gw.set_api_key("notion", "alice", &secret);
    s.gw.set_api_key("misbehave", "alice", &secret);

    // What the plugin receives: misbehave returns the response it was handed, verbatim.
    let (status, body) = s
        .gw
        .call(
            "misbehave_fetch",
            "alice",
            json!({"url": "https://allowed.test/notion/v1/users/me", "authenticate": true, "headers": [["Notion-Version", "2022-06-28"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen_by_plugin = body.to_string();
    assert_eq!(body["output"]["status"], 200, "{body}");
    assert!(
        seen_by_plugin.contains("[REDACTED]"),
        "the echo should be there, redacted: {body}"
    );
    assert!(
        !seen_by_plugin.contains(&secret),
        "plugin saw the secret: {body}"
    );

    // A real connector with echo on.
    let (status, body) =
        s.gw.call("notion_search", "alice", json!({"query": "Sandbox"}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.to_string().contains(&secret));

    // Positive control: the upstream did receive it.
    assert!(
        s.fake
            .requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {secret}")))
    );
    // Not in any API response, log line, or the database file in clear.
    let (_, conns) = s.gw.get("/v1/admin/connections", &s.gw.admin_key).await;
    assert!(!conns.to_string().contains(&secret));
    assert!(!s.gw.logs().contains(&secret), "secret in logs");
    // Every file under the data folder, the plugin cache and state included.
    let mut files = Vec::new();
    let mut dirs = vec![s.gw.dir.path().join("data")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("data dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "cwasm"))
    );
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "secret in clear in {}",
            path.display()
        );
    }
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let s = stack("").await;
    s.fake.add_notion_token("tok", "Alice");
    s.gw.set_api_key("notion", "alice", "tok");
    let before = s.gw.db_dump();
    s.fake.clear_requests();
    let gw = &s.gw;
    let agent = Some(gw.agent_key.as_str());

    let cases: Vec<(&str, (StatusCode, Value), StatusCode, &str)> = vec![
        (
            "malformed JSON",
            gw.post_raw(
                "/v1/tools/notion_search/call",
                agent,
                "application/json",
                "{\"user_id\": ",
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "not JSON at all",
            gw.post_raw("/v1/tools/notion_search/call", agent, "text/plain", "hello")
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "schema violation",
            gw.call(
                "notion_search",
                "alice",
                json!({"query": 42, "page_size": "many"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "unknown tool",
            gw.call("notion_delete_everything", "alice", json!({}))
                .await,
            StatusCode::NOT_FOUND,
            "tool_not_found",
        ),
        (
            "missing user",
            gw.post_raw(
                "/v1/tools/notion_search/call",
                agent,
                "application/json",
                "{\"input\": {}}",
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "missing agent key",
            gw.post_raw(
                "/v1/tools/notion_search/call",
                None,
                "application/json",
                "{\"user_id\":\"alice\"}",
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "wrong agent key",
            gw.post_raw(
                "/v1/tools/notion_search/call",
                Some("lk_agent_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                "application/json",
                "{\"user_id\":\"alice\"}",
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "admin key used as an agent key",
            gw.post_raw(
                "/v1/tools/notion_search/call",
                Some(&gw.admin_key),
                "application/json",
                "{\"user_id\":\"alice\"}",
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "agent key on an admin endpoint",
            gw.get("/v1/admin/connections", &gw.agent_key).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
    ];
    for (what, (status, body), want_status, want_code) in cases {
        assert_eq!(status, want_status, "{what}: {body}");
        assert_eq!(body["code"], want_code, "{what}: {body}");
        assert_eq!(
            body["type"],
            format!("urn:latchkey:problem:{want_code}"),
            "{what}"
        );
        assert!(
            body["detail"].as_str().is_some_and(|d| d.len() > 10),
            "{what}: detail should explain: {body}"
        );
    }
    let (_, body) = gw
        .call("notion_search", "alice", json!({"page_size": "many"}))
        .await;
    assert!(
        body["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("page_size")),
        "{body}"
    );

    assert_eq!(
        s.gw.db_dump(),
        before,
        "a refused request changed the database"
    );
    assert!(
        s.fake.requests().is_empty(),
        "a refused request reached the upstream"
    );
}

#[tokio::test]
async fn a_user_without_a_connection_is_told_how_to_connect() {
    let s = stack("").await;
    let (status, body) = s.gw.call("linear_list_issues", "bob", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "authorization_required");
    assert_eq!(body["connector"]["id"], "linear");
    assert_eq!(body["connector"]["methods"][0]["type"], "api_key");
    assert!(
        body["connector"]["instructions"]
            .as_str()
            .is_some_and(|i| i.contains("API")),
        "{body}"
    );
    assert!(s.fake.requests().is_empty());
}

#[tokio::test]
async fn swapped_ciphertexts_do_not_open_and_a_wrong_master_key_refuses_start() {
    let mut s = stack("").await;
    s.fake.add_notion_token("tok-alice", "Alice");
    s.fake.add_notion_token("tok-bob", "Bob");
    let alice = s.gw.set_api_key("notion", "alice", "tok-alice");
    let bob = s.gw.set_api_key("notion", "bob", "tok-bob");
    s.gw.stop();

    {
        let conn = rusqlite::Connection::open(s.gw.db_path()).expect("open db");
        conn.execute(
            "UPDATE connection_secrets SET (data_key_id, nonce, ciphertext) = \
             (SELECT data_key_id, nonce, ciphertext FROM connection_secrets WHERE connection_id = ?2) \
             WHERE connection_id = ?1",
            [&alice, &bob],
        )
        .expect("swap");
    }
    s.gw.spawn().await.expect("restart");
    s.fake.clear_requests();
    let (status, body) = s.gw.call("notion_search", "alice", json!({})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(
        s.fake.requests().is_empty(),
        "bob's token must not be used for alice"
    );
    assert!(
        s.gw.wait_for_log("altered, or moved from another record")
            .await
    );

    // A different master key: the gateway refuses to start and says why.
    s.gw.stop();
    let mut wrong = s.gw;
    wrong.set_master_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let err = wrong.spawn().await.expect_err("must refuse to start");
    assert!(err.contains("refusing to start"), "{err}");
}

#[tokio::test]
async fn a_corrupt_config_or_a_broken_plugin_is_reported_clearly() {
    let s = stack("").await;
    let bad = s.gw.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "listen = \"127.0.0.1:0\"\n[egress\nallow_private_addresses = yes\n",
    )
    .expect("write");
    let out = std::process::Command::new(e2e::build::bin("latchkey"))
        .args(["--config"])
        .arg(&bad)
        .arg("serve")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("line 2"),
        "{stderr}"
    );

    // A garbage plugin next to good ones: refused with a reason, the others serve.
    let mut s = s;
    s.gw.stop();
    std::fs::write(
        s.gw.dir.path().join("plugins").join("garbage.wasm"),
        b"\0asm\x0d\0\x01\0junkjunk",
    )
    .expect("write");
    s.gw.spawn()
        .await
        .expect("starts despite the broken plugin");
    assert!(s.gw.wait_for_log("plugin refused").await, "{}", s.gw.logs());
    let (_, plugins) = s.gw.get("/v1/admin/plugins", &s.gw.admin_key).await;
    assert_eq!(
        plugins["plugins"].as_array().map(Vec::len),
        Some(3),
        "{plugins}"
    );
}

/// A full disk — here the database at its configured cap, which SQLite reports exactly as a
/// full disk — answers `storage_unavailable`, stores nothing half-way, loses nothing already
/// acknowledged, and the gateway keeps serving calls.
#[tokio::test]
async fn a_full_disk_answers_storage_unavailable_and_loses_nothing() {
    let s = stack("[vault]\nmax_size_bytes = 262144\n").await;
    s.fake.add_notion_token("tok-alice", "Alice");
    s.gw.set_api_key("notion", "alice", "tok-alice");
    let gw = &s.gw;
    let filler = "k".repeat(16_000);
    let mut stored = Vec::new();
    let mut refused = None;
    for i in 0..64 {
        let user = format!("filler-{i}");
        let body = json!({
            "connector": "notion",
            "user_id": user,
            "credential": {"type": "api_key", "key": format!("{filler}{i}")},
        });
        let (status, answer) = gw.post("/v1/admin/connections", &gw.admin_key, &body).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some((user, answer));
            break;
        }
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        stored.push(user);
    }
    let (user, answer) = refused.expect("a 256 KiB database fills up within 64 writes of 16 kB");
    assert!(!stored.is_empty(), "some writes fit before the cap");
    assert_eq!(answer["code"], "storage_unavailable", "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("nothing was stored")),
        "{answer}"
    );
    assert!(gw.wait_for_log("storage is full").await, "the log says why");

    // Nothing half-stored for the refused user; every acknowledged write kept.
    let (_, none) = gw
        .get(
            &format!("/v1/admin/connections?user_id={user}"),
            &gw.admin_key,
        )
        .await;
    assert_eq!(none["connections"], json!([]), "{none}");
    let (_, all) = gw.get("/v1/admin/connections", &gw.admin_key).await;
    let owners: Vec<&str> = all["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .filter_map(|c| c["owner"]["id"].as_str())
        .collect();
    for u in stored.iter().map(String::as_str).chain(["alice"]) {
        assert!(
            owners.contains(&u),
            "{u} was acknowledged and must still be stored"
        );
    }

    // Still serving: a tool call opens a stored secret and reaches the upstream.
    let (status, out) = gw
        .call("notion_search", "alice", json!({"query": "Sandbox"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}
