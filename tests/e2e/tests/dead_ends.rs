//! Where end users used to get stuck: a link to a page that cannot work (an OAuth app whose
//! client was never configured), "Try again" after a deny that led nowhere, a success page
//! that said "not completed" on reload, and two connect flows in one browser that broke each
//! other.

mod common;

use e2e::browser::Browser;
use e2e::mcp::{McpClient, Scenario, Sdk};
use fake_provider::oauth::{App, Consent, ConsentGrant};
use reqwest::StatusCode;
use serde_json::json;

use common::{Stack, configure, connect_link, github, oauth_stack, until_callback};

#[tokio::test]
async fn an_app_whose_oauth_client_is_not_configured_answers_provider_not_configured() {
    let s = oauth_stack("[mcp]\nelicitation_wait_seconds = 50\n").await;
    let (status, problem) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "provider_not_configured", "{problem}");
    assert!(problem.get("connect_url").is_none(), "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/v1/admin/providers/github")),
        "{problem}"
    );

    // Over MCP, with a client that declares URL elicitation: no elicitation, no wait, the
    // same code as a tool error.
    let scenario = Scenario::new(&s.gw.base_url, &s.gw.agent_key)
        .user("alice")
        .elicitation()
        .call("github_get_user", json!({}));
    let mut c = McpClient::start(Sdk::TypeScriptV1, &scenario);
    c.expect("connected").await;
    let started = std::time::Instant::now();
    let result = c.expect("result").await;
    assert_eq!(result["isError"], true, "{result}");
    assert_eq!(result["structured"]["code"], "provider_not_configured");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(40),
        "answered without waiting out the elicitation"
    );
    c.finish().await;

    // Once the operator configures it, the same call gets a link that works.
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    let done = common::consent(&mut Browser::new(), &link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
}

#[tokio::test]
async fn try_again_after_denying_at_the_provider_works() {
    let s = oauth_stack("").await;
    github(&s).await;
    s.fake.oauth().set_consent(
        App::Github,
        Consent {
            user: "octocat".into(),
            grant: ConsentGrant::Deny,
            page: false,
        },
    );
    let (link, auth_id) = connect_link(&s, "github_get_user", "alice").await;
    let mut b = Browser::new();
    let denied = common::consent(&mut b, &link).await;
    assert_eq!(denied.status, StatusCode::BAD_REQUEST, "{}", denied.body);
    let retry = form_retry(&denied.body).expect("a Try again button");
    let (_, auth) =
        s.gw.get(&format!("/v1/authorizations/{auth_id}"), &s.gw.agent_key)
            .await;
    assert_eq!(auth["status"], "pending", "the link stays usable: {auth}");

    // The user changes their mind: Try again leads to the connect page, and Allow connects.
    s.fake.oauth().set_consent(
        App::Github,
        Consent {
            user: "octocat".into(),
            grant: ConsentGrant::All,
            page: false,
        },
    );
    let again = denied.url.join(&retry).expect("retry url");
    let page = b.get(again.as_str()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("access_denied"), "{}", page.body);
    let done = common::consent(&mut b, again.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("GitHub is connected"), "{}", done.body);
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The `href` of the result page's "Try again" button.
fn form_retry(html: &str) -> Option<String> {
    let at = html.find("Try again")?;
    let before = &html[..at];
    let href = before.rfind("href=\"")? + 6;
    let end = before[href..].find('"')?;
    Some(before[href..href + end].replace("&#x2f;", "/"))
}

#[tokio::test]
async fn the_callback_lands_on_a_clean_address_that_still_says_connected_on_reload() {
    let s = oauth_stack("").await;
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    let mut b = Browser::new();
    let callback = until_callback(&mut b, &link).await;
    let back = b.get(callback.as_str()).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let clean = back.location.clone().expect("a clean address");
    assert!(clean.query().is_none(), "{clean}");
    assert!(!clean.as_str().contains("code="), "{clean}");
    for _ in 0..2 {
        // The first visit and a reload.
        let page = b.get(clean.as_str()).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("GitHub is connected"), "{}", page.body);
    }
    // The address is tied to the link: another session's id with this token is refused.
    let forged = clean
        .as_str()
        .replace("/connect/cs_", "/connect/cs_0")
        .to_string();
    assert_ne!(b.get(&forged).await.status, StatusCode::OK);
}

#[tokio::test]
async fn two_connect_flows_in_one_browser_both_complete() {
    let s: Stack = oauth_stack("").await;
    github(&s).await;
    configure(
        &s,
        App::Google,
        "google-drive",
        fake_provider::oauth::ClientAuth::Post,
        "g-client",
        "g-secret",
        "grace",
    )
    .await;
    let (github_link, _) = connect_link(&s, "github_get_user", "alice").await;
    let (drive_link, _) = connect_link(&s, "google-drive_list_files", "alice").await;
    // Two tabs: both flows started before either comes back.
    let mut b = Browser::new();
    let first = until_callback(&mut b, &github_link).await;
    let second = until_callback(&mut b, &drive_link).await;
    let done = b.callback(first.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "the first flow: {}", done.body);
    let done = b.callback(second.as_str()).await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "the second flow: {}",
        done.body
    );
    for tool in ["github_get_user", "google-drive_list_files"] {
        let (status, body) = s.gw.call(tool, "alice", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{tool}: {body}");
    }
}

#[tokio::test]
async fn a_response_presented_by_another_browser_does_not_use_up_the_users_state() {
    let s = oauth_stack("").await;
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    let mut mine = Browser::new();
    let callback = until_callback(&mut mine, &link).await;
    let foreign = Browser::new().get(callback.as_str()).await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert!(
        foreign.body.contains("another browser session"),
        "{}",
        foreign.body
    );
    let done = mine.callback(callback.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("GitHub is connected"), "{}", done.body);
}
