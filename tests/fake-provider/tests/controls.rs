//! Recording, echo mode, the `/_fake` HTTP controls, and shutdown.

mod common;

use common::{NOTION_TOKEN, client, start};
use fake_provider::{FakeProvider, LinearSeed, NotionSeed, RecordedRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn app_requests_are_recorded_and_cleared() {
    let fake = start().await;
    client()
        .post(format!("{}/notion/v1/search?x=1", fake.base_url()))
        .bearer_auth(NOTION_TOKEN)
        .header("Notion-Version", "2022-06-28")
        .json(&json!({ "query": "plan" }))
        .send()
        .await
        .unwrap();
    client()
        .get(format!("{}/_fake/health", fake.base_url()))
        .send()
        .await
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "control calls are not recorded");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/notion/v1/search?x=1");
    assert_eq!(
        request.header("Authorization"),
        Some(format!("Bearer {NOTION_TOKEN}").as_str())
    );
    assert_eq!(request.header("notion-version"), Some("2022-06-28"));
    assert_eq!(
        serde_json::from_str::<Value>(&request.body).unwrap(),
        json!({ "query": "plan" })
    );
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn echo_mode_reflects_the_credential() {
    let fake = start().await;
    let url = format!("{}/notion/v1/users/me", fake.base_url());
    let send = || {
        client()
            .get(&url)
            .bearer_auth(NOTION_TOKEN)
            .header("Notion-Version", "2022-06-28")
            .send()
    };
    let plain = send().await.unwrap();
    assert!(plain.headers().get("x-echo-authorization").is_none());
    assert!(plain.json::<Value>().await.unwrap().get("_echo").is_none());

    fake.set_echo(true);
    let echoed = send().await.unwrap();
    assert_eq!(
        echoed.headers()["x-echo-authorization"],
        format!("Bearer {NOTION_TOKEN}").as_str()
    );
    let body: Value = echoed.json().await.unwrap();
    assert_eq!(body["object"], "user", "the real answer is still there");
    assert_eq!(
        body["_echo"]["headers"]["authorization"],
        format!("Bearer {NOTION_TOKEN}")
    );
    assert_eq!(body["_echo"]["path"], "/notion/v1/users/me");

    // Errors are echoed too (a 401 that reflects the wrong token).
    let rejected = client()
        .post(format!("{}/linear/graphql?debug=1", fake.base_url()))
        .header("Authorization", "lin_api_leaked")
        .json(&json!({ "query": "{ viewer { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejected.headers()["x-echo-authorization"], "lin_api_leaked");
    let body: Value = rejected.json().await.unwrap();
    assert_eq!(body["_echo"]["query"], "debug=1");
    assert_eq!(body["_echo"]["headers"]["authorization"], "lin_api_leaked");

    fake.set_echo(false);
    assert!(
        send()
            .await
            .unwrap()
            .headers()
            .get("x-echo-authorization")
            .is_none()
    );
}

#[tokio::test]
async fn http_controls_match_the_rust_ones() {
    let fake = FakeProvider::start("127.0.0.1:0").await.unwrap();
    let base = fake.base_url();
    let http = client();

    let health: Value = http
        .get(format!("{base}/_fake/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({ "ok": true }));

    let notion: NotionSeed = http
        .post(format!("{base}/_fake/notion/tokens"))
        .json(&json!({ "token": "secret_http", "user_name": "Via HTTP" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        fake.add_notion_token("secret_http", "again"),
        notion,
        "idempotent"
    );

    let linear: LinearSeed = http
        .post(format!("{base}/_fake/linear/keys"))
        .json(&json!({ "key": "lin_api_http", "user_name": "Via HTTP" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(linear.team_key, "ENG");

    let me = http
        .get(format!("{base}/notion/v1/users/me"))
        .bearer_auth("secret_http")
        .header("Notion-Version", "2022-06-28")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let echo: Value = http
        .put(format!("{base}/_fake/echo"))
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo, json!({ "enabled": true }));

    let recorded: Vec<RecordedRequest> = http
        .get(format!("{base}/_fake/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, "/notion/v1/users/me");

    let cleared = http
        .delete(format!("{base}/_fake/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(fake.requests().is_empty());

    let bad = http
        .post(format!("{base}/_fake/notion/tokens"))
        .json(&json!({ "token": 1 }))
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error());

    let unknown = http.get(format!("{base}/elsewhere")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let fake = start().await;
    let addr = fake.addr();
    assert!(addr.ip().is_loopback());
    fake.shutdown().await.unwrap();
    let after = client()
        .get(format!("http://{addr}/_fake/health"))
        .send()
        .await;
    assert!(after.is_err(), "nothing listens after shutdown");
}

#[tokio::test]
async fn only_loopback_addresses_are_accepted() {
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let refused = FakeProvider::start(addr).await;
        assert!(
            matches!(refused, Err(fake_provider::StartError::NotLoopback(_))),
            "{addr}"
        );
    }
    assert!(FakeProvider::start("not an address").await.is_err());
}
