//! The MCP face with real clients: the official TypeScript SDKs (2025-11-25 with sessions,
//! 2026-07-28 stateless) and the official Python SDK list tools, call them, see the connect
//! link when a user must act (as a tool error, or as a URL elicitation), and succeed once the
//! link was followed. Plus least privilege, inbound authorization, DNS-rebinding defence,
//! version negotiation, and no token passthrough.

mod common;

use e2e::mcp::{McpClient, Scenario, Sdk};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Stack, stack};

const KEY: &str = "lin_api_bob";

/// Follow a connect link as a browser would: submit the API key on the connect page.
async fn connect_linear(link: &str) {
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = b.get(link).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK, "{link}");
    let done = b
        .post(format!("{link}/credential"))
        .form(&[("kind", "api_key"), ("secret", KEY)])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.text()
            .await
            .expect("html")
            .contains("Linear is connected")
    );
}

/// The link in a tool error's text: the last word that starts with the gateway's URL.
fn link_in(text: &str, base: &str) -> String {
    text.split_whitespace()
        .rev()
        .find(|w| w.starts_with(base))
        .unwrap_or_else(|| panic!("no link to {base} in {text:?}"))
        .to_string()
}

/// Everything the fake upstream received never carries `secrets`, and Linear got the key.
fn assert_no_passthrough(s: &Stack, secrets: &[&str]) {
    let requests = s.fake.requests();
    let linear: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/linear"))
        .collect();
    assert!(!linear.is_empty(), "Linear was called");
    for r in &requests {
        let seen = format!("{} {:?} {}", r.path, r.headers, r.body);
        for secret in secrets {
            assert!(
                !seen.contains(secret),
                "the caller's token reached the upstream: {seen}"
            );
        }
    }
    assert!(
        linear
            .iter()
            .all(|r| r.header("authorization") == Some(KEY)),
        "the gateway attached the user's Linear key itself"
    );
    for secret in secrets {
        assert!(!s.gw.logs().contains(secret), "a token reached the logs");
    }
}

/// The scenario every client runs without elicitation: list, call (needs the user), pause
/// while the test follows the link, call again.
async fn lists_calls_relays_the_link_and_succeeds_after_connecting(
    sdk: Sdk,
    version: &str,
    expect_version: &str,
) {
    let s = stack("").await;
    s.fake.add_linear_key(KEY, "Bob");
    let scenario = Scenario::new(&s.gw.base_url, &s.gw.agent_key)
        .user("bob")
        .version(version)
        .list()
        .call("linear_get_viewer", json!({}))
        .pause()
        .call("linear_get_viewer", json!({}));
    let mut c = McpClient::start(sdk, &scenario);
    let connected = c.expect("connected").await;
    assert_eq!(connected["protocolVersion"], expect_version, "{connected}");

    let tools = c.expect("tools").await;
    let listed = tools["tools"].as_array().expect("tools");
    let viewer = listed
        .iter()
        .find(|t| t["name"] == "linear_get_viewer")
        .unwrap_or_else(|| panic!("linear_get_viewer listed: {tools}"));
    assert_eq!(viewer["inputSchema"]["type"], "object", "{viewer}");
    assert!(listed.iter().any(|t| t["name"] == "notion_search"));

    let first = c.expect("result").await;
    assert_eq!(first["isError"], true, "{first}");
    assert_eq!(first["structured"]["code"], "authorization_required");
    let text = first["text"].as_str().expect("text");
    assert!(text.contains("connect Linear"), "{text}");
    let link = link_in(text, &s.gw.base_url);
    assert_eq!(first["structured"]["connect_url"], link.as_str());

    c.expect("paused").await;
    connect_linear(&link).await;
    c.reply("go");
    let second = c.expect("result").await;
    assert_eq!(second["isError"], false, "{second}");
    assert!(
        second["text"].as_str().expect("text").contains("Bob"),
        "{second}"
    );
    c.finish().await;
    assert_no_passthrough(&s, &[&s.gw.agent_key]);
}

#[tokio::test]
async fn typescript_sdk_2025_11_25_lists_calls_and_relays_the_connect_link() {
    lists_calls_relays_the_link_and_succeeds_after_connecting(
        Sdk::TypeScriptV1,
        "auto",
        "2025-11-25",
    )
    .await;
}

