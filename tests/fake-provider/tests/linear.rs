//! The fake Linear GraphQL API over real HTTP: raw-key auth, viewer, issues, issueCreate.

mod common;

use common::{LINEAR_KEY, client, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn graphql(
    base: &str,
    key: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request = client()
        .post(format!("{base}/linear/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(key) = key {
        request = request.header("Authorization", key);
    }
    let response = request.send().await.expect("request goes through");
    let status = response.status();
    (status, response.json().await.expect("JSON answer"))
}

#[tokio::test]
async fn bad_keys_get_linear_authentication_errors() {
    let fake = start().await;
    let bearer = format!("Bearer {LINEAR_KEY}");
    for key in [None, Some("lin_api_wrong"), Some(bearer.as_str())] {
        let (status, body) = graphql(&fake.base_url(), key, "{ viewer { id } }", json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let error = &body["errors"][0];
        assert_eq!(
            error["message"],
            "Authentication required, not authenticated"
        );
        assert_eq!(error["extensions"]["code"], "AUTHENTICATION_ERROR");
        assert_eq!(error["extensions"]["type"], "authentication error");
        assert!(body.get("data").is_none());
    }
}

#[tokio::test]
async fn viewer_and_teams() {
    let fake = start().await;
    let (status, body) = graphql(
        &fake.base_url(),
        Some(LINEAR_KEY),
        "query { viewer { id name email } teams { nodes { id key name } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["data"];
    assert_eq!(data["viewer"]["name"], "Grace Hopper");
    assert_eq!(data["viewer"]["email"], "grace.hopper@example.com");
    assert_eq!(data["teams"]["nodes"][0]["key"], "ENG");
}

#[tokio::test]
async fn created_issues_are_listed() {
    let fake = start().await;
    let base = fake.base_url();
    let seed = fake.add_linear_key(LINEAR_KEY, "ignored");
    let create = "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier title url } } }";
    for title in ["First", "Second"] {
        let input =
            json!({ "input": { "teamId": seed.team_id, "title": title, "description": null } });
        let (status, body) = graphql(&base, Some(LINEAR_KEY), create, input).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["issueCreate"]["success"], true);
        assert_eq!(body["data"]["issueCreate"]["issue"]["title"], title);
    }
    let list = "query($first: Int!, $filter: IssueFilter) { issues(first: $first, filter: $filter) { nodes { id identifier title } } }";
    let (_, body) = graphql(
        &base,
        Some(LINEAR_KEY),
        list,
        json!({ "first": 10, "filter": { "team": { "key": { "eq": "ENG" } } } }),
    )
    .await;
    let nodes = body["data"]["issues"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["identifier"], "ENG-2");
    assert_eq!(nodes[1]["title"], "First");

    let (_, limited) = graphql(&base, Some(LINEAR_KEY), list, json!({ "first": 1 })).await;
    assert_eq!(
        limited["data"]["issues"]["nodes"].as_array().unwrap().len(),
        1
    );

    let (_, other_team) = graphql(
        &base,
        Some(LINEAR_KEY),
        list,
        json!({ "first": 10, "filter": { "team": { "key": { "eq": "OPS" } } } }),
    )
    .await;
    assert_eq!(other_team["data"]["issues"]["nodes"], json!([]));

    // Another key sees none of them.
    fake.add_linear_key("lin_api_other", "Someone Else");
    let (_, theirs) = graphql(&base, Some("lin_api_other"), list, json!({ "first": 10 })).await;
    assert_eq!(theirs["data"]["issues"]["nodes"], json!([]));
}

#[tokio::test]
async fn unknown_team_is_an_input_error_with_http_200() {
    let fake = start().await;
    let create =
        "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { issue { id } } }";
    let (status, body) = graphql(
        &fake.base_url(),
        Some(LINEAR_KEY),
        create,
        json!({ "input": { "teamId": "nope", "title": "x" } }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["message"], "Entity not found: Team");
    assert_eq!(body["errors"][0]["extensions"]["code"], "INPUT_ERROR");
}

#[tokio::test]
async fn unsupported_queries_are_validation_errors() {
    let fake = start().await;
    let (status, body) = graphql(
        &fake.base_url(),
        Some(LINEAR_KEY),
        "{ cycles { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let response = client()
        .post(format!("{}/linear/graphql", fake.base_url()))
        .header("Authorization", LINEAR_KEY)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
