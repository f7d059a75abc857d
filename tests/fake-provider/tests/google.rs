//! The fake Google Drive API over real HTTP: files.list (q, pageSize, pageToken, fields),
//! files.get, about.get, and Google's error shapes.

mod common;

use common::flow::browser;
use common::start;
use fake_provider::{App, RunningFake};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

const READONLY: &str = "https://www.googleapis.com/auth/drive.readonly";

async fn get(
    fake: &RunningFake,
    path_and_query: &str,
    token: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = browser().get(format!("{}/google{path_and_query}", fake.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
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
        .mint_tokens(App::Google, "Ada Lovelace", scopes)
        .access_token
}

fn names(list: &Value) -> Vec<&str> {
    list["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn list_with_queries_and_pages() {
    let fake = start().await;
    let token = token(&fake, &[READONLY]);
    let (status, _, all) = get(&fake, "/drive/v3/files", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["kind"], "drive#fileList");
    assert_eq!(
        names(&all).len(),
        6,
        "trashed files included unless filtered"
    );
    let first = &all["files"][0];
    assert_eq!(
        first.as_object().unwrap().len(),
        4,
        "default fields: {first}"
    );

    let q = "name contains 'report' and trashed = false";
    let (_, _, found) = get(
        &fake,
        &format!("/drive/v3/files?q={}", urlencode(q)),
        Some(&token),
    )
    .await;
    assert_eq!(names(&found), ["Q3 report.pdf", "Reports"], "word prefixes");
    let q = "name contains 'hoto'";
    let (_, _, found) = get(
        &fake,
        &format!("/drive/v3/files?q={}", urlencode(q)),
        Some(&token),
    )
    .await;
    assert!(names(&found).is_empty(), "not a substring match");
    let q = "fullText contains 'hoto'";
    let (_, _, found) = get(
        &fake,
        &format!("/drive/v3/files?q={}", urlencode(q)),
        Some(&token),
    )
    .await;
    assert_eq!(names(&found), ["Team photo.png"]);

    let q = "'root' in parents and trashed = false";
    let (_, _, root) = get(
        &fake,
        &format!("/drive/v3/files?q={}", urlencode(q)),
        Some(&token),
    )
    .await;
    assert_eq!(
        names(&root),
        ["Budget 2026", "Project plan", "Reports", "Team photo.png"]
    );

    let (_, _, page) = get(
        &fake,
        "/drive/v3/files?pageSize=4&fields=nextPageToken,files(id,name,size)",
        Some(&token),
    )
    .await;
    assert_eq!(names(&page).len(), 4);
    let next = page["nextPageToken"].as_str().unwrap();
    assert_eq!(
        page["files"][0].as_object().unwrap().len(),
        2,
        "no size on a doc"
    );
    let (_, _, rest) = get(
        &fake,
        &format!("/drive/v3/files?pageSize=4&pageToken={next}"),
        Some(&token),
    )
    .await;
    assert_eq!(names(&rest).len(), 2);
    assert!(rest.get("nextPageToken").is_none());
}

#[tokio::test]
async fn bad_parameters_are_google_400s() {
    let fake = start().await;
    let token = token(&fake, &[READONLY]);
    for (query, location) in [
        ("pageSize=0", "pageSize"),
        ("pageSize=1001", "pageSize"),
        ("pageSize=ten", "pageSize"),
        ("pageToken=forged", "pageToken"),
        ("q=modifiedTime%20%3E%20'2020'", "q"),
        ("q=name%20contains%20'open", "q"),
    ] {
        let (status, _, body) = get(&fake, &format!("/drive/v3/files?{query}"), Some(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["errors"][0]["location"], location, "{query}");
    }
}

#[tokio::test]
async fn get_file_and_about() {
    let fake = start().await;
    let token = token(&fake, &[READONLY]);
    let (_, _, all) = get(&fake, "/drive/v3/files", Some(&token)).await;
    let id = all["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Team photo.png")
        .and_then(|f| f["id"].as_str())
        .unwrap()
        .to_owned();
    let (status, _, file) = get(
        &fake,
        &format!("/drive/v3/files/{id}?fields=*"),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["mimeType"], "image/png");
    assert_eq!(file["size"], "48213");
    assert_eq!(
        file["owners"][0]["emailAddress"],
        "ada-lovelace@example.com"
    );
    let (status, _, missing) = get(&fake, "/drive/v3/files/1nope", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["error"]["errors"][0]["reason"], "notFound");

    let (status, _, about) = get(&fake, "/drive/v3/about?fields=user", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(about["user"]["displayName"], "Ada Lovelace");
    assert_eq!(about["user"]["emailAddress"], "ada-lovelace@example.com");
    assert!(about.get("storageQuota").is_none());
    let (status, _, body) = get(&fake, "/drive/v3/about", Some(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["errors"][0]["reason"], "required");
}

#[tokio::test]
async fn credentials_and_scopes() {
    let fake = start().await;
    let (status, headers, body) = get(&fake, "/drive/v3/files", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    assert!(headers.contains_key("www-authenticate"));
    let (status, _, body) = get(&fake, "/drive/v3/files", Some("ya29.nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["errors"][0]["reason"], "authError");

    let wrong = token(&fake, &["openid"]);
    let (status, headers, body) = get(&fake, "/drive/v3/files", Some(&wrong)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains(READONLY), "{challenge}");

    let metadata = token(
        &fake,
        &["https://www.googleapis.com/auth/drive.metadata.readonly"],
    );
    let (status, _, _) = get(&fake, "/drive/v3/files", Some(&metadata)).await;
    assert_eq!(status, StatusCode::OK);
    let app_only = token(&fake, &["https://www.googleapis.com/auth/drive.file"]);
    let (_, _, none) = get(&fake, "/drive/v3/files", Some(&app_only)).await;
    assert!(
        names(&none).is_empty(),
        "drive.file sees only the app's own files"
    );

    let (status, _, _) = get(&fake, "/drive/v2/files", Some(&metadata)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
