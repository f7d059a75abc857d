//! Connectors whose app lives at a per-deployment address (`{base}` in their OAuth URLs): the
//! operator names the deployment (its base URL in the config, or its issuer through the admin
//! API) and the endpoints come from it, discovered from the issuer's published metadata (the
//! real OpenID provider of `tests/oidc`) where there is one.

use e2e::browser::{Browser, Followed, form_action};
use e2e::oidc::{self, OidcOptions, RefreshTokens, RunningOidc};
use e2e::{Gateway, GatewayOptions, build};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The tenant's logical address; the gateway routes it to the provider's loopback port.
const TENANT: &str = "https://tenant.example.test";
const CLIENT_ID: &str = "latchkey-tenant";
const CLIENT_SECRET: &str = "tenant-e2e-client-secret-51c0";

struct Setup {
    gw: Gateway,
    oidc: RunningOidc,
}

async fn setup(extra_config: &str, issuer_through_admin_api: bool) -> Setup {
    let port = oidc::free_port();
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![build::fixture("tenant_demo")],
        overrides: vec![(TENANT.into(), format!("http://127.0.0.1:{port}"))],
        extra_config: extra_config.to_string(),
        ..Default::default()
    })
    .await;
    let oidc = oidc::start(OidcOptions {
        issuer: TENANT.into(),
        port,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uri: format!("{}/v1/oauth/callback/tenant-demo", gw.base_url),
        access_token_ttl: 3600,
        refresh_tokens: RefreshTokens::Confidential,
    })
    .await;
    let mut client = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    if issuer_through_admin_api {
        client["issuer"] = json!(TENANT);
    }
    let (status, body) = gw
        .put_json("/v1/admin/providers/tenant-demo", &gw.admin_key, &client)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Setup { gw, oidc }
}

/// Connect `user` in a browser; returns where the gateway sent the browser to consent.
async fn connect(s: &Setup, user: &str) -> reqwest::Url {
    let (status, body) = s.gw.call("tenant-demo_whoami", user, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "authorization_required", "{body}");
    let link = body["connect_url"].as_str().expect("connect_url");
    let mut b = Browser::new();
    let page = b.get(link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let action = form_action(&page.body, "/oauth").expect("OAuth is offered");
    let started = b
        .post_form(page.url.join(&action).expect("url").as_str(), &[])
        .await;
    assert!(started.status.is_redirection(), "{}", started.body);
    let authorize = started.location.clone().expect("to consent");
    let back = format!("{}/v1/oauth/callback/tenant-demo", s.gw.base_url);
    let callback = match b
        .follow_until(started, |u| u.as_str().starts_with(&back), 12)
        .await
    {
        Followed::Stopped(url) => url,
        Followed::Page(p) => panic!(
            "no way back: {} {}\n{}\n{}",
            p.status,
            p.url,
            p.body,
            s.oidc.logs()
        ),
    };
    let done = b.callback(callback.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("Tenant demo is connected"),
        "{}",
        done.body
    );
    authorize
}

async fn requests_to(s: &Setup, path: &str) -> usize {
    s.oidc
        .events()
        .await
        .iter()
        .filter(|e: &&Value| e["kind"] == "request" && e["path"] == path)
        .count()
}

#[tokio::test]
async fn the_operators_base_url_fills_in_the_endpoints_and_the_calls_reach_the_deployment() {
    let s = setup(
        &format!("[connectors.tenant-demo]\nbase_url = \"{TENANT}\"\n"),
        false,
    )
    .await;
    let authorize = connect(&s, "alice").await;
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/auth?", s.oidc.base_url)),
        "{authorize}"
    );
    assert_eq!(requests_to(&s, "/token").await, 1);
    let (status, body) = s.gw.call("tenant-demo_whoami", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["sub"], "alice-oidc", "{body}");
}

#[tokio::test]
async fn an_issuer_set_through_the_admin_api_is_enough_its_metadata_names_the_endpoints() {
    // No base URL at all: only the issuer's published metadata can say where to go.
    let s = setup("", true).await;
    let authorize = connect(&s, "bob").await;
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/auth?", s.oidc.base_url)),
        "{authorize}"
    );
    assert!(
        requests_to(&s, "/.well-known/oauth-authorization-server").await
            + requests_to(&s, "/.well-known/openid-configuration").await
            >= 1,
        "the metadata was fetched"
    );
    assert_eq!(
        requests_to(&s, "/token").await,
        1,
        "the discovered token endpoint"
    );
    let (status, body) =
        s.gw.get("/v1/admin/connections?user_id=bob", &s.gw.admin_key)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("tenant-demo"), "{body}");
}

#[tokio::test]
async fn without_a_deployment_the_agent_hears_provider_not_configured() {
    let s = setup("", false).await;
    let (status, body) = s.gw.call("tenant-demo_whoami", "carol", json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "provider_not_configured", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("base_url")),
        "{body}"
    );
}
