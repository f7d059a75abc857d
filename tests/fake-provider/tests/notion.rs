//! The fake Notion API over real HTTP: auth, version header, pages, search.

mod common;

use common::{NOTION_TOKEN, client, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

const VERSION: &str = "2022-06-28";

async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(method, url)
        .header("Notion-Version", VERSION);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request goes through");
    let status = response.status();
    (status, response.json().await.expect("JSON answer"))
}

#[tokio::test]
async fn wrong_or_missing_token_is_notion_401() {
    let fake = start().await;
    let url = format!("{}/notion/v1/users/me", fake.base_url());
    for token in [None, Some("secret_wrong")] {
        let (status, body) = call(reqwest::Method::GET, url.clone(), token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["object"], "error");
        assert_eq!(body["status"], 401);
        assert_eq!(body["code"], "unauthorized");
    }
    // The raw token without "Bearer " is refused too.
    let response = client()
        .get(&url)
        .header("Authorization", NOTION_TOKEN)
        .header("Notion-Version", VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn version_header_is_required() {
    let fake = start().await;
    let response = client()
        .get(format!("{}/notion/v1/users/me", fake.base_url()))
        .bearer_auth(NOTION_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "missing_version");
}

#[tokio::test]
async fn users_me_is_the_bot() {
    let fake = start().await;
    let url = format!("{}/notion/v1/users/me", fake.base_url());
    let (status, me) = call(reqwest::Method::GET, url, Some(NOTION_TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["object"], "user");
    assert_eq!(me["type"], "bot");
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["bot"]["workspace_name"], "Ada Lovelace's Workspace");
}

#[tokio::test]
async fn created_pages_are_retrievable_and_searchable() {
    let fake = start().await;
    let base = format!("{}/notion/v1", fake.base_url());
    let root = fake.add_notion_token(NOTION_TOKEN, "ignored").root_page_id;
    let create = json!({
        "parent": { "page_id": root.replace('-', "") },
        "properties": { "title": { "title": [{ "text": { "content": "Launch plan" } }] } },
        "children": [{ "object": "block", "type": "paragraph",
            "paragraph": { "rich_text": [{ "type": "text", "text": { "content": "Go." } }] } }],
    });
    let (status, page) = call(
        reqwest::Method::POST,
        format!("{base}/pages"),
        Some(NOTION_TOKEN),
        Some(create),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["object"], "page");
    assert_eq!(page["parent"]["page_id"], root);
    assert_eq!(
        page["properties"]["title"]["title"][0]["plain_text"],
        "Launch plan"
    );
    let id = page["id"].as_str().unwrap().to_owned();

    let (status, got) = call(
        reqwest::Method::GET,
        format!("{base}/pages/{}", id.replace('-', "")),
        Some(NOTION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["id"], id);

    let (_, found) = call(
        reqwest::Method::POST,
        format!("{base}/search"),
        Some(NOTION_TOKEN),
        Some(json!({ "query": "launch", "filter": { "property": "object", "value": "page" } })),
    )
    .await;
    assert_eq!(found["object"], "list");
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(found["results"][0]["id"], id);

    let (_, everything) = call(
        reqwest::Method::POST,
        format!("{base}/search"),
        Some(NOTION_TOKEN),
        None,
    )
    .await;
    assert_eq!(everything["results"].as_array().unwrap().len(), 2);

    let (_, databases) = call(
        reqwest::Method::POST,
        format!("{base}/search"),
        Some(NOTION_TOKEN),
        Some(json!({ "filter": { "property": "object", "value": "database" } })),
    )
    .await;
    assert_eq!(databases["results"], json!([]));
}

#[tokio::test]
async fn search_pages_with_a_cursor() {
    let fake = start().await;
    let base = format!("{}/notion/v1", fake.base_url());
    let (_, first) = call(
        reqwest::Method::POST,
        format!("{base}/search"),
        Some(NOTION_TOKEN),
        Some(json!({ "page_size": 1 })),
    )
    .await;
    assert_eq!(first["has_more"], false);
    let (status, bad) = call(
        reqwest::Method::POST,
        format!("{base}/search"),
        Some(NOTION_TOKEN),
        Some(json!({ "page_size": 0 })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["code"], "validation_error");
}

#[tokio::test]
async fn workspaces_are_separate() {
    let fake = start().await;
    let other = fake.add_notion_token("secret_other", "Bob");
    let mine = fake.add_notion_token(NOTION_TOKEN, "Ada Lovelace");
    assert_ne!(other.root_page_id, mine.root_page_id);
    let (status, _) = call(
        reqwest::Method::GET,
        format!("{}/notion/v1/pages/{}", fake.base_url(), other.root_page_id),
        Some(NOTION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_ids_and_bodies_are_refused_like_notion() {
    let fake = start().await;
    let base = format!("{}/notion/v1", fake.base_url());
    let (status, body) = call(
        reqwest::Method::GET,
        format!("{base}/pages/not-a-uuid"),
        Some(NOTION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "validation_error");

    let (status, body) = call(
        reqwest::Method::GET,
        format!("{base}/pages/00000000-0000-4000-8000-0000000000ff"),
        Some(NOTION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "object_not_found");

    let (status, body) = call(
        reqwest::Method::POST,
        format!("{base}/pages"),
        Some(NOTION_TOKEN),
        Some(json!({ "properties": {} })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "validation_error");

    let response = client()
        .post(format!("{base}/pages"))
        .bearer_auth(NOTION_TOKEN)
        .header("Notion-Version", VERSION)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");

    let (status, body) = call(
        reqwest::Method::GET,
        format!("{base}/nothing/here"),
        Some(NOTION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_request_url");
}