#[tokio::test]
async fn typescript_sdk_2026_07_28_lists_calls_and_relays_the_connect_link() {
    lists_calls_relays_the_link_and_succeeds_after_connecting(
        Sdk::TypeScriptV2,
        "2026-07-28",
        "2026-07-28",
    )
    .await;
}

#[tokio::test]
async fn python_sdk_negotiates_2026_07_28_lists_calls_and_relays_the_connect_link() {
    lists_calls_relays_the_link_and_succeeds_after_connecting(Sdk::Python, "auto", "2026-07-28")
        .await;
}

/// With URL elicitation declared, the call itself asks the user and then completes.
async fn url_elicitation_completes_the_call(sdk: Sdk, version: &str) {
    let s = stack("").await;
    s.fake.add_linear_key(KEY, "Bob");
    let scenario = Scenario::new(&s.gw.base_url, &s.gw.agent_key)
        .user("bob")
        .version(version)
        .elicitation()
        .call("linear_get_viewer", json!({}))
        .call("linear_list_issues", json!({}));
    let mut c = McpClient::start(sdk, &scenario);
    c.expect("connected").await;
    let asked = c.expect("elicitation").await;
    assert_eq!(asked["mode"], "url", "{asked}");
    let link = asked["url"].as_str().expect("url").to_string();
    assert!(
        link.starts_with(&format!("{}/connect/", s.gw.base_url)),
        "{link}"
    );
    assert!(
        asked["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Linear"),
        "{asked}"
    );
    connect_linear(&link).await;
    c.reply("accept");
    let done = c.expect("result").await;
    assert_eq!(done["isError"], false, "{done}");
    assert!(
        done["text"].as_str().expect("text").contains("Bob"),
        "{done}"
    );
    // Connected now: the next call asks nothing.
    let next = c.expect("result").await;
    assert_eq!(next["isError"], false, "{next}");
    c.finish().await;
    assert_no_passthrough(&s, &[&s.gw.agent_key]);
}

#[tokio::test]
async fn typescript_sdk_2025_11_25_url_elicitation_then_the_call_completes() {
    url_elicitation_completes_the_call(Sdk::TypeScriptV1, "auto").await;
}

#[tokio::test]
async fn typescript_sdk_2026_07_28_input_required_elicitation_then_the_call_completes() {
    url_elicitation_completes_the_call(Sdk::TypeScriptV2, "2026-07-28").await;
}

#[tokio::test]
async fn python_sdk_2025_11_25_url_elicitation_then_the_call_completes() {
    url_elicitation_completes_the_call(Sdk::Python, "legacy").await;
}

#[tokio::test]
async fn python_sdk_2026_07_28_input_required_elicitation_then_the_call_completes() {
    url_elicitation_completes_the_call(Sdk::Python, "2026-07-28").await;
}

#[tokio::test]
async fn a_declined_elicitation_answers_with_the_link() {
    let s = stack("").await;
    for (sdk, version) in [
        (Sdk::TypeScriptV1, "auto"),
        (Sdk::TypeScriptV2, "2026-07-28"),
    ] {
        let scenario = Scenario::new(&s.gw.base_url, &s.gw.agent_key)
            .user("dora")
            .version(version)
            .elicitation()
            .call("linear_get_viewer", json!({}));
        let mut c = McpClient::start(sdk, &scenario);
        c.expect("connected").await;
        let asked = c.expect("elicitation").await;
        c.reply("decline");
        let result = c.expect("result").await;
        assert_eq!(result["isError"], true, "{result}");
        assert_eq!(result["structured"]["code"], "authorization_required");
        let link = link_in(result["text"].as_str().expect("text"), &s.gw.base_url);
        assert_eq!(Some(link.as_str()), asked["url"].as_str(), "the same link");
        c.finish().await;
    }
}

