//! The MCP protocol details a client depends on, over raw HTTP: cancellation stops a call
//! (and the audit log says so), `notifications/tools/list_changed` when what a session sees
//! changes (2025-11-25 sessions, and `subscriptions/listen` for 2026-07-28), unique
//! elicitation ids, JSON-RPC errors for bad JSON and bad `tools/call` params, and tool
//! annotations.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Stack, stack};

const VERSION: &str = "2026-07-28";

fn url(s: &Stack) -> String {
    format!("{}/mcp", s.gw.base_url)
}

/// A POST to /mcp with the agent key, as `user`, in `session` (legacy) when given.
fn post(s: &Stack, session: Option<&str>, user: Option<&str>) -> reqwest::RequestBuilder {
    let mut req =
        s.gw.http
            .post(url(s))
            .bearer_auth(&s.gw.agent_key)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
    if let Some(id) = session {
        req = req
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", "2025-11-25");
    }
    if let Some(u) = user {
        req = req.header("latchkey-user", u);
    }
    req
}

/// A 2026-07-28 request: version and capabilities in `_meta`, the standard headers.
fn modern(
    s: &Stack,
    id: u64,
    method: &str,
    params: Value,
    user: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"url": {}}},
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
    });
    let mut req = post(s, None, user)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", method);
    if method == "tools/call"
        && let Some(name) = params["name"].as_str()
    {
        req = req.header("mcp-name", name);
    }
    req.body(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string())
}

/// The first JSON-RPC message of a response (JSON, or the first data line of an SSE stream).
async fn first_message(resp: reqwest::Response) -> Value {
    let mut stream = Sse::new(resp);
    stream
        .next_message(Duration::from_secs(30))
        .await
        .expect("a message")
}

/// Reads the JSON-RPC messages of an SSE (or JSON) response as they arrive.
struct Sse {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buffer: String,
}

