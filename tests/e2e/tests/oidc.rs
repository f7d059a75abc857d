//! OAuth against a real, independently written OpenID provider: panva's `oidc-provider` from
//! npm (tests/oidc), on loopback, with PKCE required and refresh-token rotation on. Every
//! step is real HTTP: the gateway's token and userinfo requests, and a cookie-keeping
//! "browser" through the connect page, the provider's authorize endpoint and interactions, and
//! back to the gateway's callback.

use std::collections::HashMap;
use std::time::Duration;

use e2e::browser::{Browser, Followed, form_action};
use e2e::oidc::{self, OidcOptions, RefreshTokens, RunningOidc};
use e2e::{Gateway, GatewayOptions, build};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

/// The logical issuer; the gateway routes its origin to the server's loopback port.
const ISSUER: &str = "https://id.example.test";
const CLIENT_ID: &str = "latchkey-e2e";
const CLIENT_SECRET: &str = "oidc-e2e-client-secret-7d1f3c";
/// The one account the test provider signs in.
const SUBJECT: &str = "alice-oidc";

struct Setup {
    gw: Gateway,
    oidc: RunningOidc,
}

impl Setup {
    fn redirect_uri(&self) -> String {
        format!("{}/v1/oauth/callback/oidc-demo", self.gw.base_url)
    }

    /// How many requests the provider received for `path`.
    async fn requests_to(&self, path: &str) -> usize {
        self.oidc
            .events()
            .await
            .iter()
            .filter(|e| e["kind"] == "request" && e["path"] == path)
            .count()
    }
}

/// The provider on a port picked first (the gateway's egress override must name it), then the
/// gateway with `oidc-demo`, then the provider with the gateway's exact redirect URI, then the
/// operator's client through the admin API.
async fn setup(access_token_ttl: u32) -> Setup {
    setup_with(access_token_ttl, RefreshTokens::Confidential).await
}

async fn setup_with(access_token_ttl: u32, refresh_tokens: RefreshTokens) -> Setup {
    let port = oidc::free_port();
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![build::fixture("oidc_demo")],
        overrides: vec![(ISSUER.into(), format!("http://127.0.0.1:{port}"))],
        ..Default::default()
    })
    .await;
    let oidc = oidc::start(OidcOptions {
        issuer: ISSUER.into(),
        port,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uri: format!("{}/v1/oauth/callback/oidc-demo", gw.base_url),
        access_token_ttl,
        refresh_tokens,
    })
    .await;
    assert_eq!(oidc.port(), port);
    let (status, body) = gw
        .put_json(
            "/v1/admin/providers/oidc-demo",
            &gw.admin_key,
            &json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["has_client_secret"], true, "{body}");
    assert!(!body.to_string().contains(CLIENT_SECRET), "{body}");
    Setup { gw, oidc }
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A browser's walk from the connect link to the redirect back to the gateway.
struct Consent {
    browser: Browser,
    /// Where the gateway sent the browser: the provider's authorize endpoint.
    authorize: Url,
    /// The provider's redirect back to the gateway (not yet requested).
    callback: Url,
}

async fn consent(s: &Setup, connect_url: &str) -> Consent {
    let mut browser = Browser::new();
    let page = browser.get(connect_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("OIDC demo"), "{}", page.body);
    let action = form_action(&page.body, "/oauth").expect("the connect page's OAuth form");
    let form_url = page.url.join(&action).expect("form URL");
    let started = browser.post_form(form_url.as_str(), &[]).await;
    assert!(
        started.status.is_redirection(),
        "{} {}",
        started.status,
        started.body
    );
    let authorize = started.location.clone().expect("a redirect to consent");
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/auth?", s.oidc.base_url)),
        "the browser goes where the gateway's routing sends the issuer: {authorize}"
    );
    assert!(
        browser.cookie("127.0.0.1", "lk_connect").is_some(),
        "the gateway binds the flow to the browser"
    );
    let back = s.redirect_uri();
    let callback = match browser
        .follow_until(started, |u| u.as_str().starts_with(&back), 12)
        .await
    {
        Followed::Stopped(url) => url,
        Followed::Page(p) => panic!(
            "the provider did not send the browser back: {} {}\n{}\nprovider log:\n{}",
            p.status,
            p.url,
            p.body,
            s.oidc.logs()
        ),
    };
    Consent {
        browser,
        authorize,
        callback,
    }
}