async fn define_pack(s: &Stack, name: &str, tools: &[&str]) {
    let (status, body) =
        s.gw.put_json(
            &format!("/v1/admin/packs/{name}"),
            &s.gw.admin_key,
            &json!({ "tools": tools }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn agent_key_for(s: &Stack, packs: &[&str]) -> String {
    let (status, body) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "mcp-scoped", "packs": packs}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["key"].as_str().expect("key").to_string()
}

fn names(tools: &Value) -> Vec<String> {
    let mut n: Vec<String> = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_user_session_sees_only_its_pack_and_cannot_call_outside_it_or_for_another_user() {
    let s = stack("").await;
    s.fake.add_linear_key(KEY, "Bob");
    s.gw.set_api_key("linear", "bob", KEY);
    define_pack(&s, "reader", &["linear_get_viewer", "linear_list_issues"]).await;
    let key = agent_key_for(&s, &["reader"]).await;
    let (status, session) =
        s.gw.post("/v1/sessions", &key, &json!({"user_id": "bob"}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().expect("token").to_string();

    for sdk in [Sdk::TypeScriptV1, Sdk::Python] {
        let scenario = Scenario::new(&s.gw.base_url, &token)
            .list()
            .call("linear_get_viewer", json!({}))
            .call(
                "linear_create_issue",
                json!({"team_id": "t", "title": "no"}),
            )
            .call("notion_search", json!({"query": "x"}));
        let mut c = McpClient::start(sdk, &scenario);
        c.expect("connected").await;
        let tools = c.expect("tools").await;
        assert_eq!(names(&tools), ["linear_get_viewer", "linear_list_issues"]);
        let ok = c.expect("result").await;
        assert_eq!(ok["isError"], false, "{ok}");
        for _ in 0..2 {
            let refused = c.expect("error").await;
            assert_eq!(refused["code"], -32602, "{refused}");
            assert_eq!(refused["data"]["code"], "tool_not_allowed", "{refused}");
        }
        c.finish().await;
    }

    // A user session acts for its own user: a header naming someone else is refused.
    let scenario = Scenario::new(&s.gw.base_url, &token)
        .user("mallory")
        .call("linear_get_viewer", json!({}));
    let mut c = McpClient::start(Sdk::TypeScriptV2, &scenario.version("2026-07-28"));
    c.expect("connected").await;
    let refused = c.expect("result").await;
    assert_eq!(refused["isError"], true, "{refused}");
    assert_eq!(refused["structured"]["code"], "session_user_mismatch");
    c.finish().await;

    // An agent key without the host app's user header acts for nobody.
    let scenario = Scenario::new(&s.gw.base_url, &key).call("linear_get_viewer", json!({}));
    let mut c = McpClient::start(Sdk::TypeScriptV1, &scenario);
    c.expect("connected").await;
    let refused = c.expect("result").await;
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(
        refused["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Latchkey-User"),
        "{refused}"
    );
    c.finish().await;
    assert_no_passthrough(&s, &[&token, &key]);
}

#[tokio::test]
async fn a_client_without_a_valid_token_is_refused_by_the_real_sdk() {
    let s = stack("").await;
    let mut scenario = Scenario::new(&s.gw.base_url, "lk_agent_0000000000000000_nope").list();
    let mut c = McpClient::start(Sdk::TypeScriptV1, &scenario);
    let failed = c.expect("connect_failed").await;
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("401")
            || failed["message"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains("unauthorized"),
        "{failed}"
    );
    // A pinned 2026-07-28 client sends nothing until its first request: that one fails.
    scenario.token = None;
    let mut c = McpClient::start(Sdk::Python, &scenario.version("2026-07-28"));
    let mut outcome = c.next().await;
    if outcome["event"] == "connected" {
        outcome = c.next().await;
    }
    assert_eq!(
        outcome["event"], "error",
        "no tools without a token: {outcome}"
    );
}

/// POST one JSON-RPC message to /mcp with the given headers.
async fn post_mcp(s: &Stack, headers: &[(&str, &str)], body: Value) -> reqwest::Response {
    let mut req =
        s.gw.http
            .post(format!("{}/mcp", s.gw.base_url))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body.to_string()).send().await.expect("request")
}

fn modern(method: &str, version: &str, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
    });
    json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
}

/// The JSON-RPC message in a response (JSON or a one-event SSE stream).
async fn message(resp: reqwest::Response) -> Value {
    let text = resp.text().await.expect("body");
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| !d.is_empty())
        .map(str::to_string)
        .unwrap_or(text);
    serde_json::from_str(&data).unwrap_or_else(|_| json!({ "raw": data }))
}

#[tokio::test]
async fn inbound_authorization_protected_resource_metadata_and_rebinding_defence() {
    let s = stack("").await;
    let base = s.gw.base_url.clone();
    let metadata_url = format!("{base}/.well-known/oauth-protected-resource/mcp");
    let list = modern("tools/list", "2026-07-28", json!({}));
    let list_headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/list"),
    ];

    // No token: 401 and a challenge pointing at the metadata.
    let resp = post_mcp(&s, &list_headers, list.clone()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .expect("text")
        .to_string();
    assert_eq!(
        challenge,
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );

    // A wrong, an admin (another audience) and a revoked token: 401 invalid_token.
    let (status, revoked) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "gone", "all_tools": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revoked}");
    let (status, _) =
        s.gw.delete(
            &format!(
                "/v1/admin/agent-keys/{}",
                revoked["id"].as_str().expect("id")
            ),
            &s.gw.admin_key,
        )
        .await;
    assert!(status.is_success());
    let revoked_key = revoked["key"].as_str().expect("key").to_string();
    for token in [
        "lk_agent_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL290aGVyIn0.sig".to_string(),
        s.gw.admin_key.clone(),
        revoked_key,
    ] {
        let auth = format!("Bearer {token}");
        let mut headers = list_headers.to_vec();
        headers.push(("authorization", &auth));
        let resp = post_mcp(&s, &headers, list.clone()).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{token}");
        let challenge = resp.headers()["www-authenticate"].to_str().expect("text");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains(&metadata_url), "{challenge}");
    }

    // The metadata documents (RFC 9728), path-suffixed for /mcp and for the whole gateway.
    let doc: Value =
        s.gw.http
            .get(&metadata_url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
    assert_eq!(doc["resource"], format!("{base}/mcp"));
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    let root: Value =
        s.gw.http
            .get(format!("{base}/.well-known/oauth-protected-resource"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
    assert_eq!(root["resource"], base.as_str());

    // A valid key works; from a foreign Origin or Host it is refused before anything else.
    let auth = format!("Bearer {}", s.gw.agent_key);
    let mut ok = list_headers.to_vec();
    ok.push(("authorization", &auth));
    let resp = post_mcp(&s, &ok, list.clone()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut loopback = ok.clone();
    loopback.push(("origin", "http://localhost:5173"));
    assert_eq!(
        post_mcp(&s, &loopback, list.clone()).await.status(),
        StatusCode::OK
    );
    for (name, value) in [
        ("origin", "http://attacker.example"),
        ("origin", "null"),
        ("host", "attacker.example"),
    ] {
        let mut bad = ok.clone();
        bad.push((name, value));
        let resp = post_mcp(&s, &bad, list.clone()).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        // Refused first: even without a token it is 403, not 401.
        let resp = post_mcp(&s, &[(name, value)], list.clone()).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
}

#[tokio::test]
async fn versions_are_negotiated_per_revision() {
    let s = stack("").await;
    let auth = format!("Bearer {}", s.gw.agent_key);

    // 2026-07-28: server/discover names both revisions.
    let discover = modern("server/discover", "2026-07-28", json!({}));
    let resp = post_mcp(
        &s,
        &[
            ("authorization", &auth),
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "server/discover"),
        ],
        discover,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let found = message(resp).await;
    assert_eq!(
        found["result"]["supportedVersions"],
        json!(["2026-07-28", "2025-11-25"]),
        "{found}"
    );

    // An unknown per-request version: UnsupportedProtocolVersionError listing ours.
    let future = modern("tools/list", "2099-01-01", json!({}));
    let resp = post_mcp(
        &s,
        &[
            ("authorization", &auth),
            ("mcp-protocol-version", "2099-01-01"),
            ("mcp-method", "tools/list"),
        ],
        future,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let refused = message(resp).await;
    assert_eq!(refused["error"]["code"], -32022, "{refused}");
    assert_eq!(
        refused["error"]["data"]["supported"],
        json!(["2026-07-28", "2025-11-25"]),
        "{refused}"
    );

    // initialize: a version we serve is kept; an older one is answered with 2025-11-25.
    for (asked, answered) in [("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-11-25")] {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": asked,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        }});
        let resp = post_mcp(&s, &[("authorization", &auth)], init).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers().contains_key("mcp-session-id"));
        let result = message(resp).await;
        assert_eq!(result["result"]["protocolVersion"], answered, "{result}");
    }
}

#[tokio::test]
async fn a_legacy_session_serves_only_the_principal_that_opened_it() {
    let s = stack("").await;
    let auth = format!("Bearer {}", s.gw.agent_key);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    }});
    let resp = post_mcp(&s, &[("authorization", &auth)], init).await;
    let session = resp.headers()["mcp-session-id"]
        .to_str()
        .expect("id")
        .to_string();
    drop(resp);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let resp = post_mcp(
        &s,
        &[
            ("authorization", &auth),
            ("mcp-session-id", &session),
            ("mcp-protocol-version", "2025-11-25"),
        ],
        initialized,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);

    let (status, other) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "other", "all_tools": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other = other["key"].as_str().expect("key").to_string();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let other_auth = format!("Bearer {other}");
    let resp = post_mcp(
        &s,
        &[
            ("authorization", &other_auth),
            ("mcp-session-id", &session),
            ("mcp-protocol-version", "2025-11-25"),
        ],
        list.clone(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post_mcp(
        &s,
        &[
            ("authorization", &auth),
            ("mcp-session-id", &session),
            ("mcp-protocol-version", "2025-11-25"),
        ],
        list,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(message(resp).await["result"]["tools"].is_array());
}

#[tokio::test]
async fn insufficient_scope_comes_with_a_link_for_the_missing_scopes_and_then_the_call_works() {
    let s = common::oauth_stack("").await;
    common::github(&s).await;
    let (link, _) = common::connect_link(&s, "github_get_user", "octocat").await;
    let done = common::consent(&mut e2e::browser::Browser::new(), &link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);

    let issue = json!({"owner": "octocat", "repo": "hello-world", "title": "From MCP"});
    let scenario = Scenario::new(&s.gw.base_url, &s.gw.agent_key)
        .user("octocat")
        .version("2026-07-28")
        .call("github_create_issue", issue.clone())
        .pause()
        .call("github_create_issue", issue);
    let mut c = McpClient::start(Sdk::TypeScriptV2, &scenario);
    c.expect("connected").await;
    let refused = c.expect("result").await;
    assert_eq!(refused["isError"], true, "{refused}");
    assert_eq!(refused["structured"]["code"], "insufficient_scope");
    assert_eq!(refused["structured"]["missing_scopes"], json!(["repo"]));
    let text = refused["text"].as_str().expect("text");
    assert!(text.contains("(repo)"), "{text}");
    let link = link_in(text, &s.gw.base_url);
    c.expect("paused").await;
    let granted = common::consent(&mut e2e::browser::Browser::new(), &link).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    c.reply("go");
    let created = c.expect("result").await;
    assert_eq!(created["isError"], false, "{created}");
    c.finish().await;
    for r in s.fake.requests() {
        assert!(
            !format!("{:?}", r.headers).contains(&s.gw.agent_key),
            "the agent key reached {}",
            r.path
        );
    }
}

/// The user accepts first and connects afterwards: the call waits for them, then completes.
async fn an_accepted_elicitation_waits_for_the_user(sdk: Sdk, version: &str) {
    let s = stack("").await;
    s.fake.add_linear_key(KEY, "Bob");
    let scenario = Scenario::new(&s.gw.base_url, &s.gw.agent_key)
        .user("bob")
        .version(version)
        .elicitation()
        .call("linear_get_viewer", json!({}));
    let mut c = McpClient::start(sdk, &scenario);
    c.expect("connected").await;
    let asked = c.expect("elicitation").await;
    let link = asked["url"].as_str().expect("url").to_string();
    c.reply("accept");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    connect_linear(&link).await;
    let done = c.expect("result").await;
    assert_eq!(done["isError"], false, "{done}");
    assert!(
        done["text"].as_str().expect("text").contains("Bob"),
        "{done}"
    );
    c.finish().await;
}

#[tokio::test]
async fn typescript_sdk_2025_11_25_call_waits_for_the_user_after_accepting() {
    an_accepted_elicitation_waits_for_the_user(Sdk::TypeScriptV1, "auto").await;
}

#[tokio::test]
async fn python_sdk_2026_07_28_call_waits_for_the_user_after_accepting() {
    an_accepted_elicitation_waits_for_the_user(Sdk::Python, "2026-07-28").await;
}
