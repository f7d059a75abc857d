//! OAuth consent and the token lifecycle, end to end against the fake provider's
//! authorization server: every hop over real HTTP, no hand-inserted tokens.

mod common;

use std::time::Duration;

use e2e::browser::Browser;
use fake_provider::oauth::{App, ClientAuth, Fault, ServiceAccount, keys};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{
    Stack, configure, connect_link, consent, github, oauth_stack, until_callback, with_query,
};

fn code_exchanges(s: &Stack, app: App) -> usize {
    s.fake.oauth().token_count(app, "authorization_code", None)
}

fn refreshes(s: &Stack, app: App, outcome: Option<&str>) -> usize {
    s.fake.oauth().token_count(app, "refresh_token", outcome)
}

async fn connection(s: &Stack, user: &str) -> Value {
    let (_, body) =
        s.gw.get(
            &format!("/v1/admin/connections?user_id={user}"),
            &s.gw.admin_key,
        )
        .await;
    body["connections"][0].clone()
}

#[tokio::test]
async fn a_github_consent_driven_over_http_ends_in_a_working_tool_call() {
    let s = oauth_stack("").await;
    github(&s).await;
    let (link, auth_id) = connect_link(&s, "github_get_user", "alice").await;

    let mut b = Browser::new();
    let done = consent(&mut b, &link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("GitHub is connected"), "{}", done.body);

    let (_, auth) =
        s.gw.get(&format!("/v1/authorizations/{auth_id}"), &s.gw.agent_key)
            .await;
    assert_eq!(auth["status"], "completed", "{auth}");
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["output"]["login"], "octocat", "{body}");

    // What went over the wire: PKCE S256 and a state on the authorize request; one exchange.
    let authorize = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/github-web/login/oauth/authorize"))
        .expect("authorize request");
    assert!(
        authorize.path.contains("code_challenge_method=S256"),
        "{}",
        authorize.path
    );
    assert!(authorize.path.contains("state="));
    assert_eq!(code_exchanges(&s, App::Github), 1);
    let c = connection(&s, "alice").await;
    assert_eq!(c["scheme"], "oauth2");
    assert_eq!(
        c["granted_scopes"],
        json!(["read:user"]),
        "GitHub's comma scopes, recorded as a list: {c}"
    );
    assert_eq!(
        c["metadata"]["account"], "octocat",
        "identity learned after connect: {c}"
    );
}

#[tokio::test]
async fn notion_consent_sends_owner_user_uses_basic_client_auth_and_keeps_workspace_metadata() {
    let s = oauth_stack("").await;
    configure(
        &s,
        App::Notion,
        "notion",
        ClientAuth::Basic,
        "notion-client",
        "notion-secret",
        "Nora",
    )
    .await;
    let (link, _) = connect_link(&s, "notion_search", "nora").await;
    let done = consent(&mut Browser::new(), &link).await;
    assert!(done.body.contains("Notion is connected"), "{}", done.body);
    let authorize = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/notion/v1/oauth/authorize"))
        .expect("authorize");
    assert!(authorize.path.contains("owner=user"), "{}", authorize.path);
    let token = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/notion/v1/oauth/token"))
        .expect("token request");
    assert!(
        token
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic "))
    );
    let c = connection(&s, "nora").await;
    assert!(c["metadata"]["workspace_name"].as_str().is_some(), "{c}");
    let (status, body) = s.gw.call("notion_search", "nora", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn forged_replayed_cross_session_expired_and_missing_states_never_reach_the_token_endpoint() {
    let s = oauth_stack("").await;
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;

    // Missing and altered state.
    let mut a = Browser::new();
    let callback = until_callback(&mut a, &link).await;
    let missing = a.get(with_query(&callback, "state", None).as_str()).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.body.contains("no state"), "{}", missing.body);
    let state = callback
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.to_string())
        .expect("state");
    let altered = format!(
        "{}{}",
        &state[..state.len() - 1],
        if state.ends_with('A') { 'B' } else { 'A' }
    );
    let forged = a
        .get(with_query(&callback, "state", Some(&altered)).as_str())
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged.body.contains("not one this gateway issued"),
        "{}",
        forged.body
    );

    // Another browser presenting this flow's callback: refused (login CSRF / code injection).
    let mut other = Browser::new();
    let cross = other.get(callback.as_str()).await;
    assert_eq!(cross.status, StatusCode::BAD_REQUEST);
    assert!(
        cross.body.contains("another browser session"),
        "{}",
        cross.body
    );

    // Expired: the state's deadline passed (moved into the past in the database).
    let callback = until_callback(&mut a, &link).await;
    {
        let db = rusqlite::Connection::open(s.gw.db_path()).expect("db");
        db.execute(
            "UPDATE oauth_states SET expires_at = 0 WHERE used_at IS NULL",
            [],
        )
        .expect("expire");
    }
    let expired = a.get(callback.as_str()).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.body.contains("took too long"), "{}", expired.body);
    assert_eq!(
        code_exchanges(&s, App::Github),
        0,
        "no refused callback may reach the provider"
    );

    // A good one, then its exact replay.
    let callback = until_callback(&mut a, &link).await;
    let ok = a.callback(callback.as_str()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let replay = a.get(callback.as_str()).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(replay.body.contains("already used"), "{}", replay.body);
    assert_eq!(
        code_exchanges(&s, App::Github),
        1,
        "exactly the one good exchange"
    );
}

