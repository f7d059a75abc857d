//! Re-authentication: probes find revoked connections, one alert per incident reaches a
//! Standard Webhooks receiver (verified by the reference library) and Slack, jobs park in
//! auth_blocked and resume after the user reconnects, deliveries survive receiver outages and
//! restarts, transient token-endpoint trouble never alerts.

mod common;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use e2e::browser::Browser;
use e2e::oidc::free_port;
use e2e::webhooks;
use fake_provider::oauth::{App, ClientAuth, Fault};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use common::{Stack, connect_link, consent, github, oauth_stack_with, until_callback};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A Slack-compatible incoming webhook that keeps what it is sent.
async fn slack_capture() -> (String, std::sync::Arc<Mutex<Vec<Value>>>) {
    let got = std::sync::Arc::new(Mutex::new(Vec::new()));
    let app =
        axum::Router::new()
            .route(
                "/slack",
                axum::routing::post(
                    |State(got): State<std::sync::Arc<Mutex<Vec<Value>>>>,
                     Json(body): Json<Value>| async move {
                        got.lock().await.push(body);
                        "ok"
                    },
                ),
            )
            .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/slack", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// A stack whose alerts go to a webhook receiver on `hook_port` (maybe not running) and Slack.
async fn alerting_stack(hook_port: u16, slack_url: &str, extra: &str) -> Stack {
    let config = format!(
        "[alerts]\nretry_base_ms = 200\nretry_max_ms = 1000\n\n[[alerts.webhooks]]\nurl = \"http://127.0.0.1:{hook_port}/hook\"\nsecret_env = \"LK_TEST_WEBHOOK_SECRET\"\n\n[[alerts.slack]]\nurl_env = \"LK_TEST_SLACK_URL\"\n\n{extra}"
    );
    oauth_stack_with(
        &config,
        vec![
            ("LK_TEST_WEBHOOK_SECRET".into(), SECRET.into()),
            ("LK_TEST_SLACK_URL".into(), slack_url.into()),
        ],
    )
    .await
}

/// Every alert, from the admin API (which must answer: an empty list proves nothing otherwise).
async fn alerts(s: &Stack) -> Vec<Value> {
    let (status, body) = s.gw.get("/v1/alerts", &s.gw.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["alerts"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("GET /v1/alerts lists no alerts array: {body}"))
}

async fn connection_status(s: &Stack, user: &str) -> Value {
    let (_, body) =
        s.gw.get(
            &format!("/v1/admin/connections?user_id={user}"),
            &s.gw.admin_key,
        )
        .await;
    body["connections"][0].clone()
}

fn verified_of(received: &[Value], kind: &str) -> Vec<Value> {
    received
        .iter()
        .filter(|r| r["verified"] == true && r["payload"]["type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_revoked_connection_is_found_alerted_once_and_its_job_resumes_after_reconnecting() {
    let hook_port = free_port();
    let receiver = webhooks::start(hook_port, SECRET).await;
    let (slack_url, slack) = slack_capture().await;
    let mut s = alerting_stack(
        hook_port,
        &slack_url,
        "[health]\ntick_seconds = 1\n\n[connectors.github]\nprobe_interval_seconds = 1\n",
    )
    .await;
    github(&s).await;
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    assert_eq!(
        consent(&mut Browser::new(), &link).await.status,
        StatusCode::OK
    );
    assert!(alerts(&s).await.is_empty());

    // The user revokes the app at the provider; the next probe notices.
    assert!(s.fake.oauth().revoke_user(App::Github, "octocat") >= 1);
    let mut status = Value::Null;
    for _ in 0..100 {
        status = connection_status(&s, "alice").await;
        if status["status"] == "needs_reauth" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status["status"], "needs_reauth", "{status}");

    // Exactly one alert, delivered and verified by the reference Standard Webhooks library.
    let got = receiver
        .wait_until(Duration::from_secs(10), |r| {
            !verified_of(r, "connection.needs_reauth").is_empty()
        })
        .await;
    let opened = verified_of(&got, "connection.needs_reauth");
    assert_eq!(opened.len(), 1, "{got:?}");
    assert!(
        got.iter().all(|r| r["verified"] == true),
        "every delivery verifies: {got:?}"
    );
    let data = &opened[0]["payload"]["data"];
    assert_eq!(data["connector"]["id"], "github");
    assert_eq!(data["owner"], json!({"kind": "user", "id": "alice"}));
    assert!(
        data["reason"] == "revoked" || data["reason"] == "expired",
        "{data}"
    );
    let reconnect = data["reconnect_url"]
        .as_str()
        .expect("a reconnect link")
        .to_string();
    // The link is a capability: sent, never stored (the outbox keeps the event without it).
    let link_token = reconnect.rsplit('/').next().expect("a token").to_string();
    assert!(
        !s.gw.db_dump().contains(&link_token),
        "the reconnect link is stored in the database"
    );
    assert!(
        !opened[0].to_string().contains("gho_"),
        "no token in the alert"
    );
    let mut slack_texts = Vec::new();
    for _ in 0..50 {
        slack_texts = slack.lock().await.clone();
        if !slack_texts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(slack_texts.len(), 1, "{slack_texts:?}");
    assert!(
        slack_texts[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("GitHub") && t.contains("alice"))
    );

    // More probes and failing calls do not raise more alerts.
    for _ in 0..5 {
        s.gw.call("github_get_user", "alice", json!({})).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(alerts(&s).await.len(), 1);
    assert_eq!(
        verified_of(&receiver.received().await, "connection.needs_reauth").len(),
        1
    );

    // A job submitted meanwhile parks instead of failing.
    let (code, job) =
        s.gw.post(
            "/v1/jobs",
            &s.gw.agent_key,
            &json!({"tool": "github_get_user", "user_id": "alice", "idempotency_key": "j1"}),
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().expect("job id").to_string();
    let (_, job) =
        s.gw.get(&format!("/v1/jobs/{id}?wait=10"), &s.gw.agent_key)
            .await;
    assert_eq!(job["status"], "auth_blocked", "{job}");
    assert!(job["error"]["connect_url"].as_str().is_some(), "{job}");
    // The same idempotency key returns the same job.
    let (code, again) =
        s.gw.post(
            "/v1/jobs",
            &s.gw.agent_key,
            &json!({"tool": "github_get_user", "user_id": "alice", "idempotency_key": "j1"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(again["id"], json!(id));
    // Another job for the same user and app waits with it instead of failing.
    let (_, second) =
        s.gw.post(
            "/v1/jobs",
            &s.gw.agent_key,
            &json!({"tool": "github_get_user", "user_id": "alice"}),
        )
        .await;
    let second = second["id"].as_str().expect("job id").to_string();
    let (_, job2) =
        s.gw.get(&format!("/v1/jobs/{second}?wait=10"), &s.gw.agent_key)
            .await;
    assert_eq!(job2["status"], "auth_blocked", "{job2}");

    // Parked jobs survive a restart of the gateway.
    s.gw.stop();
    s.gw.spawn().await.expect("restart");
    // The restarted test gateway listens on a new port, so its redirect URI changed: register
    // it as a new client (a real gateway keeps its public_url).
    common::configure(
        &s,
        App::Github,
        "github",
        ClientAuth::Post,
        "gh-client-2",
        "gh-secret-2",
        "octocat",
    )
    .await;

    // The user reconnects through the alert's link; the job resumes and succeeds.
    // (The restarted test gateway listens on a new port; a real one keeps its public_url.)
    let path = reconnect.splitn(4, '/').nth(3).expect("path");
    let reconnect = format!("{}/{path}", s.gw.base_url);
    let mut b = Browser::new();
    let hop = b.get(&reconnect).await;
    assert_eq!(hop.status, StatusCode::SEE_OTHER, "{}", hop.body);
    let connect_page = hop.location.expect("to a connect page").to_string();
    let callback = until_callback(&mut b, &connect_page).await;
    assert_eq!(b.callback(callback.as_str()).await.status, StatusCode::OK);
    let (_, job) =
        s.gw.get(&format!("/v1/jobs/{id}?wait=20"), &s.gw.agent_key)
            .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["output"]["login"], "octocat", "{job}");
    let (_, job2) =
        s.gw.get(&format!("/v1/jobs/{second}?wait=20"), &s.gw.agent_key)
            .await;
    assert_eq!(job2["status"], "succeeded", "{job2}");
    assert_eq!(connection_status(&s, "alice").await["status"], "active");

    // And a "resolved" event follows.
    let got = receiver
        .wait_until(Duration::from_secs(10), |r| {
            !verified_of(r, "connection.reauthorized").is_empty()
        })
        .await;
    assert_eq!(
        verified_of(&got, "connection.reauthorized").len(),
        1,
        "{got:?}"
    );
    let all = alerts(&s).await;
    assert!(!all.is_empty(), "the resolved alert is still listed");
    assert!(all.iter().all(|a| a["status"] == "resolved"), "{all:?}");
}

#[tokio::test]
async fn a_hundred_failing_calls_on_one_broken_connection_raise_one_alert() {
    let receiver = webhooks::start(0, SECRET).await;
    let port: u16 = receiver
        .base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (slack_url, _) = slack_capture().await;
    let s = alerting_stack(port, &slack_url, "").await;
    s.gw.set_api_key("linear", "alice", "lin_api_not_valid");
    let calls = (0..100).map(|_| s.gw.call("linear_get_viewer", "alice", json!({})));
    let results = futures_util::future::join_all(calls).await;
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "reauthorization_required", "{body}");
    }
    let all = alerts(&s).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let got = receiver
        .wait_until(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().await.len(), 1, "{got:?}");
}

#[tokio::test]
async fn rate_limits_and_server_errors_at_the_token_endpoint_raise_no_alert() {
    let (slack_url, slack) = slack_capture().await;
    let s = alerting_stack(free_port(), &slack_url, "").await;
    github(&s).await;
    let oauth = s.fake.oauth();
    oauth.set_refresh_tokens(App::Github, true);
    oauth.set_rotation(App::Github, true);
    oauth.set_access_ttl(App::Github, Some(3600));
    let (link, _) = connect_link(&s, "github_get_user", "alice").await;
    consent(&mut Browser::new(), &link).await;
    for fault in [
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Fault::ServerError { status: 503 },
    ] {
        oauth.advance_clock(4000);
        oauth.inject_fault(App::Github, fault.clone(), 1);
        let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{fault:?}: {body}");
        assert_eq!(connection_status(&s, "alice").await["status"], "active");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (status, body) = s.gw.call("github_get_user", "alice", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{fault:?}: {body}");
    }
    assert!(alerts(&s).await.is_empty());
    assert!(slack.lock().await.is_empty());
}

#[tokio::test]
async fn a_delivery_to_a_down_receiver_is_retried_and_survives_a_restart() {
    let hook_port = free_port();
    let (slack_url, _) = slack_capture().await;
    let mut s = alerting_stack(hook_port, &slack_url, "").await;
    s.gw.set_api_key("linear", "alice", "lin_api_not_valid");
    let (status, _) = s.gw.call("linear_get_viewer", "alice", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Nobody listens yet: the delivery fails and stays pending.
    let mut attempts = 0;
    for _ in 0..50 {
        let all = alerts(&s).await;
        let hook = all[0]["deliveries"]
            .as_array()
            .and_then(|d| d.iter().find(|x| x["destination"] == "webhook-1").cloned())
            .expect("a webhook delivery");
        attempts = hook["attempts"].as_i64().unwrap_or(0);
        if attempts >= 2 {
            assert_eq!(hook["status"], "pending", "{hook}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(attempts >= 2, "retried while the receiver was down");

    // Restart the gateway, then bring the receiver up: the delivery arrives, once.
    s.gw.stop();
    s.gw.spawn().await.expect("restart");
    let receiver = webhooks::start(hook_port, SECRET).await;
    let got = receiver
        .wait_until(Duration::from_secs(15), |r| {
            !verified_of(r, "connection.needs_reauth").is_empty()
        })
        .await;
    assert_eq!(
        verified_of(&got, "connection.needs_reauth").len(),
        1,
        "{got:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: std::collections::BTreeSet<String> = receiver
        .received()
        .await
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 1, "one message (retries reuse its webhook-id)");
}

#[tokio::test]
async fn scope_drift_raises_an_alert_naming_the_missing_scopes() {
    let receiver = webhooks::start(0, SECRET).await;
    let port: u16 = receiver
        .base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (slack_url, _) = slack_capture().await;
    let s = alerting_stack(port, &slack_url, "").await;
    github(&s).await;
    let oauth = s.fake.oauth();
    oauth.set_refresh_tokens(App::Github, true);
    oauth.set_rotation(App::Github, true);
    oauth.set_access_ttl(App::Github, Some(3600));
    let (_, link) =
        s.gw.post(
            "/v1/connect-sessions",
            &s.gw.agent_key,
            &json!({"connector": "github", "user_id": "alice", "scopes": ["read:user", "repo"]}),
        )
        .await;
    consent(&mut Browser::new(), link["url"].as_str().expect("url")).await;
    oauth.remove_scope(App::Github, "octocat", "repo");
    oauth.advance_clock(4000);
    let (status, _) = s.gw.call("github_get_user", "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let got = receiver
        .wait_until(Duration::from_secs(10), |r| {
            !verified_of(r, "connection.needs_reauth").is_empty()
        })
        .await;
    let data = &verified_of(&got, "connection.needs_reauth")[0]["payload"]["data"];
    assert_eq!(data["reason"], "scope_changed", "{data}");
    assert_eq!(data["missing_scopes"], json!(["repo"]), "{data}");
}
