//! A whole tool pack connected in a real browser: Debian's headless Chromium, driven by
//! `tests/browser/connect_pack.mjs`, clicks through the pack page, each app's connect page and
//! the provider's consent page (Allow) until the pack page says "All set"; then every tool of
//! the pack works for that user, and each app was asked for exactly the pack's scopes.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use e2e::chromium::{self, Screenshots};
use e2e::{Gateway, GatewayOptions, build};
use fake_provider::FakeProvider;
use fake_provider::oauth::{App, ClientAuth, Consent, ConsentGrant};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use common::{Stack, configure};

/// The seed pack.
const PACK: &str = "sales-ops";
const TOOLS: [&str; 4] = [
    "jira_create_issue",
    "jira_update_issue",
    "salesforce_get_account",
    "slack_post_message",
];
/// Who the agent acts for, and who is signed in at each app.
const USER: &str = "alice";
const PERSON: &str = "Ada Lovelace";

/// The seed pack's connectors, routed to a fresh fake provider.
async fn sales_ops_stack() -> Stack {
    e2e::install_crypto_provider();
    let fake = FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake provider");
    let base = fake.base_url();
    let overrides = [
        ("https://auth.atlassian.com", "/atlassian-auth"),
        ("https://api.atlassian.com", "/atlassian"),
        ("https://login.salesforce.com", "/salesforce-login"),
        ("https://acme.my.salesforce.com", "/salesforce"),
        ("https://slack.com", "/slack"),
    ]
    .into_iter()
    .map(|(origin, prefix)| (origin.to_string(), format!("{base}{prefix}")))
    .collect();
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![
            build::plugin("jira"),
            build::plugin("salesforce"),
            build::plugin("slack"),
        ],
        overrides,
        ..GatewayOptions::default()
    })
    .await;
    Stack { fake, gw }
}

/// The fake's authorize path of each app, by connector.
fn authorize_paths() -> [(&'static str, App, &'static str); 3] {
    [
        ("jira", App::Atlassian, "/atlassian-auth/authorize"),
        (
            "salesforce",
            App::Salesforce,
            "/salesforce-login/services/oauth2/authorize",
        ),
        ("slack", App::Slack, "/slack/oauth/v2/authorize"),
    ]
}

