//! Hostile plugins against the real binary: each trick is contained, and the gateway keeps
//! serving everyone else. (Loops, memory growth, recursion and traps are also in skeleton.rs;
//! here they are checked in bulk, with metrics, and alongside output and egress tricks.)

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::variant::shapeshift;
use e2e::{Gateway, GatewayOptions, build};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::canary;

/// A bare HTTP/1.1 upstream for `https://allowed.test`: `/redirect?to=URL` answers 302,
/// `/big` sends 9 MiB, anything else echoes the request head. It records every head.
struct Upstream {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = heads.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                log.lock().expect("log").push(head.clone());
                let target = head.split(' ').nth(1).unwrap_or("/").to_string();
                let response: Vec<u8> = if let Some(to) = target.split_once("to=").map(|(_, t)| t) {
                    format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
                } else if target.starts_with("/big") {
                    let size = 9 << 20;
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
                    )
                    .into_bytes();
                    r.resize(r.len() + size, b'x');
                    r
                } else {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}", head.len()).into_bytes()
                };
                let _ = s.write_all(&response);
            });
        }
    });
    Upstream { port, heads }
}

/// A listener that only counts connection attempts: nothing may ever reach it.
fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for _ in listener.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, count)
}

async fn hostile_gateway(up: &Upstream, extra: &str) -> Gateway {
    e2e::install_crypto_provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("shapeshift.wasm");
    std::fs::write(&good, shapeshift(json!({}))).expect("write");
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![
            build::fixture("misbehave"),
            build::fixture("rogue_import"),
            good,
        ],
        overrides: vec![(
            "https://allowed.test".into(),
            format!("http://127.0.0.1:{}", up.port),
        )],
        extra_config: extra.to_string(),
        ..GatewayOptions::default()
    })
    .await;
    gw.set_api_key("misbehave", "alice", "k");
    gw.set_api_key("shapeshift", "alice", "k");
    gw
}

async fn fetch(gw: &Gateway, input: Value) -> Value {
    let (status, body) = gw.call("misbehave_fetch", "alice", input).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["output"].clone()
}

