//! Injected token-endpoint faults, and the `/_fake/oauth` HTTP controls.

mod common;

use std::time::Instant;

use common::flow::{browser, code, exchange, register, token};
use common::start;
use fake_provider::oauth::keys;
use fake_provider::{App, Fault, RunningFake};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A Google client with a refresh token.
async fn connected(fake: &RunningFake) -> (fake_provider::OauthClient, String) {
    let client = register(fake, App::Google);
    let params = common::flow::authorize_params(&client, "openid", &[("access_type", "offline")]);
    let response = common::flow::authorize(fake, App::Google, &params).await;
    let code = common::flow::redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(fake, &client, &code).await;
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    (client, refresh)
}

async fn refresh(
    fake: &RunningFake,
    client: &fake_provider::OauthClient,
    refresh_token: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    token(
        fake,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

#[tokio::test]
async fn each_fault_answers_once_per_injection() {
    let fake = start().await;
    let (client, r) = connected(&fake).await;
    let oauth = fake.oauth();
    oauth.inject_fault(App::Google, Fault::InvalidGrant, 2);
    oauth.inject_fault(App::Google, Fault::InvalidClient, 1);
    oauth.inject_fault(
        App::Google,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        1,
    );
    oauth.inject_fault(App::Google, Fault::ServerError { status: 500 }, 1);
    oauth.inject_fault(App::Google, Fault::ServerError { status: 503 }, 1);
    oauth.inject_fault(
        App::Google,
        Fault::ErrorWith200 {
            error: "invalid_grant".into(),
        },
        1,
    );
    assert_eq!(oauth.pending_faults(App::Google).len(), 7);

    for _ in 0..2 {
        let (status, _, body) = refresh(&fake, &client, &r).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
    let (status, headers, body) = refresh(&fake, &client, &r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(headers.contains_key("www-authenticate"));
    let (status, headers, _) = refresh(&fake, &client, &r).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "7");
    let (status, _, body) = refresh(&fake, &client, &r).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("server_error"))
    );
    let (status, _, body) = refresh(&fake, &client, &r).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("temporarily_unavailable")
        )
    );
    let (status, _, body) = refresh(&fake, &client, &r).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::OK, Some("invalid_grant"))
    );
    assert!(body.get("access_token").is_none());

    // Faults used up: the refresh token still works (faults do not touch the grant).
    let (status, _, body) = refresh(&fake, &client, &r).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let counts = oauth.token_counts();
    let refresh_counts = &counts[&App::Google]["refresh_token"];
    assert_eq!(refresh_counts["invalid_grant"], 3);
    assert_eq!(refresh_counts["rate_limited"], 1);
    assert_eq!(refresh_counts["server_error"], 2);
    assert_eq!(refresh_counts["ok"], 1);
}

#[tokio::test]
async fn faults_are_per_app_and_shaped_per_app() {
    let fake = start().await;
    let github = register(&fake, App::Github);
    let code = code(&fake, &github, "repo").await;
    fake.oauth()
        .inject_fault(App::Google, Fault::InvalidGrant, 1);
    fake.oauth()
        .inject_fault(App::Github, Fault::InvalidGrant, 1);
    let (status, _, body) = exchange(&fake, &github, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error"], "bad_verification_code");
    let (_, _, body) = exchange(&fake, &github, &code).await;
    assert!(
        body["access_token"].is_string(),
        "the injected answer did not spend the code"
    );
    assert_eq!(fake.oauth().pending_faults(App::Google).len(), 1);
    fake.oauth().clear_faults(App::Google);
    assert!(fake.oauth().pending_faults(App::Google).is_empty());
}

#[tokio::test]
async fn a_slow_endpoint_still_answers() {
    let fake = start().await;
    let (client, r) = connected(&fake).await;
    fake.oauth()
        .inject_fault(App::Google, Fault::Delay { ms: 300 }, 1);
    let started = Instant::now();
    let (status, _, _) = refresh(&fake, &client, &r).await;
    assert_eq!(status, StatusCode::OK);
    // A lower bound only: the fake slept at least this long before answering.
    assert!(started.elapsed().as_millis() >= 300);
}

#[tokio::test]
async fn http_controls_drive_the_same_server() {
    let fake = start().await;
    let base = fake.base_url();
    let http = browser();
    let post = |path: &str, body: Value| http.post(format!("{base}{path}")).json(&body).send();

    let created = post(
        "/_fake/oauth/clients",
        json!({
            "app": "github", "client_id": "gh", "client_secret": "s",
            "redirect_uris": [common::flow::REDIRECT], "allowed_scopes": ["repo"],
        }),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let bad = post(
        "/_fake/oauth/clients",
        json!({ "app": "github", "client_id": "gh2", "redirect_uris": ["not a url"], "client_secret": "s" }),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let listed: Vec<Value> = http
        .get(format!("{base}/_fake/oauth/clients"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let sa = post(
        "/_fake/oauth/service-accounts",
        json!({ "client_email": "sa@p.iam.gserviceaccount.com", "public_key_pem": keys::SERVICE_ACCOUNT_PUBLIC_KEY }),
    )
    .await
    .unwrap();
    assert_eq!(sa.status(), StatusCode::CREATED);

    let settings: Value = http
        .patch(format!("{base}/_fake/oauth/google/settings"))
        .json(&json!({ "access_ttl_secs": null, "rotation": true, "issuer": "https://wrong" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["access_ttl_secs"], Value::Null);
    assert_eq!(settings["rotation"], true);
    assert_eq!(fake.oauth().settings(App::Google).issuer, "https://wrong");

    let consent = http
        .put(format!("{base}/_fake/oauth/github/consent"))
        .json(&json!({ "user": "Grace Hopper", "grant": "deny" }))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::OK);
    assert_eq!(
        fake.oauth().settings(App::Github).consent.user,
        "Grace Hopper"
    );

    let faults: Value = post(
        "/_fake/oauth/google/faults",
        json!({ "fault": { "kind": "rate_limited", "retry_after_secs": 3 }, "times": 2 }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(faults["pending"].as_array().map(Vec::len), Some(2));
    let cleared = http
        .delete(format!("{base}/_fake/oauth/google/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);

    let minted: Value = post(
        "/_fake/oauth/github/tokens",
        json!({ "user": "Grace Hopper", "scopes": ["repo"] }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = minted["access_token"].as_str().unwrap().to_owned();
    let tokens: Vec<Value> = http
        .get(format!("{base}/_fake/oauth/users/Grace%20Hopper/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens[0]["token"], access.as_str());
    assert_eq!(tokens[0]["scopes"], json!(["repo"]));

    let dropped: Value = post(
        "/_fake/oauth/github/users/Grace%20Hopper/remove-scope",
        json!({ "scope": "repo" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(dropped["changed_grants"], 1);
    let revoked: Value = post("/_fake/oauth/github/users/Grace%20Hopper/revoke", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked_grants"], 1);

    let clock: Value = post("/_fake/oauth/clock", json!({ "advance_secs": 90 }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offset_secs"], 90);

    for path in [
        "/_fake/oauth/token-calls",
        "/_fake/oauth/token-counts",
        "/_fake/oauth/jwt-assertions",
        "/_fake/oauth/revocations",
    ] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let wiped = http
        .delete(format!("{base}/_fake/oauth/journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(wiped.status(), StatusCode::NO_CONTENT);
    let unknown = http
        .get(format!("{base}/_fake/oauth/gitlab/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
