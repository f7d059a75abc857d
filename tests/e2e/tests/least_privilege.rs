//! Least privilege: per-tool scopes and incremental consent, tool packs (listing, calling,
//! one connect flow asking exactly the pack's scopes), user-bound sessions, scope drift, and
//! the tamper-evident audit log.

mod common;

use e2e::browser::{Browser, Followed, form_action};
use fake_provider::oauth::{App, ClientAuth};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Stack, configure, connect_link, consent, github, oauth_stack};

const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";

async fn define_pack(s: &Stack, name: &str, tools: &[&str]) {
    let (status, body) =
        s.gw.put_json(
            &format!("/v1/admin/packs/{name}"),
            &s.gw.admin_key,
            &json!({"tools": tools}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn agent_key_for(s: &Stack, packs: &[&str]) -> String {
    let (status, body) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "scoped", "packs": packs}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["key"].as_str().expect("key").to_string()
}

async fn call_with(s: &Stack, key: &str, tool: &str, body: Value) -> (StatusCode, Value) {
    s.gw.post(&format!("/v1/tools/{tool}/call"), key, &body)
        .await
}

/// Follow a connect link to the provider's authorize request and return its `scope`.
async fn requested_scope(b: &mut Browser, link: &str) -> (String, reqwest::Url) {
    let page = b.get(link).await;
    let action = form_action(&page.body, "/oauth").expect("oauth form");
    let started = b
        .post_form(page.url.join(&action).expect("url").as_str(), &[])
        .await;
    let authorize = started.location.clone().expect("redirect to the provider");
    let scope = authorize
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    let callback = match b
        .follow_until(started, |u| u.path().starts_with("/v1/oauth/callback/"), 6)
        .await
    {
        Followed::Stopped(u) => u,
        Followed::Page(p) => panic!("no callback: {} {}", p.status, p.body),
    };
    (scope, callback)
}

#[tokio::test]
async fn a_pack_scopes_the_tools_an_agent_sees_and_calls() {
    let s = oauth_stack("").await;
    define_pack(
        &s,
        "devtools",
        &[
            "github_get_user",
            "github_create_issue",
            "google-drive_list_files",
        ],
    )
    .await;
    let key = agent_key_for(&s, &["devtools"]).await;
    let (_, tools) = s.gw.get("/v1/tools", &key).await;
    let mut names: Vec<&str> = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "github_create_issue",
            "github_get_user",
            "google-drive_list_files"
        ]
    );
    let (status, body) = call_with(&s, &key, "notion_search", json!({"user_id": "alice"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "tool_not_allowed");
    // A key must say what it may use.
    let (status, _) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "vague"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "typo", "packs": ["devtool"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn one_pack_flow_asks_each_app_for_exactly_the_packs_scopes_and_ends_all_set() {
    let s = oauth_stack("").await;
    github(&s).await;
    configure(
        &s,
        App::Google,
        "google-drive",
        ClientAuth::Post,
        "g-client",
        "g-secret",
        "alice",
    )
    .await;
    define_pack(
        &s,
        "devtools",
        &[
            "github_get_user",
            "github_create_issue",
            "google-drive_list_files",
        ],
    )
    .await;
    let key = agent_key_for(&s, &["devtools"]).await;

    let (status, flow) =
        s.gw.post(
            "/v1/pack-sessions",
            &key,
            &json!({"pack": "devtools", "user_id": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    let apps = flow["apps"].as_array().expect("apps");
    assert_eq!(apps.len(), 2, "{flow}");
    let pack_url = flow["url"].as_str().expect("url").to_string();

    let mut b = Browser::new();
    let page = b.get(&pack_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Connect the apps of devtools"),
        "{}",
        page.body
    );
    let mut requested = std::collections::BTreeMap::new();
    for _ in 0..2 {
        let page = b.get(&pack_url).await;
        let next = form_href(&page.body, "id=\"next\"").expect("a next step");
        let link = page.url.join(&next).expect("step url").to_string();
        let (scope, callback) = requested_scope(&mut b, &link).await;
        let connector = callback
            .path()
            .rsplit('/')
            .next()
            .expect("connector")
            .to_string();
        requested.insert(connector, scope);
        let back = b.get(callback.as_str()).await;
        assert_eq!(
            back.status,
            StatusCode::SEE_OTHER,
            "each app returns to the pack page: {}",
            back.body
        );
        assert!(
            back.location
                .as_ref()
                .is_some_and(|l| l.path().starts_with("/connect/pack/"))
        );
    }
    // Exactly the union of what the pack's tools need: not GitHub's default read:user.
    assert_eq!(
        requested.get("github").map(String::as_str),
        Some("repo"),
        "{requested:?}"
    );
    assert_eq!(
        requested.get("google-drive").map(String::as_str),
        Some(DRIVE),
        "{requested:?}"
    );

    let done = b.get(&pack_url).await;
    assert!(done.body.contains("All set"), "{}", done.body);
    let (_, status_body) =
        s.gw.get(
            &format!("/v1/authorizations/{}", flow["id"].as_str().expect("id")),
            &key,
        )
        .await;
    assert_eq!(status_body["status"], "completed", "{status_body}");
    for (tool, input) in [
        ("github_get_user", json!({})),
        (
            "github_create_issue",
            json!({"owner": "octocat", "repo": "hello-world", "title": "From the pack"}),
        ),
        ("google-drive_list_files", json!({})),
    ] {
        let (status, body) =
            call_with(&s, &key, tool, json!({"user_id": "alice", "input": input})).await;
        assert_eq!(status, StatusCode::OK, "{tool}: {body}");
    }
}

/// The `href` of the first link whose tag contains `marker`.
fn form_href(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..html[at..].find('>').map(|e| at + e)?];
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&#x2f;", "/").replace("&amp;", "&"))
}

#[tokio::test]
async fn a_missing_scope_is_refused_before_upstream_with_a_link_for_just_that_scope() {
    let s = oauth_stack("").await;
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    let done = consent(&mut Browser::new(), &link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    s.fake.clear_requests();

    let input = json!({"owner": "octocat", "repo": "hello-world", "title": "needs repo"});
    let (status, problem) =
        s.gw.call("github_create_issue", "alice", input.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "insufficient_scope");
    assert_eq!(problem["missing_scopes"], json!(["repo"]));
    assert!(
        !s.fake
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/github/repos")),
        "refused before any upstream call"
    );
    let mut b = Browser::new();
    let (scope, callback) =
        requested_scope(&mut b, problem["connect_url"].as_str().expect("link")).await;
    // GitHub cannot add to a grant incrementally, so the link asks for what it had plus repo.
    assert_eq!(scope, "read:user,repo");
    let back = b.callback(callback.as_str()).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let (status, body) = s.gw.call("github_create_issue", "alice", input).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_user_session_cannot_reach_another_users_connection_however_the_request_is_shaped() {
    let s = oauth_stack("").await;
    github(&s).await;
    let mut authorizations = Vec::new();
    for user in ["alice", "bob"] {
        s.fake.oauth().set_user(App::Github, user);
        let (link, id) = connect_link(&s, "github_get_user", user).await;
        assert_eq!(
            consent(&mut Browser::new(), &link).await.status,
            StatusCode::OK
        );
        authorizations.push(id);
    }
    let (status, session) =
        s.gw.post(
            "/v1/sessions",
            &s.gw.agent_key,
            &json!({"user_id": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().expect("token").to_string();

    // The session's own user, without naming one.
    let (status, body) = call_with(&s, &token, "github_get_user", json!({"input": {}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["login"], "alice");
    assert_eq!(
        body["connection"]["owner"],
        json!({"kind": "user", "id": "alice"})
    );

    // Naming bob in the body, or smuggling him into the input: still alice or refused.
    let (status, body) = call_with(
        &s,
        &token,
        "github_get_user",
        json!({"user_id": "bob", "input": {}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "session_user_mismatch");
    let (status, body) = call_with(
        &s,
        &token,
        "github_list_repos",
        json!({"input": {"user_id": "bob"}}),
    )
    .await;
    assert!(
        status == StatusCode::OK || body["code"] == "invalid_input",
        "{status} {body}"
    );
    if status == StatusCode::OK {
        assert_eq!(body["connection"]["owner"]["id"], "alice", "{body}");
    }
    // It sees how its own user's connect flow went, but bob's is not there for it (its links
    // would let someone connect an account as bob); the agent key that named bob sees it.
    let (status, own) =
        s.gw.get(&format!("/v1/authorizations/{}", authorizations[0]), &token)
            .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let bobs = format!("/v1/authorizations/{}", authorizations[1]);
    let (status, body) = s.gw.get(&bobs, &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "authorization_not_found");
    let (status, body) = s.gw.get(&bobs, &s.gw.agent_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Nor can it make links for bob, or mint sessions.
    let (status, _) =
        s.gw.post(
            "/v1/connect-sessions",
            &token,
            &json!({"connector": "github", "user_id": "bob"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        s.gw.post("/v1/sessions", &token, &json!({"user_id": "bob"}))
            .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A session narrower than its key stays narrow, and one cannot be wider.
    define_pack(&s, "gh-read", &["github_get_user"]).await;
    let (_, narrow) =
        s.gw.post(
            "/v1/sessions",
            &s.gw.agent_key,
            &json!({"user_id": "alice", "packs": ["gh-read"]}),
        )
        .await;
    let narrow = narrow["token"].as_str().expect("token").to_string();
    let (status, body) = call_with(&s, &narrow, "github_list_repos", json!({})).await;
    assert_eq!(body["code"], "tool_not_allowed", "{status} {body}");
    let scoped = agent_key_for(&s, &["gh-read"]).await;
    let (status, _) =
        s.gw.post(
            "/v1/sessions",
            &scoped,
            &json!({"user_id": "alice", "packs": ["devtools"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Expiry and revocation end a session.
    let (_, short) =
        s.gw.post(
            "/v1/sessions",
            &s.gw.agent_key,
            &json!({"user_id": "alice", "ttl_seconds": 1}),
        )
        .await;
    let short = short["token"].as_str().expect("token").to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let (status, _) = call_with(&s, &short, "github_get_user", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an expired session is refused"
    );
    let agent_id =
        s.gw.agent_key
            .split('_')
            .nth(2)
            .expect("key id")
            .to_string();
    let (status, _) =
        s.gw.delete(&format!("/v1/admin/agent-keys/{agent_id}"), &s.gw.admin_key)
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call_with(&s, &token, "github_get_user", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoking the agent key ends its sessions"
    );
}

#[tokio::test]
async fn scope_drift_keeps_the_smaller_grant_and_records_what_was_lost() {
    let s = oauth_stack("").await;
    github(&s).await;
    let oauth = s.fake.oauth();
    oauth.set_refresh_tokens(App::Github, true);
    oauth.set_rotation(App::Github, true);
    oauth.set_access_ttl(App::Github, Some(3600));
    let (status, link) =
        s.gw.post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": "github", "user_id": "alice", "scopes": ["read:user", "repo"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(
        consent(&mut Browser::new(), link["url"].as_str().expect("url"))
            .await
            .status,
        StatusCode::OK
    );

    // The user removes `repo` at the provider; the next refresh shows it.
    assert_eq!(oauth.remove_scope(App::Github, "octocat", "repo"), 1);
    oauth.advance_clock(4000);
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, conns) =
        s.gw.get("/v1/admin/connections?user_id=alice", &s.gw.admin_key)
            .await;
    let c = &conns["connections"][0];
    assert_eq!(c["granted_scopes"], json!(["read:user"]), "{c}");
    assert_eq!(c["lost_scopes"], json!(["repo"]), "{c}");
    let (status, body) =
        s.gw.call(
            "github_create_issue",
            "alice",
            json!({"owner": "octocat", "repo": "hello-world", "title": "t"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["missing_scopes"], json!(["repo"]));
}

#[tokio::test]
async fn the_audit_chain_verifies_and_catches_edits_deletions_and_reordering() {
    let mut s = oauth_stack("").await;
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    consent(&mut Browser::new(), &link).await;
    for _ in 0..3 {
        s.gw.call("github_get_user", "alice", json!({})).await;
    }
    let (_, entries) = s.gw.get("/v1/admin/audit", &s.gw.admin_key).await;
    let entries = entries["entries"].as_array().expect("entries").clone();
    assert!(entries.len() >= 5, "{entries:?}");
    let ok_call = entries
        .iter()
        .find(|e| e["event"] == "tool_call" && e["outcome"] == "ok")
        .expect("a successful call is recorded");
    assert_eq!(ok_call["user_id"], "alice");
    assert_eq!(ok_call["tool"], "github_get_user");
    assert!(ok_call["connection"].as_str().is_some() && ok_call["actor"].as_str().is_some());
    assert!(entries.iter().any(|e| e["event"] == "connect"));
    assert!(
        !entries.iter().any(|e| e.to_string().contains("gho_")),
        "no token in the log"
    );

    let verify = |gw: &e2e::Gateway| gw.cli(&["audit", "verify"], None);
    s.gw.stop();
    assert!(verify(&s.gw).status.success());
    let db = s.gw.db_path();
    let tamper = |sql: &str| {
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch(sql).expect("tamper");
    };
    tamper("CREATE TABLE backup AS SELECT * FROM audit_log;");
    for (sql, expect) in [
        (
            "UPDATE audit_log SET outcome = 'ok' WHERE seq = 1;",
            "changed",
        ),
        ("DELETE FROM audit_log WHERE seq = 2;", "missing"),
        (
            "UPDATE audit_log SET seq = 1000 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 1000;",
            "changed",
        ),
        (
            "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log);",
            "cut",
        ),
    ] {
        tamper(sql);
        let out = verify(&s.gw);
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success(), "{sql} went unnoticed");
        assert!(said.contains(expect), "{sql}: {said}");
        tamper("DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM backup;");
        assert!(verify(&s.gw).status.success(), "restored");
    }
    s.gw.spawn().await.expect("restart");
}
