//! Set-up shared by the end-to-end suites.

#![allow(dead_code)]

use e2e::browser::{Browser, Followed, form_action};
use e2e::{Gateway, GatewayOptions, build};
use fake_provider::oauth::{App, ClientAuth, Consent, ConsentGrant, OauthClient};
use fake_provider::{FakeProvider, RunningFake};
use reqwest::{StatusCode, Url};
use serde_json::json;

/// A fake provider plus a gateway whose real API origins route to it.
pub struct Stack {
    pub fake: RunningFake,
    pub gw: Gateway,
}

/// The bundled connectors and the hostile fixture, routed to a fresh fake provider.
pub async fn stack(extra_config: &str) -> Stack {
    e2e::install_crypto_provider();
    let fake = FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake provider");
    let base = fake.base_url();
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![
            build::plugin("notion"),
            build::plugin("linear"),
            build::fixture("misbehave"),
        ],
        overrides: vec![
            ("https://api.notion.com".into(), format!("{base}/notion")),
            ("https://api.linear.app".into(), format!("{base}/linear")),
            ("https://allowed.test".into(), base.clone()),
        ],
        extra_config: extra_config.to_string(),
        master_key: None,
        env: Vec::new(),
    })
    .await;
    Stack { fake, gw }
}

/// Every origin the OAuth-capable connectors use, routed to the fake provider at `base`.
pub fn oauth_overrides(base: &str) -> Vec<(String, String)> {
    [
        ("https://api.notion.com", "/notion"),
        ("https://github.com", "/github-web"),
        ("https://api.github.com", "/github"),
        ("https://accounts.google.com", "/google-accounts"),
        ("https://oauth2.googleapis.com", "/google-oauth"),
        ("https://www.googleapis.com", "/google"),
    ]
    .into_iter()
    .map(|(origin, prefix)| (origin.to_string(), format!("{base}{prefix}")))
    .collect()
}

/// The OAuth connectors (notion, github, google-drive) routed to a fresh fake provider.
pub async fn oauth_stack(extra_config: &str) -> Stack {
    oauth_stack_with(extra_config, Vec::new()).await
}

/// [`oauth_stack`] with extra environment for the gateway (secrets of alert destinations…).
pub async fn oauth_stack_with(extra_config: &str, env: Vec<(String, String)>) -> Stack {
    e2e::install_crypto_provider();
    let fake = FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake provider");
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![
            build::plugin("notion"),
            build::plugin("github"),
            build::plugin("google_drive"),
            build::plugin("linear"),
        ],
        overrides: {
            let mut o = oauth_overrides(&fake.base_url());
            o.push((
                "https://api.linear.app".into(),
                format!("{}/linear", fake.base_url()),
            ));
            o
        },
        extra_config: extra_config.to_string(),
        env,
        ..GatewayOptions::default()
    })
    .await;
    Stack { fake, gw }
}

/// A value unique to this test run, to search for in places it must never appear.
pub fn canary() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("canary{nanos:x}{:x}", std::process::id())
}

pub const GITHUB_ID: &str = "gh-client";
pub const GITHUB_SECRET: &str = "gh-secret";

/// Register the gateway as an OAuth client of `app` at the fake, and configure it in the gateway.
pub async fn configure(
    s: &Stack,
    app: App,
    connector: &str,
    auth: ClientAuth,
    client_id: &str,
    secret: &str,
    user: &str,
) {
    s.fake
        .oauth()
        .register_client(OauthClient {
            app,
            client_id: client_id.into(),
            client_secret: Some(secret.into()),
            redirect_uris: vec![format!("{}/v1/oauth/callback/{connector}", s.gw.base_url)],
            auth_method: Some(auth),
            allowed_scopes: None,
            require_pkce: true,
        })
        .expect("register client");
    s.fake.oauth().set_consent(
        app,
        Consent {
            user: user.into(),
            grant: ConsentGrant::All,
            page: false,
        },
    );
    let (status, body) =
        s.gw.put_json(
            &format!("/v1/admin/providers/{connector}"),
            &s.gw.admin_key,
            &json!({"client_id": client_id, "client_secret": secret}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

pub async fn github(s: &Stack) {
    configure(
        s,
        App::Github,
        "github",
        ClientAuth::Post,
        GITHUB_ID,
        GITHUB_SECRET,
        "octocat",
    )
    .await;
}

/// Ask for a tool as `user` and return the connect link from `authorization_required`.
pub async fn connect_link(s: &Stack, tool: &str, user: &str) -> (String, String) {
    let (status, problem) = s.gw.call(tool, user, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "authorization_required", "{problem}");
    (
        problem["connect_url"]
            .as_str()
            .expect("connect_url")
            .to_string(),
        problem["authorization"]["id"]
            .as_str()
            .expect("id")
            .to_string(),
    )
}

/// Open the connect page, start consent, follow the provider's redirects, and stop just
/// before the callback: the callback URL is returned unrequested.
pub async fn until_callback(b: &mut Browser, link: &str) -> Url {
    let page = b.get(link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let action = form_action(&page.body, "/oauth").expect("the page offers OAuth");
    let start = page.url.join(&action).expect("action url");
    let started = b.post_form(start.as_str(), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    match b
        .follow_until(started, |u| u.path().starts_with("/v1/oauth/callback/"), 6)
        .await
    {
        Followed::Stopped(url) => url,
        Followed::Page(p) => panic!("consent ended at {} {}: {}", p.url, p.status, p.body),
    }
}

/// The whole consent; returns the final page.
pub async fn consent(b: &mut Browser, link: &str) -> e2e::browser::Page {
    let callback = until_callback(b, link).await;
    b.callback(callback.as_str()).await
}

pub fn with_query(url: &Url, key: &str, value: Option<&str>) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let mut out = url.clone();
    {
        let mut q = out.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(key, v);
        }
    }
    out
}