#[tokio::test]
async fn a_wrong_issuer_is_refused_before_any_token_request() {
    let s = oauth_stack("").await;
    configure(
        &s,
        App::Google,
        "google-drive",
        ClientAuth::Post,
        "g-client",
        "g-secret",
        "grace",
    )
    .await;
    s.fake
        .oauth()
        .set_issuer(App::Google, "https://accounts.evil.example", true);
    let (status, body) = s
        .gw
        .post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": "google-drive", "user_id": "grace", "scopes": ["https://www.googleapis.com/auth/drive.readonly"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let done = consent(&mut Browser::new(), body["url"].as_str().expect("url")).await;
    assert_eq!(done.status, StatusCode::BAD_REQUEST);
    assert!(done.body.contains("unexpected issuer"), "{}", done.body);
    assert_eq!(code_exchanges(&s, App::Google), 0);

    // With the genuine issuer the same flow completes.
    s.fake
        .oauth()
        .set_issuer(App::Google, "https://accounts.google.com", true);
    let (_, body) =
        s.gw.post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": "google-drive", "user_id": "grace"}),
        )
        .await;
    let done = consent(&mut Browser::new(), body["url"].as_str().expect("url")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
}

#[tokio::test]
async fn an_ambiguous_code_exchange_failure_is_not_retried_and_the_user_can_start_over() {
    let s = oauth_stack("").await;
    github(&s).await;
    let (link, auth_id) = connect_link(&s, "github_get_user", "alice").await;
    s.fake
        .oauth()
        .inject_fault(App::Github, Fault::ServerError { status: 503 }, 1);
    let mut b = Browser::new();
    let failed = consent(&mut b, &link).await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);
    assert!(failed.body.contains("Try again"), "{}", failed.body);
    assert_eq!(
        code_exchanges(&s, App::Github),
        1,
        "one attempt, never retried"
    );
    let (_, auth) =
        s.gw.get(&format!("/v1/authorizations/{auth_id}"), &s.gw.agent_key)
            .await;
    assert_eq!(auth["status"], "pending", "the link stays usable: {auth}");

    let again = consent(&mut b, &link).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(code_exchanges(&s, App::Github), 2);
}

