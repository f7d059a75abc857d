//! The fake Atlassian: its OAuth server (audience, offline_access, rotating refresh tokens, a
//! 403 for a dead refresh token) and the API gateway (accessible-resources, Jira issues, scope
//! checks), over real HTTP.

mod common;

use common::flow::{
    authorize, authorize_params, browser, client_of, exchange, redirect_params, register, token,
};
use common::{client, start};
use fake_provider::atlassian::{CLOUD_ID, SITE_URL};
use fake_provider::{App, Fault, RunningFake};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ALL_SCOPES: &str = "read:jira-work write:jira-work read:jira-user offline_access";
const AUDIENCE: (&str, &str) = ("audience", "api.atlassian.com");

/// Calls the gateway at `path` (under `/atlassian`).
async fn call(
    fake: &RunningFake,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = browser()
        .request(method, format!("{}/atlassian{path}", fake.base_url()))
        .header("accept", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn jira(path: &str) -> String {
    format!("/ex/jira/{CLOUD_ID}/rest/api/3/{path}")
}

fn token_for(fake: &RunningFake, scopes: &[&str]) -> String {
    fake.oauth()
        .mint_tokens(App::Atlassian, "Ada Lovelace", scopes)
        .access_token
}

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

#[tokio::test]
async fn code_flow_with_audience_and_rotating_refresh_tokens() {
    let fake = start().await;
    let client = register(&fake, App::Atlassian);

    let without_audience = authorize(
        &fake,
        App::Atlassian,
        &authorize_params(&client, ALL_SCOPES, &[]),
    )
    .await;
    let params = redirect_params(&without_audience);
    assert_eq!(params["error"], "invalid_request");
    assert!(params["error_description"].contains("audience"));

    let response = authorize(
        &fake,
        App::Atlassian,
        &authorize_params(&client, ALL_SCOPES, &[AUDIENCE, ("prompt", "consent")]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], ALL_SCOPES);
    let first_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let (status, _, _) = call(
        &fake,
        Method::GET,
        "/oauth/token/accessible-resources",
        Some(&access),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let refresh = |refresh_token: String| {
        let fake = &fake;
        let client = client.clone();
        async move {
            token(
                fake,
                &client,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh_token),
                ],
            )
            .await
        }
    };
    let (status, _, body) = refresh(first_refresh.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let second_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh, "rotated");
    let new_access = body["access_token"].as_str().unwrap().to_owned();

    // Reusing the rotated one: Atlassian's 403, and the whole grant is gone.
    let (status, _, body) = refresh(first_refresh).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _, _) = refresh(second_refresh).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = call(
        &fake,
        Method::GET,
        "/oauth/token/accessible-resources",
        Some(&new_access),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"code": 401, "message": "Unauthorized"}));
}

