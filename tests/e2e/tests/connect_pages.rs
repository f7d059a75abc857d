//! The connect pages as an end user reads them: the app's instructions for the way in they
//! are looking at and never the operator's (redirect URIs, client secrets), words that match
//! the buttons, permissions with their plain meaning, sentences that read as sentences, the
//! operator named, no "permissions" claimed for a pasted key — and, in Chromium at 390 px,
//! no page that scrolls sideways.

mod common;

use e2e::browser::Browser;
use e2e::chromium::{self, Screenshots};
use e2e::{Gateway, GatewayOptions, build};
use fake_provider::FakeProvider;
use fake_provider::oauth::{App, ClientAuth};
use reqwest::StatusCode;
use serde_json::json;

use common::{Stack, configure, connect_link, github};

/// Every bundled connector, routed to a fresh fake provider, with an operator name.
async fn all_apps() -> Stack {
    e2e::install_crypto_provider();
    let fake = FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake provider");
    let base = fake.base_url();
    let mut overrides = common::oauth_overrides(&base);
    for (origin, prefix) in [
        ("https://api.linear.app", "/linear"),
        ("https://auth.atlassian.com", "/atlassian-auth"),
        ("https://api.atlassian.com", "/atlassian"),
        ("https://login.salesforce.com", "/salesforce-login"),
        ("https://slack.com", "/slack"),
    ] {
        overrides.push((origin.to_string(), format!("{base}{prefix}")));
    }
    let gw = Gateway::start(GatewayOptions {
        plugins: [
            "notion",
            "github",
            "google_drive",
            "linear",
            "jira",
            "salesforce",
            "slack",
        ]
        .into_iter()
        .map(build::plugin)
        .collect(),
        overrides,
        extra_config: "[connect]\noperator_name = \"Acme IT\"\n".into(),
        ..GatewayOptions::default()
    })
    .await;
    Stack { fake, gw }
}

async fn configure_all(s: &Stack) {
    github(s).await;
    for (app, connector) in [
        (App::Google, "google-drive"),
        (App::Notion, "notion"),
        (App::Atlassian, "jira"),
        (App::Salesforce, "salesforce"),
        (App::Slack, "slack"),
    ] {
        configure(
            s,
            app,
            connector,
            ClientAuth::Post,
            connector,
            "secret",
            "someone",
        )
        .await;
    }
}

/// A connect link for `user` to connect `connector` with `scopes` (as an agent asks for one).
async fn session_link(s: &Stack, connector: &str, user: &str, scopes: &[&str]) -> String {
    let (status, body) =
        s.gw.post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": connector, "user_id": user, "scopes": scopes}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["url"].as_str().expect("url").to_string()
}