/// GitHub with expiring, rotating tokens (as for GitHub Apps): connected for alice.
async fn rotating_github(extra_config: &str, ttl: u64) -> Stack {
    let s = oauth_stack(extra_config).await;
    github(&s).await;
    let oauth = s.fake.oauth();
    oauth.set_refresh_tokens(App::Github, true);
    oauth.set_rotation(App::Github, true);
    oauth.set_access_ttl(App::Github, Some(ttl));
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    let done = consent(&mut Browser::new(), &link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    s
}

async fn many_calls(s: &Stack, n: usize) -> Vec<(StatusCode, Value)> {
    let calls = (0..n).map(|_| s.gw.call("github_get_user", "alice", json!({})));
    futures_util::future::join_all(calls).await
}

#[tokio::test]
async fn fifty_concurrent_calls_on_an_expired_token_cause_exactly_one_refresh() {
    let s = rotating_github("", 3600).await;
    // The provider's clock moves past expiry: the upstream now answers 401 to the stored token.
    s.fake.oauth().advance_clock(4000);
    for (status, body) in many_calls(&s, 50).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        refreshes(&s, App::Github, None),
        1,
        "single-flight: one refresh for 50 callers"
    );

    // The rotated refresh token was kept: the next refresh works (the grant was not revoked).
    s.fake.oauth().advance_clock(4000);
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(refreshes(&s, App::Github, Some("ok")), 2);
    assert_eq!(refreshes(&s, App::Github, Some("invalid_grant")), 0);
}

#[tokio::test]
async fn proactive_refresh_of_short_lived_tokens_is_single_flight_too() {
    // 2 s tokens are refreshed in the second half of their life: after 1.2 s every call wants a
    // refresh before using them.
    let s = rotating_github("", 2).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for (status, body) in many_calls(&s, 50).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        refreshes(&s, App::Github, None),
        1,
        "{:?}",
        s.fake.oauth().token_calls()
    );
}

#[tokio::test]
async fn a_crash_between_the_token_response_and_the_commit_loses_nothing() {
    let mut s = rotating_github("", 3600).await;
    s.gw.stop();
    s.gw.set_env("LATCHKEY_TEST_CRASH_AT", Some("after-token-journal"));
    s.gw.spawn().await.expect("start with the crash hook");
    s.fake.oauth().advance_clock(4000);
    let url = format!("{}/v1/tools/github_get_user/call", s.gw.base_url);
    let died =
        s.gw.http
            .post(&url)
            .bearer_auth(&s.gw.agent_key)
            .json(&json!({"user_id": "alice", "input": {}}))
            .send()
            .await;
    assert!(
        died.is_err(),
        "the gateway should have died mid-refresh: {died:?}"
    );
    let mut exited = None;
    for _ in 0..50 {
        exited = s.gw.try_exit_status();
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        exited.is_some_and(|st| !st.success()),
        "the process aborted"
    );
    assert_eq!(
        refreshes(&s, App::Github, Some("ok")),
        1,
        "the provider rotated the refresh token"
    );

    s.gw.set_env("LATCHKEY_TEST_CRASH_AT", None);
    s.gw.spawn().await.expect("restart");
    assert!(
        s.gw.wait_for_log("journaled before a crash").await,
        "the journal was replayed"
    );
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        refreshes(&s, App::Github, None),
        1,
        "the journaled tokens were used, no new refresh"
    );
    // The rotated refresh token survived: one more refresh succeeds and nothing was revoked.
    s.fake.oauth().advance_clock(4000);
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(refreshes(&s, App::Github, Some("ok")), 2);
    assert_eq!(refreshes(&s, App::Github, Some("invalid_grant")), 0);
}

#[tokio::test]
async fn rate_limits_and_server_errors_at_the_token_endpoint_back_off_and_keep_the_token() {
    let s = rotating_github("", 3600).await;
    for fault in [
        Fault::RateLimited {
            retry_after_secs: 2,
        },
        Fault::ServerError { status: 500 },
    ] {
        s.fake.oauth().advance_clock(4000);
        s.fake.oauth().inject_fault(App::Github, fault.clone(), 1);
        let before = refreshes(&s, App::Github, None);
        let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{fault:?}: {body}");
        assert_eq!(body["code"], "token_refresh_unavailable");
        assert_eq!(
            connection(&s, "alice").await["status"],
            "active",
            "transient: no re-auth"
        );
        // Backing off: an immediate retry does not hit the provider again.
        let (status, _) = s.gw.call("github_get_user", "alice", json!({})).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            refreshes(&s, App::Github, None),
            before + 1,
            "{fault:?}: no hammering"
        );
        tokio::time::sleep(Duration::from_millis(2600)).await;
        let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{fault:?}: after the backoff the kept token refreshes: {body}"
        );
    }
    assert_eq!(refreshes(&s, App::Github, Some("invalid_grant")), 0);
}