fn scope_set(text: &str, separator: char) -> BTreeSet<String> {
    text.split(separator)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn call(s: &Stack, key: &str, tool: &str, input: Value) -> Value {
    let (status, body) =
        s.gw.post(
            &format!("/v1/tools/{tool}/call"),
            key,
            &json!({"user_id": USER, "input": input}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tool}: {body}");
    body["output"].clone()
}

#[tokio::test]
async fn a_whole_pack_connects_in_chromium_and_then_every_tool_of_it_works() {
    chromium::ensure();
    let s = sales_ops_stack().await;
    for (connector, app, auth, id) in [
        ("jira", App::Atlassian, ClientAuth::Post, "atl-client"),
        ("salesforce", App::Salesforce, ClientAuth::Post, "sf-client"),
        ("slack", App::Slack, ClientAuth::Basic, "slack-client"),
    ] {
        configure(
            &s,
            app,
            connector,
            auth,
            id,
            &format!("{id}-secret"),
            PERSON,
        )
        .await;
        // A consent page with Allow / Deny, for a person to click.
        s.fake.oauth().set_consent(
            app,
            Consent {
                user: PERSON.into(),
                grant: ConsentGrant::All,
                page: true,
            },
        );
    }
    let (status, body) =
        s.gw.put_json(
            &format!("/v1/admin/packs/{PACK}"),
            &s.gw.admin_key,
            &json!({"description": "Accounts, issues and the team channel", "tools": TOOLS}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        s.gw.post(
            "/v1/admin/agent-keys",
            &s.gw.admin_key,
            &json!({"name": "sales-agent", "packs": [PACK]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let key = body["key"].as_str().expect("key").to_string();

    let (status, flow) =
        s.gw.post(
            "/v1/pack-sessions",
            &key,
            &json!({"pack": PACK, "user_id": USER}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    let flow_id = flow["id"].as_str().expect("id").to_string();
    let pack_url = flow["url"].as_str().expect("url").to_string();
    let apps: Vec<&str> = flow["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .filter_map(|a| a["connector"].as_str())
        .collect();
    assert_eq!(
        apps.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from(["jira", "salesforce", "slack"]),
        "{flow}"
    );

    // A person in Chromium, from the one link to "All set".
    s.fake.clear_requests();
    let shots = Screenshots::new("latchkey-browser-pack-");
    let run = chromium::connect_pack(&pack_url, shots.path()).await;
    let report = &run.report;
    assert!(
        run.success && report["all_set"] == true,
        "the browser did not end on \"All set\" (screenshots in {}):\n{}",
        shots.path().display(),
        run.output
    );
    let steps = report["steps"].as_array().expect("steps");
    let headings: Vec<&str> = steps.iter().filter_map(|s| s["heading"].as_str()).collect();
    assert_eq!(
        headings.first(),
        Some(&"Connect the apps of sales-ops"),
        "{report}"
    );
    assert_eq!(headings.last(), Some(&"All set"), "{report}");
    for app in ["Jira", "Salesforce", "Slack"] {
        assert!(
            headings.contains(&format!("Connect {app}").as_str()),
            "the connect page of {app} was shown: {report}"
        );
    }
    // Each app asked on its own consent page, once.
    let consents = steps
        .iter()
        .filter(|s| {
            s["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("consent "))
        })
        .count();
    assert_eq!(consents, 3, "{report}");
    let mut connected: Vec<&str> = report["connected"]
        .as_array()
        .expect("connected")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(connected, apps, "in the pack page's order: {report}");
    connected.sort();
    for step in steps {
        let file = step["screenshot"].as_str().expect("screenshot");
        let png = std::fs::read(shots.path().join(file)).expect("screenshot file");
        assert!(png.starts_with(b"\x89PNG"), "{file} is a PNG");
        let url = step["url"].as_str().expect("url");
        assert!(!url.contains('?'), "URLs are shown without queries: {url}");
    }
    assert!(
        !run.output
            .contains(pack_url.rsplit('/').next().expect("token")),
        "the link's token is not printed"
    );

    let (_, status) =
        s.gw.get(&format!("/v1/authorizations/{flow_id}"), &key)
            .await;
    assert_eq!(status["status"], "completed", "{status}");

    // Each app was asked, in the browser, for exactly the pack's scopes (and its base scopes).
    let requests = s.fake.requests();
    let mut asked = BTreeMap::new();
    for (connector, _, path) in authorize_paths() {
        let gets: Vec<Url> = requests
            .iter()
            .filter(|r| r.method == "GET" && r.path.split('?').next() == Some(path))
            .map(|r| Url::parse(&format!("http://fake{}", r.path)).expect("url"))
            .collect();
        assert_eq!(gets.len(), 1, "one authorize request for {connector}");
        let query: BTreeMap<String, String> = gets[0].query_pairs().into_owned().collect();
        assert!(
            requests
                .iter()
                .any(|r| r.method == "POST" && r.path == path && r.body.contains("decision=allow")),
            "{connector}: the person clicked Allow on the consent page"
        );
        asked.insert(connector, query);
    }
    assert_eq!(
        scope_set(&asked["jira"]["scope"], ' '),
        scope_set("write:jira-work offline_access", ' '),
        "jira: {:?}",
        asked["jira"]
    );
    assert_eq!(asked["jira"]["audience"], "api.atlassian.com");
    assert_eq!(
        scope_set(&asked["salesforce"]["scope"], ' '),
        scope_set("api refresh_token", ' '),
        "salesforce: {:?}",
        asked["salesforce"]
    );
    assert_eq!(
        scope_set(&asked["slack"]["scope"], ','),
        scope_set("chat:write", ','),
        "slack: {:?}",
        asked["slack"]
    );
    assert!(
        asked["slack"]
            .get("user_scope")
            .is_none_or(|s| s.is_empty()),
        "no Slack user token is asked for: {:?}",
        asked["slack"]
    );

    // Every tool of the pack works for the user, with the pack's key.
    let created = call(
        &s,
        &key,
        "jira_create_issue",
        json!({"project": "ENG", "summary": "Follow up with Acme", "description": "Opened from the browser pack test."}),
    )
    .await;
    let issue = created["key"].as_str().expect("issue key").to_string();
    assert!(issue.starts_with("ENG-"), "{created}");
    let updated = call(
        &s,
        &key,
        "jira_update_issue",
        json!({"issue": issue, "summary": "Follow up with Acme Corporation"}),
    )
    .await;
    assert_eq!(updated["updated"], json!(["summary"]), "{updated}");
    let in_jira = s
        .fake
        .jira_issues()
        .into_iter()
        .find(|i| i["key"] == issue.as_str())
        .expect("the issue is at the fake");
    assert_eq!(
        in_jira["fields"]["summary"], "Follow up with Acme Corporation",
        "{in_jira}"
    );

    let account = s
        .fake
        .salesforce_accounts()
        .into_iter()
        .find(|a| a["Name"] == "Acme Corporation")
        .expect("a seeded Account");
    let id = account["Id"].as_str().expect("Id").to_string();
    let got = call(&s, &key, "salesforce_get_account", json!({"id": id})).await;
    assert_eq!(got["Name"], "Acme Corporation", "{got}");

    let posted = call(
        &s,
        &key,
        "slack_post_message",
        json!({"channel": "general", "text": "ENG issue opened for Acme"}),
    )
    .await;
    assert_eq!(posted["channel"], "C0GENERAL01", "{posted}");
    assert!(
        s.fake
            .slack_messages(Some("general"))
            .iter()
            .any(|m| m.text == "ENG issue opened for Acme" && m.bot_id.is_some()),
        "the bot posted the message"
    );
}