async fn page(link: &str) -> String {
    let page = Browser::new().get(link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

#[tokio::test]
async fn end_users_read_their_own_instructions_with_the_words_of_the_buttons() {
    let s = all_apps().await;
    configure_all(&s).await;

    let link = session_link(&s, "github", "alice", &["read:user", "repo"]).await;
    let html = page(&link).await;
    for operator_only in [
        "/v1/oauth/callback",
        "client secret",
        "Client ID",
        "For the operator",
    ] {
        assert!(
            !html.contains(operator_only),
            "{operator_only:?} shown: {html}"
        );
    }
    assert!(html.contains("Continue to GitHub"), "{html}");
    assert!(!html.contains("Choose <strong>Connect</strong>"), "{html}");
    assert!(
        html.contains("full access to your repositories"),
        "the scope's meaning: {html}"
    );
    assert!(html.contains("Acme IT"), "the operator is named: {html}");

    // The agent-facing copy of the instructions drops the operator's part too.
    let (_, problem) = s.gw.call("github_get_user", "bob", json!({})).await;
    let text = problem["connector"]["instructions"].as_str().expect("text");
    assert!(!text.contains("/v1/oauth/callback"), "{text}");

    // Notion: OAuth and a pasted key, each with its own steps.
    let (link, _) = connect_link(&s, "notion_search", "alice").await;
    let html = page(&link).await;
    assert!(html.contains("Continue to Notion"), "{html}");
    assert!(html.contains("Internal Integration Secret"), "{html}");
    assert!(!html.contains("OAuth client secret"), "{html}");

    // Linear takes a key: no permissions are claimed for it.
    let (link, _) = connect_link(&s, "linear_get_viewer", "alice").await;
    let html = page(&link).await;
    assert!(
        !html.contains("will be asked for these permissions"),
        "{html}"
    );

    // A pack with an API-key app says what a pasted key means instead of listing permissions.
    let (status, body) =
        s.gw.put_json(
            "/v1/admin/packs/mixed",
            &s.gw.admin_key,
            &json!({"tools": ["linear_create_issue", "jira_create_issue"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, flow) =
        s.gw.post(
            "/v1/pack-sessions",
            &s.gw.agent_key,
            &json!({"pack": "mixed", "user_id": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    let html = page(flow["url"].as_str().expect("url")).await;
    let linear = &html[html.find("data-connector=\"linear\"").expect("linear step")..];
    let linear = &linear[..linear.find("</li>").unwrap_or(linear.len())];
    assert!(!linear.contains("Permissions"), "{linear}");
    assert!(linear.contains("what that key allows"), "{linear}");
    let jira = &html[html.find("data-connector=\"jira\"").expect("jira step")..];
    assert!(jira.contains("create and edit issues"), "{jira}");
}

#[tokio::test]
async fn messages_are_sentences_said_once() {
    let s = all_apps().await;
    github(&s).await;
    let (link, id) = connect_link(&s, "github_get_user", "carol").await;
    {
        let db = rusqlite::Connection::open(s.gw.db_path()).expect("db");
        db.execute(
            "UPDATE connect_sessions SET expires_at = 0 WHERE id = ?1",
            [&id],
        )
        .expect("expire");
    }
    let expired = Browser::new().get(&link).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert_eq!(
        expired.body.matches("new one").count() + expired.body.matches("new link").count(),
        1,
        "{}",
        expired.body
    );
    assert!(
        expired.body.contains("This link has expired."),
        "{}",
        expired.body
    );

    // A deny: the refusal starts with a capital and ends with one full stop.
    s.fake.oauth().set_consent(
        App::Github,
        fake_provider::oauth::Consent {
            user: "octocat".into(),
            grant: fake_provider::oauth::ConsentGrant::Deny,
            page: false,
        },
    );
    let (link, _) = connect_link(&s, "github_get_user", "dave").await;
    let denied = common::consent(&mut Browser::new(), &link).await;
    assert!(
        denied.body.contains("<p>Access was not granted"),
        "{}",
        denied.body
    );
    assert!(!denied.body.contains(".."), "{}", denied.body);
}

#[tokio::test]
async fn no_connect_page_scrolls_sideways_on_a_390_px_phone() {
    chromium::ensure();
    let s = all_apps().await;
    configure_all(&s).await;
    let mut urls = Vec::new();
    for (connector, scopes) in [
        (
            "google-drive",
            &["https://www.googleapis.com/auth/drive.readonly"][..],
        ),
        ("github", &["read:user", "repo"][..]),
        ("notion", &[][..]),
        ("linear", &[][..]),
        (
            "jira",
            &["read:jira-work", "write:jira-work", "read:jira-user"][..],
        ),
        (
            "slack",
            &["chat:write", "channels:read", "user:search:read"][..],
        ),
        ("salesforce", &["api"][..]),
    ] {
        urls.push(session_link(&s, connector, "alice", scopes).await);
    }
    let (status, body) = s
        .gw
        .put_json(
            "/v1/admin/packs/everything",
            &s.gw.admin_key,
            &json!({"tools": ["jira_create_issue", "salesforce_get_account", "slack_post_message", "linear_create_issue", "google-drive_list_files"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, flow) =
        s.gw.post(
            "/v1/pack-sessions",
            &s.gw.agent_key,
            &json!({"pack": "everything", "user_id": "alice"}),
        )
        .await;
    urls.push(flow["url"].as_str().expect("pack url").to_string());
    // A result page: a link that does not exist.
    urls.push(format!(
        "{}/connect/cs_0123456789abcdef/nope",
        s.gw.base_url
    ));
    // The clean success address of a finished consent.
    let (link, _) = connect_link(&s, "github_get_user", "erin").await;
    let mut b = Browser::new();
    let callback = common::until_callback(&mut b, &link).await;
    let back = b.get(callback.as_str()).await;
    urls.push(back.location.expect("done address").to_string());

    let shots = Screenshots::new("latchkey-390-");
    let run = chromium::page_widths(&urls, shots.path()).await;
    assert!(run.success, "{}", run.output);
    let pages = run.report["pages"].as_array().expect("pages").clone();
    assert_eq!(pages.len(), urls.len(), "{}", run.report);
    let wide: Vec<_> = pages.iter().filter(|p| p["overflows"] == true).collect();
    assert!(wide.is_empty(), "pages wider than 390 px: {wide:#?}");
    for p in &pages {
        assert_eq!(p["viewport"], 390, "{p}");
    }
}