#[tokio::test]
async fn invalid_grant_needs_reauth_once_without_a_retry_loop_and_reconnecting_fixes_it() {
    let s = rotating_github("", 3600).await;
    s.fake.oauth().advance_clock(4000);
    s.fake
        .oauth()
        .inject_fault(App::Github, Fault::InvalidGrant, 1);
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "reauthorization_required");
    let link = body["connect_url"]
        .as_str()
        .expect("a link to reconnect")
        .to_string();
    for _ in 0..5 {
        let (status, _) = s.gw.call("github_get_user", "alice", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        refreshes(&s, App::Github, None),
        1,
        "no further attempts after invalid_grant"
    );
    let c = connection(&s, "alice").await;
    assert_eq!(c["status"], "needs_reauth");
    assert_eq!(c["status_reason"], "revoked");

    let done = consent(&mut Browser::new(), &link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(connection(&s, "alice").await["status"], "active");
}

#[tokio::test]
async fn a_service_account_signs_its_own_assertion_and_its_key_never_reaches_the_plugin() {
    let s = oauth_stack("").await;
    let email = "reader@latchkey-test.iam.gserviceaccount.com";
    s.fake
        .oauth()
        .add_service_account(ServiceAccount {
            app: App::Google,
            client_email: email.into(),
            public_key_pem: keys::SERVICE_ACCOUNT_PUBLIC_KEY.into(),
            allowed_scopes: None,
            audience: None,
            allow_subject: false,
        })
        .expect("service account");
    let (status, body) = s
        .gw
        .post(
            "/v1/admin/connections",
            &s.gw.admin_key,
            &json!({"connector": "google-drive", "user_id": "svc", "credential": {
                "type": "service_account", "client_email": email, "private_key": keys::SERVICE_ACCOUNT_PRIVATE_KEY}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for _ in 0..2 {
        let (status, body) = s.gw.call("google-drive_list_files", "svc", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        s.fake.oauth().jwt_assertions().len(),
        1,
        "the token is reused until it expires"
    );
    let claims = s.fake.oauth().last_jwt_claims().expect("claims");
    assert_eq!(claims["iss"], email);
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert!(exp > iat && exp - iat <= 3600, "{claims}");
    assert!(
        claims["scope"]
            .as_str()
            .is_some_and(|sc| sc.contains("drive.readonly")),
        "{claims}"
    );

    // The key exists only sealed in the vault: not in responses, logs, or plugin-visible metadata.
    let key_body: String = keys::SERVICE_ACCOUNT_PRIVATE_KEY
        .lines()
        .nth(1)
        .expect("pem body")
        .into();
    let (_, conns) = s.gw.get("/v1/admin/connections", &s.gw.admin_key).await;
    assert!(!conns.to_string().contains(&key_body) && !conns.to_string().contains("PRIVATE KEY"));
    assert!(!s.gw.logs().contains(&key_body));
    for r in s
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/google/"))
    {
        assert!(
            r.header("authorization")
                .is_some_and(|a| a.starts_with("Bearer "))
        );
        assert!(!r.body.contains(&key_body));
    }
}

#[tokio::test]
async fn disconnecting_revokes_upstream_and_leaves_no_ciphertext() {
    let s = oauth_stack("").await;
    configure(
        &s,
        App::Notion,
        "notion",
        ClientAuth::Basic,
        "notion-client",
        "notion-secret",
        "Nora",
    )
    .await;
    let (link, _) = connect_link(&s, "notion_search", "nora").await;
    consent(&mut Browser::new(), &link).await;
    let id = connection(&s, "nora").await["id"]
        .as_str()
        .expect("id")
        .to_string();

    let (status, body) =
        s.gw.delete(&format!("/v1/admin/connections/{id}"), &s.gw.admin_key)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["upstream_revocation"], "revoked", "{body}");
    let revocations = s.fake.oauth().revocations();
    assert_eq!(revocations.len(), 1);
    assert!(
        revocations[0].known,
        "the gateway revoked a token the provider had issued"
    );
    let db = rusqlite::Connection::open(s.gw.db_path()).expect("db");
    let left: i64 = db
        .query_row(
            "SELECT count(*) FROM connection_secrets WHERE connection_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0);
    let (status, body) = s.gw.call("notion_search", "nora", json!({})).await;
    assert_eq!(body["code"], "authorization_required", "{status} {body}");
}

/// Salesforce names the org's instance in every token response. An org moved to another
/// instance (Salesforce's "instance refresh") is found at the next token refresh: the connection
/// follows it, and calls keep working.
#[tokio::test]
async fn a_refresh_that_names_a_new_salesforce_instance_moves_the_connection() {
    e2e::install_crypto_provider();
    let fake = fake_provider::FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake provider");
    let base = fake.base_url();
    let gw = e2e::Gateway::start(e2e::GatewayOptions {
        plugins: vec![e2e::build::plugin("salesforce")],
        overrides: vec![
            (
                "https://login.salesforce.com".into(),
                format!("{base}/salesforce-login"),
            ),
            (
                "https://acme.my.salesforce.com".into(),
                format!("{base}/salesforce"),
            ),
            // Another target than acme's (egress refuses two routes to one target), so the
            // fake can tell which instance a request was sent to.
            (
                "https://emea.my.salesforce.com".into(),
                format!("http://localhost:{}/salesforce", fake.addr().port()),
            ),
        ],
        ..e2e::GatewayOptions::default()
    })
    .await;
    let s = Stack { fake, gw };
    configure(
        &s,
        App::Salesforce,
        "salesforce",
        ClientAuth::Post,
        "sf-client",
        "sf-secret",
        "Ada Lovelace",
    )
    .await;
    let search = json!({"name": "a"});
    let (status, asked) =
        s.gw.call("salesforce_search_accounts", "alice", search.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{asked}");
    let link = asked["connect_url"].as_str().expect("connect_url");
    let mut browser = Browser::new();
    let done = consent(&mut browser, link).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(
        salesforce_instance(&s).await.as_deref(),
        Some("https://acme.my.salesforce.com")
    );
    let (status, found) =
        s.gw.call("salesforce_search_accounts", "alice", search.clone())
            .await;
    assert_eq!(status, StatusCode::OK, "{found}");

    // The org moves; the session times out (2 h): the next call refreshes and follows it.
    s.fake.move_salesforce_org("https://emea.my.salesforce.com");
    s.fake.oauth().advance_clock(3 * 3600);
    s.fake.clear_requests();
    let (status, found) =
        s.gw.call("salesforce_search_accounts", "alice", search)
            .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let hosts: Vec<String> = s
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/salesforce/services/data/"))
        .filter_map(|r| r.header("host").map(str::to_string))
        .collect();
    assert_eq!(
        hosts.last().map(|h| h.starts_with("localhost:")),
        Some(true),
        "the retried call went to the new instance: {hosts:?}"
    );
    assert_eq!(
        s.fake
            .oauth()
            .token_count(App::Salesforce, "refresh_token", Some("ok")),
        1,
        "the call was served after one refresh"
    );
    assert_eq!(
        salesforce_instance(&s).await.as_deref(),
        Some("https://emea.my.salesforce.com"),
        "the connection follows the org to its new instance"
    );
    assert!(
        s.gw.wait_for_log("connection metadata changed on refresh")
            .await
    );
}

/// The `instance_url` kept with alice's (only) connection.
async fn salesforce_instance(s: &Stack) -> Option<String> {
    let (_, list) =
        s.gw.get("/v1/admin/connections?user_id=alice", &s.gw.admin_key)
            .await;
    list["connections"][0]["metadata"]["instance_url"]
        .as_str()
        .map(str::to_string)
}