#[tokio::test]
async fn egress_tricks_are_refused_before_any_connection() {
    let up = upstream();
    let gw = hostile_gateway(&up, "").await;
    let (port, accepts) = counting_listener();

    let tricks = [
        format!("https://allowed.test/redirect?to=http://127.0.0.1:{port}/steal"),
        format!("https://allowed.test/redirect?to=http://evil.test:{port}/steal"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("https://allowed.test@127.0.0.1:{port}/"),
        format!("http://127.0.0.1:{port}#@allowed.test/"),
        format!("http://127.0.0.1:{port}\\@allowed.test/"),
        "https://allowed.test./".to_string(),
        format!("http://127.0.0.1.:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f000001:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
    ];
    for url in &tricks {
        let out = fetch(&gw, json!({"url": url, "authenticate": true})).await;
        let kind = out["http_error"]["kind"].as_str().unwrap_or("none");
        assert!(matches!(kind, "denied" | "invalid-request"), "{url}: {out}");
    }

    // CR/LF in a header name or value never reaches the wire.
    for header in [
        json!(["X-A\r\nX-Injected", "1"]),
        json!(["X-A", "v\r\nX-Injected: 1"]),
    ] {
        let out = fetch(
            &gw,
            json!({"url": "https://allowed.test/echo", "headers": [header]}),
        )
        .await;
        assert_eq!(out["http_error"]["kind"], "invalid-request", "{out}");
    }
    // An oversized response is cut off, not buffered whole.
    let out = fetch(&gw, json!({"url": "https://allowed.test/big"})).await;
    assert_eq!(out["http_error"]["kind"], "too-large", "{out}");

    // Positive control: the allowed origin is reached, without anything injected.
    let out = fetch(&gw, json!({"url": "https://allowed.test/echo"})).await;
    assert_eq!(out["status"], 200, "{out}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        accepts.load(Ordering::SeqCst),
        0,
        "no connection may reach the private listener"
    );
    let heads = up.heads.lock().expect("heads").join("\n");
    assert!(!heads.contains("X-Injected"), "{heads}");
    assert!(
        !heads.contains("GET /steal"),
        "a redirect was followed: {heads}"
    );
}

#[tokio::test]
async fn a_plugin_cannot_place_the_credential_where_it_could_read_it_back() {
    let up = upstream();
    let gw = hostile_gateway(&up, "").await;
    for header in [
        "Cookie",
        "Set-Cookie",
        "Host",
        "Location",
        "Content-Type",
        "Transfer-Encoding",
    ] {
        let bytes = shapeshift(json!({"id": "peek", "placement": {"header": header}}));
        let (status, body) = gw
            .post_bytes("/v1/admin/plugins", &gw.admin_key, bytes)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{header}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("cannot be placed")),
            "{header}: {body}"
        );
    }

    // A query placement toward an upstream that reflects the request: the plugin sees
    // the echo with the secret redacted; the upstream did get it.
    let bytes = shapeshift(json!({"id": "peek", "placement": {"query": "key"}}));
    let (status, body) = gw
        .post_bytes("/v1/admin/plugins", &gw.admin_key, bytes)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = canary();
    gw.set_api_key("peek", "alice", &secret);
    let (status, body) = gw
        .call(
            "peek_fetch",
            "alice",
            json!({"url": "https://allowed.test/echo", "authenticate": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = body.to_string();
    assert!(seen.contains("[REDACTED]"), "{body}");
    assert!(
        !seen.contains(&secret),
        "the plugin read the secret back: {body}"
    );
    assert!(
        up.heads
            .lock()
            .expect("heads")
            .iter()
            .any(|h| h.contains(&secret)),
        "positive control"
    );
    assert!(!gw.logs().contains(&secret), "secret in logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_output_imports_and_runaways_are_contained_while_others_are_served() {
    let up = upstream();
    let gw = Arc::new(
        hostile_gateway(
            &up,
            "[connectors.misbehave.limits]\ncpu_time = 300\nmemory_bytes = 33554432\n",
        )
        .await,
    );

    // Refused at load, named, and nothing else affected.
    let (_, list) = gw.get("/v1/admin/plugins", &gw.admin_key).await;
    let refused = list["rejected_files"].to_string();
    assert!(
        refused.contains("rogue_import.wasm") && refused.contains("latchkey:vault/secrets"),
        "{list}"
    );

    let good = {
        let gw = gw.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                let (status, body) = gw.call("shapeshift_version", "alice", json!({})).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        })
    };
    let cases = [
        (
            "misbehave_nested_output",
            json!({"depth": 200000}),
            "not valid JSON",
        ),
        ("misbehave_invalid_utf8", json!({}), "crashed"),
        (
            "misbehave_huge_output",
            json!({"bytes": 5 << 20}),
            "returned more than",
        ),
        ("misbehave_spin", json!({}), "time limit"),
        ("misbehave_grow", json!({}), "memory limit"),
        ("misbehave_recurse", json!({}), "crashed"),
    ];
    for (tool, input, expected) in cases {
        let (status, body) = gw.call(tool, "alice", input).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{tool}: {body}");
        assert_eq!(body["code"], "plugin_failed", "{tool}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains(expected)),
            "{tool}: {body} should say {expected}"
        );
    }
    // Moderate nesting is fine: the limit is on depth, not on nesting as such.
    let (status, body) = gw
        .call("misbehave_nested_output", "alice", json!({"depth": 50}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    good.await.expect("good calls");

    // A global set in one call is not visible in the next, even with calls side by side.
    let mut counters = Vec::new();
    for _ in 0..16 {
        let gw = gw.clone();
        counters.push(tokio::spawn(async move {
            gw.call("misbehave_global_counter", "alice", json!({}))
                .await
        }));
    }
    for c in counters {
        let (status, body) = c.await.expect("join");
        assert_eq!(
            (status, body["output"]["count"].clone()),
            (StatusCode::OK, json!(1)),
            "{body}"
        );
    }

    // Every containment is counted, per connector.
    let (_, list) = gw.get("/v1/admin/plugins", &gw.admin_key).await;
    let m = list["plugins"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == "misbehave"))
        .map(|p| p["metrics"].clone())
        .expect("misbehave listed");
    assert_eq!(
        (m["timeouts"].clone(), m["memory_limits"].clone()),
        (json!(1), json!(1)),
        "{m}"
    );
    assert!(m["traps"].as_u64().is_some_and(|t| t >= 2), "{m}");
    assert_eq!(m["bad_output"], 2, "{m}");
    let resp = gw
        .http
        .get(format!("{}/v1/admin/metrics", gw.base_url))
        .bearer_auth(&gw.admin_key)
        .send()
        .await
        .expect("metrics");
    let text = resp.text().await.expect("text");
    assert!(
        text.contains("latchkey_plugin_timeouts_total{connector=\"misbehave\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("latchkey_plugin_call_duration_seconds_count{connector=\"shapeshift\"}"),
        "{text}"
    );
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_traps_interleaved_with_good_calls_leave_memory_flat() {
    let up = upstream();
    let gw = Arc::new(hostile_gateway(&up, "").await);
    let pid = gw.pid().expect("running");

    async fn round(gw: Arc<Gateway>, traps: usize) -> usize {
        let mut workers = Vec::new();
        for w in 0..8 {
            let gw = gw.clone();
            workers.push(tokio::spawn(async move {
                let mut good = 0;
                for i in (w..traps).step_by(8) {
                    let (status, body) = gw.call("misbehave_trap", "alice", json!({})).await;
                    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
                    let (status, body) = gw.call("misbehave_echo", "alice", json!({"i": i})).await;
                    assert_eq!(status, StatusCode::OK, "good call {i} failed: {body}");
                    assert_eq!(body["output"]["i"], i, "{body}");
                    good += 1;
                }
                good
            }));
        }
        let mut good = 0;
        for w in workers {
            good += w.await.expect("worker");
        }
        good
    }

    // Warm up (pool slots, allocator arenas), then measure across 1,000 traps.
    round(gw.clone(), 100).await;
    let before = rss_kib(pid);
    let good = round(gw.clone(), 1000).await;
    let after = rss_kib(pid);
    assert_eq!(good, 1000, "every good call succeeded");
    let grown_mib = after.saturating_sub(before) / 1024;
    eprintln!(
        "gateway RSS: {} MiB before, {} MiB after 1,000 traps",
        before / 1024,
        after / 1024
    );
    assert!(
        grown_mib < 128,
        "RSS grew by {grown_mib} MiB across 1,000 traps"
    );
}

/// Calls running on the misbehave connector's active version, as the admin API reports them.
async fn misbehave_in_flight(gw: &Gateway) -> u64 {
    let (_, list) = gw.get("/v1/admin/plugins", &gw.admin_key).await;
    list["plugins"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["id"] == "misbehave"))
        .and_then(|p| p["active"]["in_flight"].as_u64())
        .unwrap_or_else(|| panic!("misbehave in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_hangs_up_stops_the_plugin_and_frees_its_slot_only_then() {
    let up = upstream();
    // A budget far longer than the test: only the hang-up can stop this spin.
    let gw = hostile_gateway(
        &up,
        "[connectors.misbehave.limits]\ncpu_time = 30000\nwall_time = 30000\n",
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    let hung_up = impatient
        .post(format!("{}/v1/tools/misbehave_spin/call", gw.base_url))
        .bearer_auth(&gw.agent_key)
        .json(&json!({"user_id": "alice", "input": {}}))
        .send()
        .await;
    assert!(hung_up.is_err(), "the spin answered: {hung_up:?}");
    // The instance may still be spinning for a tick: while it lives, it counts (and holds its
    // slot); once the cancellation reaches the store, it is gone — long before its 30 s budget.
    // Its end is logged by the thread that ran it: the count is checked against that.
    let stopped = tokio::time::Instant::now();
    loop {
        // Read in this order: the instance logs its end before it stops counting.
        let live = misbehave_in_flight(&gw).await;
        let ended = gw
            .logs()
            .contains("plugin call stopped: its caller went away");
        if ended && live == 0 {
            break;
        }
        assert!(live <= 1, "one hung-up call, {live} live instances");
        assert!(
            stopped.elapsed() < Duration::from_secs(5),
            "after 5 s: {live} live instance(s), end logged: {ended} — the plugin kept \
             spinning after its caller left, or spun uncounted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The connector still serves the next call.
    let (status, body) = gw.call("misbehave_echo", "alice", json!({"x": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