/// The connect link from an `authorization_required` answer, and the session id.
async fn must_connect(s: &Setup, user: &str) -> (String, String) {
    let (status, body) = s.gw.call("oidc-demo_whoami", user, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "authorization_required", "{body}");
    assert_eq!(body["connector"]["id"], "oidc-demo", "{body}");
    let url = body["connect_url"]
        .as_str()
        .expect("connect_url")
        .to_string();
    let id = body["authorization"]["id"]
        .as_str()
        .expect("authorization id")
        .to_string();
    (url, id)
}

/// Long enough for a token of `ttl` seconds, received just now, to have expired.
fn expiry(ttl: u32) -> Duration {
    Duration::from_millis(u64::from(ttl) * 1000 + 500)
}

fn grants(events: &[Value], kind: &str, grant_type: &str) -> usize {
    events
        .iter()
        .filter(|e| e["kind"] == kind && e["grant_type"] == grant_type)
        .count()
}

#[tokio::test]
async fn consent_then_rotating_refreshes_against_a_real_openid_provider() {
    // Access tokens live 2 s; each call below waits until the last one has really expired, so
    // it must be refreshed whatever the gateway's proactive margin.
    let ttl = 2;
    let s = setup(ttl).await;

    let (connect_url, session_id) = must_connect(&s, "alice").await;
    assert_eq!(
        s.requests_to("/token").await + s.requests_to("/me").await,
        0,
        "a call without a connection reaches nothing upstream"
    );

    let mut flow = consent(&s, &connect_url).await;

    // The authorization request the gateway built, as the real server received it.
    let asked = query(&flow.authorize);
    assert_eq!(asked["response_type"], "code");
    assert_eq!(asked["client_id"], CLIENT_ID);
    assert_eq!(asked["redirect_uri"], s.redirect_uri());
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["code_challenge"].len(), 43, "a SHA-256 challenge");
    assert!(asked["state"].len() >= 32, "a high-entropy state");
    assert_eq!(asked["scope"], "openid", "the tool's scope");
    assert_eq!(
        asked["prompt"], "consent",
        "the connector's extra parameter"
    );

    // The provider's answer: code, our state, and its RFC 9207 issuer.
    let answer = query(&flow.callback);
    assert!(!answer["code"].is_empty());
    assert_eq!(answer["state"], asked["state"]);
    assert_eq!(answer["iss"], ISSUER);

    let done = flow.browser.callback(flow.callback.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("OIDC demo is connected"),
        "{}",
        done.body
    );

    let events = s.oidc.events().await;
    assert_eq!(
        grants(&events, "grant.success", "authorization_code"),
        1,
        "{events:?}"
    );
    // (The gateway may ask who the new connection belongs to: the connector's `verify`.)
    let userinfo_before = s.requests_to("/me").await;

    let (status, auth) =
        s.gw.get(&format!("/v1/authorizations/{session_id}"), &s.gw.agent_key)
            .await;
    assert_eq!(status, StatusCode::OK, "{auth}");
    assert_eq!(auth["status"], "completed", "{auth}");
    let connection_id = auth["connection_id"]
        .as_str()
        .expect("connection id")
        .to_string();

    // Each call refreshes (rotating the refresh token) and then reads userinfo with the new
    // access token. The server revokes the whole grant if a rotated refresh token is ever
    // presented again, so three successes in a row prove each new one was stored.
    let refreshed_before = grants(&s.oidc.events().await, "grant.success", "refresh_token");
    for round in 1..=3 {
        tokio::time::sleep(expiry(ttl)).await;
        let (status, body) = s.gw.call("oidc-demo_whoami", "alice", json!({})).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "round {round}: {body}\ngateway log:\n{}",
            s.gw.logs()
        );
        assert_eq!(body["output"]["sub"], SUBJECT, "{body}");
        assert_eq!(body["connection"]["id"], connection_id.as_str(), "{body}");
        let events = s.oidc.events().await;
        assert_eq!(
            grants(&events, "grant.success", "refresh_token"),
            refreshed_before + round,
            "round {round}: {events:?}"
        );
    }
    let events = s.oidc.events().await;
    assert_eq!(
        count_kind(&events, "refresh_token.consumed"),
        refreshed_before + 3,
        "{events:?}"
    );
    assert_eq!(count_kind(&events, "grant.error"), 0, "{events:?}");
    assert_eq!(count_kind(&events, "grant.revoked"), 0, "{events:?}");
    assert_eq!(s.requests_to("/me").await, userinfo_before + 3);

    // The exact callback URL again: refused, and no second code exchange.
    let replay = flow.browser.get(flow.callback.as_str()).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);
    assert!(replay.body.contains("already used"), "{}", replay.body);
    let events = s.oidc.events().await;
    assert_eq!(grants(&events, "grant.success", "authorization_code"), 1);
    let (status, body) = s.gw.call("oidc-demo_whoami", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "the replay changed nothing: {body}");

    // Neither the client secret nor anything the provider issued is in the gateway's output.
    assert!(!s.gw.logs().contains(CLIENT_SECRET));
    assert!(!s.gw.logs().contains(&answer["code"]));

    // Disconnecting revokes the grant at the provider (RFC 7009), then forgets it here.
    let (status, body) =
        s.gw.delete(
            &format!("/v1/admin/connections/{connection_id}"),
            &s.gw.admin_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["upstream_revocation"], "revoked", "{body}");
    let events = s.oidc.events().await;
    assert_eq!(count_kind(&events, "grant.revoked"), 1, "{events:?}");
    let (status, body) = s.gw.call("oidc-demo_whoami", "alice", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "authorization_required", "{body}");
}