impl Sse {
    fn new(resp: reqwest::Response) -> Sse {
        Sse {
            body: resp.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next message, waiting up to `timeout`; `None` when the stream ended or time ran out.
    async fn next_message(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // A whole JSON body, or complete `data:` lines.
            if let Ok(v) = serde_json::from_str::<Value>(self.buffer.trim())
                && v.is_object()
            {
                self.buffer.clear();
                return Some(v);
            }
            while let Some(end) = self.buffer.find('\n') {
                let line: String = self.buffer.drain(..=end).collect();
                if let Some(data) = line.trim().strip_prefix("data:")
                    && let Ok(v) = serde_json::from_str::<Value>(data.trim())
                {
                    return Some(v);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await;
            match chunk {
                Ok(Some(Ok(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Skip messages until one satisfies `want`.
    async fn until(&mut self, timeout: Duration, want: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let m = self.next_message(left).await?;
            if want(&m) {
                return Some(m);
            }
        }
    }
}

/// Open a 2025-11-25 session (declaring URL elicitation) and finish its handshake.
async fn session(s: &Stack, user: Option<&str>) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {"elicitation": {"url": {}}},
        "clientInfo": {"name": "raw", "version": "1"},
    }});
    let resp = post(s, None, user)
        .body(init.to_string())
        .send()
        .await
        .expect("init");
    assert_eq!(resp.status(), StatusCode::OK);
    let id = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("session id")
        .to_string();
    let _ = first_message(resp).await;
    let done = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let resp = post(s, Some(&id), user)
        .body(done.to_string())
        .send()
        .await
        .expect("initialized");
    assert!(resp.status().is_success(), "{}", resp.status());
    id
}

/// Audit entries for `tool`.
async fn audit_for(s: &Stack, tool: &str) -> Vec<Value> {
    let (status, body) =
        s.gw.get("/v1/admin/audit?limit=1000", &s.gw.admin_key)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["tool"] == tool)
        .collect()
}

/// Wait (up to 15 s) for an audit entry of `tool` with `outcome`.
async fn audited(s: &Stack, tool: &str, outcome: &str) -> bool {
    for _ in 0..60 {
        if audit_for(s, tool)
            .await
            .iter()
            .any(|e| e["outcome"] == outcome)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

async fn cancel(s: &Stack, session: &str, request_id: u64) {
    let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": request_id, "reason": "the user changed their mind"}});
    let resp = post(s, Some(session), None)
        .body(note.to_string())
        .send()
        .await
        .expect("cancel");
    assert!(resp.status().is_success(), "{}", resp.status());
}

#[tokio::test]
async fn a_cancelled_call_stops_while_it_runs_and_while_it_waits_for_the_user() {
    let s = stack(
        "[mcp]\nelicitation_wait_seconds = 120\n\n[connectors.misbehave.limits]\ncpu_time = 60000\nwall_time = 60000\n",
    )
    .await;
    s.gw.set_api_key("misbehave", "alice", "k");

    // A call that runs (and would run a minute): cancelled after it started.
    let id = session(&s, Some("alice")).await;
    let call = json!({"jsonrpc": "2.0", "id": 11, "method": "tools/call",
        "params": {"name": "misbehave_spin", "arguments": {}}});
    let running = post(&s, Some(&id), Some("alice"))
        .body(call.to_string())
        .send()
        .await
        .expect("call");
    assert_eq!(running.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(800)).await;
    cancel(&s, &id, 11).await;
    assert!(
        audited(&s, "misbehave_spin", "cancelled").await,
        "the cancelled call is audited as cancelled: {:?}",
        audit_for(&s, "misbehave_spin").await
    );
    drop(running);

    // A call waiting for the user (URL elicitation sent): cancelled during the wait.
    let id = session(&s, Some("dora")).await;
    let call = json!({"jsonrpc": "2.0", "id": 12, "method": "tools/call",
        "params": {"name": "linear_get_viewer", "arguments": {}}});
    let waiting = post(&s, Some(&id), Some("dora"))
        .body(call.to_string())
        .send()
        .await
        .expect("call");
    let mut stream = Sse::new(waiting);
    let asked = stream
        .until(Duration::from_secs(30), |m| {
            m["method"] == "elicitation/create"
        })
        .await
        .expect("an elicitation");
    assert!(
        asked["params"]["elicitationId"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{asked}"
    );
    cancel(&s, &id, 12).await;
    assert!(
        audited(&s, "linear_get_viewer", "cancelled").await,
        "the cancelled wait is audited: {:?}",
        audit_for(&s, "linear_get_viewer").await
    );
    let result = stream
        .until(Duration::from_secs(3), |m| m["id"] == 12)
        .await;
    assert!(result.is_none(), "no answer after a cancel: {result:?}");
}

#[tokio::test]
async fn sessions_and_listeners_hear_when_their_tools_change() {
    let s = stack("").await;
    // 2025-11-25: the session's standalone stream.
    let id = session(&s, Some("alice")).await;
    let standalone =
        s.gw.http
            .get(url(&s))
            .bearer_auth(&s.gw.agent_key)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &id)
            .header("mcp-protocol-version", "2025-11-25")
            .header("latchkey-user", "alice")
            .send()
            .await
            .expect("GET stream");
    assert_eq!(standalone.status(), StatusCode::OK);
    let mut legacy = Sse::new(standalone);

    // 2026-07-28: a subscriptions/listen stream.
    let listen = modern(
        &s,
        21,
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true}}),
        Some("alice"),
    )
    .send()
    .await
    .expect("listen");
    assert_eq!(listen.status(), StatusCode::OK);
    let mut listener = Sse::new(listen);
    let ack = listener
        .until(Duration::from_secs(10), |m| {
            m["method"] == "notifications/subscriptions/acknowledged"
        })
        .await
        .expect("acknowledged");
    assert_eq!(
        ack["params"]["notifications"]["toolsListChanged"], true,
        "{ack}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;

    // A hot unload changes what this caller sees.
    let (status, body) =
        s.gw.delete("/v1/admin/plugins/misbehave", &s.gw.admin_key)
            .await;
    assert!(status.is_success(), "{status} {body}");
    let changed = |m: &Value| m["method"] == "notifications/tools/list_changed";
    assert!(
        legacy
            .until(Duration::from_secs(15), changed)
            .await
            .is_some(),
        "the 2025-11-25 session is told"
    );
    assert!(
        listener
            .until(Duration::from_secs(15), changed)
            .await
            .is_some(),
        "the 2026-07-28 listener is told"
    );
}

#[tokio::test]
async fn elicitation_ids_are_unique_and_framing_errors_are_json_rpc() {
    let s = stack("").await;
    // Two input requests for the same missing connection: two non-empty, different ids.
    let mut ids = Vec::new();
    for n in 0..2 {
        let resp = modern(
            &s,
            30 + n,
            "tools/call",
            json!({"name": "linear_get_viewer", "arguments": {}}),
            Some("erin"),
        )
        .send()
        .await
        .expect("call");
        let answer = first_message(resp).await;
        let request = &answer["result"]["inputRequests"]["latchkey_connect"];
        assert_eq!(request["method"], "elicitation/create", "{answer}");
        let id = request["params"]["elicitationId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty(), "{answer}");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);

    // Not JSON: 400 and a JSON-RPC parse error.
    let resp = post(&s, None, None)
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.contains("json"))
    );
    let refused: Value = resp.json().await.expect("json");
    assert_eq!(refused["error"]["code"], -32700, "{refused}");

    // tools/call with params that are not {name, arguments}: invalid params, with the id.
    let resp = modern(&s, 41, "tools/call", json!({"name": 5}), Some("erin"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let refused: Value = resp.json().await.expect("json");
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    assert_eq!(refused["id"], 41, "{refused}");

    // A plain-text rejection of the SDK (wrong Accept) arrives as JSON-RPC too.
    let resp =
        s.gw.http
            .post(url(&s))
            .bearer_auth(&s.gw.agent_key)
            .header("content-type", "application/json")
            .header("accept", "text/plain")
            .body(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string())
            .send()
            .await
            .expect("post");
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let refused: Value = resp.json().await.expect("a JSON body");
    assert!(refused["error"]["message"].is_string(), "{refused}");
}

#[tokio::test]
async fn tools_carry_a_title_and_read_write_annotations() {
    let s = stack("").await;
    let resp = modern(&s, 51, "tools/list", json!({}), Some("alice"))
        .send()
        .await
        .expect("list");
    let list = first_message(resp).await;
    let tools = list["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let tool = |name: &str| {
        tools
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {list}"))
    };
    let write = tool("linear_create_issue");
    assert_eq!(write["title"], "Linear: Create issue", "{write}");
    assert_eq!(write["annotations"]["readOnlyHint"], false, "{write}");
    assert_eq!(write["annotations"]["destructiveHint"], true, "{write}");
    assert_eq!(write["annotations"]["idempotentHint"], false, "{write}");
    let read = tool("linear_get_viewer");
    assert_eq!(read["title"], "Linear: Get viewer", "{read}");
    assert_eq!(read["annotations"]["readOnlyHint"], true, "{read}");
}
