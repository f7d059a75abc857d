//! The fake GitHub REST API over real HTTP: headers, auth, scopes, repos and issues.

mod common;

use common::flow::browser;
use common::start;
use fake_provider::{App, RunningFake};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn call(
    fake: &RunningFake,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = browser()
        .request(method, format!("{}/github{path}", fake.base_url()))
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
        .header("user-agent", "latchkey-test");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn token(fake: &RunningFake, scopes: &[&str]) -> String {
    fake.oauth()
        .mint_tokens(App::Github, "Ada Lovelace", scopes)
        .access_token
}

#[tokio::test]
async fn user_with_github_headers() {
    let fake = start().await;
    let token = token(&fake, &["read:user", "repo"]);
    let (status, headers, me) = call(&fake, Method::GET, "/user", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["login"], "ada-lovelace");
    assert_eq!(me["name"], "Ada Lovelace");
    assert!(me["id"].is_u64());
    assert_eq!(me["public_repos"], 1);
    assert_eq!(headers["x-oauth-scopes"], "read:user, repo");
    assert_eq!(headers["x-accepted-oauth-scopes"], "");
    assert_eq!(headers["x-github-api-version-selected"], "2022-11-28");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn auth_and_header_errors() {
    let fake = start().await;
    let (status, _, body) = call(&fake, Method::GET, "/user", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Requires authentication");
    let (status, _, body) = call(&fake, Method::GET, "/user", Some("gho_nope"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Bad credentials");
    assert_eq!(body["status"], "401");

    let token = token(&fake, &[]);
    fake.oauth().revoke_user(App::Github, "Ada Lovelace");
    let (status, _, _) = call(&fake, Method::GET, "/user", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");

    let live = fake
        .oauth()
        .mint_tokens(App::Github, "Ada Lovelace", &[])
        .access_token;
    let no_agent = browser()
        .get(format!("{}/github/user", fake.base_url()))
        .bearer_auth(&live)
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), StatusCode::FORBIDDEN);
    let old_version = browser()
        .get(format!("{}/github/user", fake.base_url()))
        .header("authorization", format!("token {live}"))
        .header("user-agent", "x")
        .header("x-github-api-version", "2021-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(old_version.status(), StatusCode::BAD_REQUEST);
    let (status, _, body) = call(&fake, Method::GET, "/nope", Some(&live), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "Not Found");
}

#[tokio::test]
async fn repos_depend_on_the_repo_scope() {
    let fake = start().await;
    let full = token(&fake, &["repo"]);
    let (_, _, repos) = call(&fake, Method::GET, "/user/repos", Some(&full), None).await;
    let names: Vec<&str> = repos
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ada-lovelace/hello-world", "ada-lovelace/private-notes"]
    );
    assert_eq!(repos[1]["private"], true);

    let public = token(&fake, &[]);
    let (_, _, repos) = call(&fake, Method::GET, "/user/repos", Some(&public), None).await;
    assert_eq!(repos.as_array().unwrap().len(), 1);

    let (_, headers, page) = call(
        &fake,
        Method::GET,
        "/user/repos?per_page=1",
        Some(&full),
        None,
    )
    .await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    let link = headers["link"].to_str().unwrap();
    assert!(link.contains("rel=\"next\""), "{link}");
    assert!(
        link.starts_with("<https://api.github.com/user/repos?"),
        "{link}"
    );
}

#[tokio::test]
async fn issues_list_and_create() {
    let fake = start().await;
    let full = token(&fake, &["repo"]);
    let path = "/repos/ada-lovelace/hello-world/issues";
    let (status, headers, issues) = call(&fake, Method::GET, path, Some(&full), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-accepted-oauth-scopes"], "repo");
    assert_eq!(issues[0]["number"], 1);
    assert_eq!(issues[0]["state"], "open");
    assert_eq!(issues[0]["user"]["login"], "ada-lovelace");

    let new = json!({ "title": "Broken link", "body": "On the home page.", "labels": ["bug"] });
    let (status, headers, issue) = call(&fake, Method::POST, path, Some(&full), Some(new)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(issue["number"], 2);
    assert_eq!(issue["title"], "Broken link");
    assert_eq!(issue["labels"][0]["name"], "bug");
    assert_eq!(
        headers["location"],
        "https://api.github.com/repos/ada-lovelace/hello-world/issues/2"
    );
    let (_, _, issues) = call(&fake, Method::GET, path, Some(&full), None).await;
    assert_eq!(issues[0]["number"], 2, "newest first");

    let (status, _, body) = call(
        &fake,
        Method::POST,
        path,
        Some(&full),
        Some(json!({ "body": "x" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("title"));
    let garbage = browser()
        .post(format!("{}/github{path}", fake.base_url()))
        .bearer_auth(&full)
        .header("user-agent", "x")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn missing_scopes_are_404_or_403_with_scope_headers() {
    let fake = start().await;
    let read_only = token(&fake, &["read:user"]);
    // Private repository without `repo`: hidden.
    let (status, headers, _) = call(
        &fake,
        Method::GET,
        "/repos/ada-lovelace/private-notes/issues",
        Some(&read_only),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["x-oauth-scopes"], "read:user");
    assert_eq!(headers["x-accepted-oauth-scopes"], "repo");
    // Public repository: readable, but creating needs `public_repo` or `repo`.
    let path = "/repos/ada-lovelace/hello-world/issues";
    let (status, _, _) = call(&fake, Method::GET, path, Some(&read_only), None).await;
    assert_eq!(status, StatusCode::OK);
    let new = json!({ "title": "t" });
    let (status, headers, _) = call(
        &fake,
        Method::POST,
        path,
        Some(&read_only),
        Some(new.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-accepted-oauth-scopes"], "public_repo, repo");
    let public_repo = token(&fake, &["public_repo"]);
    let (status, _, _) = call(&fake, Method::POST, path, Some(&public_repo), Some(new)).await;
    assert_eq!(status, StatusCode::CREATED);

    // Scope drift: `repo` disappears from the grant.
    let full = token(&fake, &["repo"]);
    fake.oauth()
        .remove_scope(App::Github, "Ada Lovelace", "repo");
    let (status, _, _) = call(
        &fake,
        Method::GET,
        "/repos/ada-lovelace/private-notes/issues",
        Some(&full),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