fn count_kind(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["kind"] == kind).count()
}

#[tokio::test]
async fn a_mixed_up_issuer_or_a_replayed_response_is_refused_before_any_token_request() {
    let s = setup(3600).await;

    // Positive control on the server's policy: without a PKCE challenge it refuses to start.
    let mut raw = Browser::new();
    let mut no_pkce = Url::parse(&format!("{}/auth", s.oidc.base_url)).expect("url");
    no_pkce
        .query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("state", "no-pkce")
        .append_pair("redirect_uri", &s.redirect_uri());
    let refused = raw.get(no_pkce.as_str()).await;
    let to = refused.location.expect("an error redirect");
    let said = query(&to);
    assert_eq!(said["error"], "invalid_request", "{to}");
    assert!(said["error_description"].contains("PKCE"), "{to}");

    let (connect_url, session_id) = must_connect(&s, "bob").await;
    let mut flow = consent(&s, &connect_url).await;
    assert_eq!(query(&flow.callback)["iss"], ISSUER);

    // The same response, claiming another issuer (a mix-up attack): refused.
    let mut mixed_up = flow.callback.clone();
    let pairs: Vec<(String, String)> = flow
        .callback
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                "https://evil.example.test".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    mixed_up.query_pairs_mut().clear().extend_pairs(pairs);
    let page = flow.browser.get(mixed_up.as_str()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("unexpected issuer"), "{}", page.body);

    // The same response without `iss`, from a server that promises to always send it
    // (`authorization_response_iss_parameter_supported`, RFC 9207 §2.4): refused too.
    let mut stripped = flow.callback.clone();
    let pairs: Vec<(String, String)> = flow
        .callback
        .query_pairs()
        .filter(|(k, _)| k != "iss")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    stripped.query_pairs_mut().clear().extend_pairs(pairs);
    let page = flow.browser.get(stripped.as_str()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(
        page.body.contains("does not name its issuer"),
        "{}",
        page.body
    );
    assert_eq!(
        s.requests_to("/token").await,
        0,
        "no code was exchanged: {:?}",
        s.oidc.events().await
    );
    let (status, body) = s.gw.call("oidc-demo_whoami", "bob", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "authorization_required", "{body}");
    let (status, auth) =
        s.gw.get(&format!("/v1/authorizations/{session_id}"), &s.gw.agent_key)
            .await;
    assert_eq!(status, StatusCode::OK, "{auth}");
    assert_eq!(auth["status"], "pending", "{auth}");

    // The refused responses did not use up the user's state: the genuine one connects, and
    // its exact replay is refused.
    let done = flow.browser.callback(flow.callback.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let page = flow.browser.get(flow.callback.as_str()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("already used"), "{}", page.body);
    let (status, body) = s.gw.call("oidc-demo_whoami", "bob", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["sub"], SUBJECT, "{body}");
    let events = s.oidc.events().await;
    assert_eq!(grants(&events, "grant.success", "authorization_code"), 1);
    // Long-lived access token: no refresh was needed.
    assert_eq!(grants(&events, "grant.success", "refresh_token"), 0);
}

#[tokio::test]
async fn an_agent_made_link_asks_for_offline_access_and_the_agent_sees_it_complete() {
    let s = setup(3600).await;
    let (status, link) =
        s.gw.post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": "oidc-demo", "user_id": "carol"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let url = link["url"].as_str().expect("url").to_string();
    let status_url = link["status_url"].as_str().expect("status_url").to_string();

    // The agent long-polls while the user consents.
    let wait_url = format!("{status_url}?wait=30");
    let waiting = s.gw.get(&wait_url, &s.gw.agent_key);
    let user = async {
        let mut flow = consent(&s, &url).await;
        // No narrower scopes asked: the connector's defaults, and OpenID Connect's rule that
        // `offline_access` needs `prompt=consent`.
        let asked = query(&flow.authorize);
        assert_eq!(asked["scope"], "openid offline_access");
        assert_eq!(asked["prompt"], "consent");
        let done = flow.browser.callback(flow.callback.as_str()).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    };
    let ((status, auth), ()) = tokio::join!(waiting, user);
    assert_eq!(status, StatusCode::OK, "{auth}");
    assert_eq!(auth["status"], "completed", "{auth}");

    // The scopes the real server reported granting are the ones recorded.
    let (status, list) =
        s.gw.get("/v1/admin/connections?user_id=carol", &s.gw.admin_key)
            .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let connection = &list["connections"][0];
    assert_eq!(connection["id"], auth["connection_id"], "{list}");
    let mut granted: Vec<&str> = connection["granted_scopes"]
        .as_array()
        .expect("granted_scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    granted.sort_unstable();
    assert_eq!(granted, ["offline_access", "openid"], "{list}");

    let (status, body) = s.gw.call("oidc-demo_whoami", "carol", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["sub"], SUBJECT, "{body}");
}

#[tokio::test]
async fn without_a_refresh_token_the_access_token_serves_until_it_really_expires() {
    // oidc-provider's own policy: refresh tokens only with `offline_access`. A link made from a
    // tool call asks for that tool's scope (`openid`) alone, so the server issues none.
    let ttl = 10;
    let s = setup_with(ttl, RefreshTokens::OfflineAccess).await;
    let (connect_url, _) = must_connect(&s, "dave").await;
    let mut flow = consent(&s, &connect_url).await;
    assert_eq!(query(&flow.authorize)["scope"], "openid");
    let done = flow.browser.callback(flow.callback.as_str()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let events = s.oidc.events().await;
    assert_eq!(grants(&events, "grant.success", "authorization_code"), 1);
    assert_eq!(
        count_kind(&events, "refresh_token.saved"),
        0,
        "no refresh token was issued: {events:?}"
    );

    // Past half its life, so inside the gateway's proactive refresh margin, with nothing to
    // refresh with: the access token is still valid, so it is used rather than the connection
    // given up.
    tokio::time::sleep(Duration::from_secs(u64::from(ttl) / 2 + 1)).await;
    let (status, body) = s.gw.call("oidc-demo_whoami", "dave", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["sub"], SUBJECT, "{body}");
    assert_eq!(s.requests_to("/token").await, 1, "only the code exchange");

    // Once it has really expired, only the user can renew it.
    tokio::time::sleep(expiry(ttl / 2)).await;
    let (status, body) = s.gw.call("oidc-demo_whoami", "dave", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "reauthorization_required", "{body}");
    assert!(body["connect_url"].is_string(), "{body}");
    assert_eq!(s.requests_to("/token").await, 1, "nothing to refresh with");
}