#[tokio::test]
async fn refresh_tokens_need_offline_access() {
    let fake = start().await;
    let client = register(&fake, App::Atlassian);
    let response = authorize(
        &fake,
        App::Atlassian,
        &authorize_params(&client, "read:jira-work", &[AUDIENCE]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("refresh_token").is_none(), "{body}");
    let minted = fake
        .oauth()
        .mint_tokens(App::Atlassian, "Ada Lovelace", &["read:jira-work"]);
    assert_eq!(minted.refresh_token, None);
}

#[tokio::test]
async fn faults_and_wrong_clients_answer_in_atlassian_shape() {
    let fake = start().await;
    let client = register(&fake, App::Atlassian);
    fake.oauth()
        .inject_fault(App::Atlassian, Fault::InvalidGrant, 1);
    let (status, _, body) = token(
        &fake,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_grant"))
    );
    let (status, _, body) = token(
        &fake,
        &client,
        &[("grant_type", "authorization_code"), ("code", "nope")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let mut stranger = client_of(App::Atlassian);
    stranger.client_secret = Some("wrong".into());
    let (status, _, body) = token(
        &fake,
        &stranger,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(
        fake.oauth()
            .token_count(App::Atlassian, "refresh_token", Some("invalid_grant")),
        1
    );
}

#[tokio::test]
async fn accessible_resources_list_the_site_with_the_tokens_jira_scopes() {
    let fake = start().await;
    let token = token_for(&fake, &["read:jira-work", "offline_access"]);
    let (status, _, sites) = call(
        &fake,
        Method::GET,
        "/oauth/token/accessible-resources",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sites[0]["id"], CLOUD_ID);
    assert_eq!(sites[0]["url"], SITE_URL);
    assert_eq!(sites[0]["name"], "acme");
    assert_eq!(sites[0]["scopes"], json!(["read:jira-work"]));
    let unrelated = token_for(&fake, &["offline_access"]);
    let (_, _, none) = call(
        &fake,
        Method::GET,
        "/oauth/token/accessible-resources",
        Some(&unrelated),
        None,
    )
    .await;
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn issues_can_be_created_read_and_edited() {
    let fake = start().await;
    let token = token_for(
        &fake,
        &["read:jira-work", "write:jira-work", "read:jira-user"],
    );
    let (status, _, me) = call(&fake, Method::GET, &jira("myself"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["displayName"], "Ada Lovelace");
    assert!(me["accountId"].as_str().unwrap().starts_with("712020:"));

    let (status, _, created) = call(
        &fake,
        Method::POST,
        &jira("issue"),
        Some(&token),
        Some(json!({"fields": {
            "project": {"key": "ENG"}, "summary": "Login fails", "issuetype": {"name": "Bug"},
            "description": adf("Steps to reproduce."), "labels": ["web"]
        }})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["key"], "ENG-3", "after the two seeded ENG issues");
    assert!(
        created["self"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/issue/{}", created["id"].as_str().unwrap()))
    );

    let (status, _, issue) = call(
        &fake,
        Method::GET,
        &jira("issue/eng-3?fields=summary,description,issuetype,reporter"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(issue["key"], "ENG-3");
    assert_eq!(issue["fields"]["summary"], "Login fails");
    assert_eq!(issue["fields"]["description"], adf("Steps to reproduce."));
    assert_eq!(issue["fields"]["issuetype"]["name"], "Bug");
    assert_eq!(issue["fields"]["reporter"]["displayName"], "Ada Lovelace");
    assert!(
        issue["fields"].get("status").is_none(),
        "only the asked fields"
    );

    let (status, _, body) = call(
        &fake,
        Method::PUT,
        &jira("issue/ENG-3"),
        Some(&token),
        Some(json!({"fields": {"summary": "Login fails on Safari", "description": null}})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let stored = fake
        .jira_issues()
        .into_iter()
        .find(|i| i["key"] == "ENG-3")
        .unwrap();
    assert_eq!(stored["fields"]["summary"], "Login fails on Safari");
    assert_eq!(stored["fields"]["description"], Value::Null);
    assert_eq!(stored["fields"]["labels"], json!(["web"]));

    let (status, _, body) = call(
        &fake,
        Method::GET,
        &jira("issue/ENG-99"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["errorMessages"][0],
        "Issue does not exist or you do not have permission to see it."
    );
}

#[tokio::test]
async fn bad_issue_bodies_get_jiras_400s() {
    let fake = start().await;
    let token = token_for(&fake, &["write:jira-work"]);
    let cases = [
        (
            json!({"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}}}),
            "summary",
        ),
        (
            json!({"fields": {"project": {"key": "NOPE"}, "summary": "x", "issuetype": {"name": "Task"}}}),
            "project",
        ),
        (
            json!({"fields": {"project": {"key": "ENG"}, "summary": "x", "issuetype": {"name": "Saga"}}}),
            "issuetype",
        ),
        (
            json!({"fields": {"project": {"key": "ENG"}, "summary": "x", "issuetype": {"name": "Task"},
                              "description": "plain text is not ADF"}}),
            "description",
        ),
        (
            json!({"fields": {"project": {"key": "ENG"}, "summary": "x", "issuetype": {"name": "Task"},
                              "priority": {"name": "High"}}}),
            "priority",
        ),
    ];
    for (body, field) in cases {
        let (status, _, answer) = call(
            &fake,
            Method::POST,
            &jira("issue"),
            Some(&token),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["errors"][field].is_string(), "{field}: {answer}");
    }
    let raw = client()
        .post(format!("{}/atlassian{}", fake.base_url(), jira("issue")))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_gateway_checks_tokens_sites_and_scopes() {
    let fake = start().await;
    let (status, _, body) = call(&fake, Method::GET, &jira("issue/ENG-1"), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Unauthorized");

    let reader = token_for(&fake, &["read:jira-work"]);
    let (status, _, _) = call(
        &fake,
        Method::GET,
        &jira("issue/ENG-1"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = call(
        &fake,
        Method::PUT,
        &jira("issue/ENG-1"),
        Some(&reader),
        Some(json!({"fields": {"summary": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Unauthorized; scope does not match");
    assert_eq!(headers["x-failure-category"], "FAILURE_CLIENT_SCOPE_CHECK");

    let other_site = "/ex/jira/00000000-0000-4000-8000-000000000000/rest/api/3/issue/ENG-1";
    let (status, _, _) = call(&fake, Method::GET, other_site, Some(&reader), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Scope drift, expiry and revocation, through the Rust controls.
    let writer = token_for(&fake, &["read:jira-work", "write:jira-work"]);
    assert_eq!(
        fake.oauth()
            .remove_scope(App::Atlassian, "Ada Lovelace", "write:jira-work"),
        1
    );
    let (status, _, body) = call(
        &fake,
        Method::PUT,
        &jira("issue/ENG-1"),
        Some(&writer),
        Some(json!({"fields": {"summary": "x"}})),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("Unauthorized; scope does not match")
        )
    );
    fake.oauth().advance_clock(3600);
    let (status, _, body) = call(
        &fake,
        Method::GET,
        &jira("issue/ENG-1"),
        Some(&writer),
        None,
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Unauthorized"))
    );
    let fresh = token_for(&fake, &["read:jira-work"]);
    fake.oauth().revoke_user(App::Atlassian, "Ada Lovelace");
    let (status, _, _) = call(&fake, Method::GET, &jira("issue/ENG-1"), Some(&fresh), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn http_controls_cover_atlassian() {
    let fake = start().await;
    let base = fake.base_url();
    let http = client();
    let settings: Value = http
        .get(format!("{base}/_fake/oauth/atlassian/settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["access_ttl_secs"], 3600);
    assert_eq!(settings["rotation"], true);
    let minted: Value = http
        .post(format!("{base}/_fake/oauth/atlassian/tokens"))
        .json(&json!({"user": "Grace Hopper", "scopes": ["read:jira-work", "offline_access"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(minted["refresh_token"].is_string());
    let issues: Value = http
        .get(format!("{base}/_fake/jira/issues"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["ENG-1", "ENG-2", "OPS-1"]);
    let revoked: Value = http
        .post(format!(
            "{base}/_fake/oauth/atlassian/users/Grace%20Hopper/revoke"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked_grants"], 1);
}
