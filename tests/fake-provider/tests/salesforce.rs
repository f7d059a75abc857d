//! The fake Salesforce: its OAuth server (no `expires_in`, `instance_url` and identity URL,
//! refreshes without a new refresh token, revocation) and the REST API of the org (sobjects,
//! SOQL queries, session and scope checks), over real HTTP.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::flow::{
    authorize, authorize_params, browser, client_of, exchange, post_form, redirect_params,
    register, token,
};
use common::{client, start};
use fake_provider::salesforce::{INSTANCE_URL, ids};
use fake_provider::{App, RunningFake};
use reqwest::StatusCode;
use serde_json::Value;

/// `GET /salesforce{path}` with `Authorization: <scheme> <token>`.
async fn get(fake: &RunningFake, path: &str, auth: Option<(&str, &str)>) -> (StatusCode, Value) {
    let mut request = browser().get(format!("{}/salesforce{path}", fake.base_url()));
    if let Some((scheme, token)) = auth {
        request = request.header("authorization", format!("{scheme} {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn api(fake: &RunningFake, path: &str, token: &str) -> (StatusCode, Value) {
    get(
        fake,
        &format!("/services/data/v61.0{path}"),
        Some(("Bearer", token)),
    )
    .await
}

/// A SOQL query through `/query?q=`.
async fn soql(fake: &RunningFake, query: &str, token: &str) -> (StatusCode, Value) {
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    api(fake, &format!("/query?q={encoded}"), token).await
}

fn token_for(fake: &RunningFake, scopes: &[&str]) -> String {
    fake.oauth()
        .mint_tokens(App::Salesforce, "Ada Lovelace", scopes)
        .access_token
}

fn names(answer: &Value) -> Vec<String> {
    answer["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn code_flow_answers_in_salesforces_shape() {
    let fake = start().await;
    let client = register(&fake, App::Salesforce);
    let response = authorize(
        &fake,
        App::Salesforce,
        &authorize_params(&client, "api refresh_token", &[]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("expires_in").is_none(), "Salesforce never says");
    assert_eq!(body["scope"], "api refresh_token");
    assert_eq!(body["instance_url"], INSTANCE_URL);
    let id = body["id"].as_str().unwrap();
    let (org, user) = id
        .strip_prefix("https://login.salesforce.com/id/")
        .and_then(|rest| rest.split_once('/'))
        .unwrap();
    assert!(
        org.starts_with("00D") && ids::canonical(org).is_some(),
        "{org}"
    );
    assert!(
        user.starts_with("005") && ids::canonical(user).is_some(),
        "{user}"
    );
    assert!(
        body["issued_at"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );
    let signature = STANDARD
        .decode(body["signature"].as_str().unwrap())
        .unwrap();
    assert_eq!(signature.len(), 32, "HMAC-SHA256");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    // The user can read themselves with the identity URL's user id.
    let (status, me) = api(&fake, &format!("/sobjects/User/{user}"), &access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["Name"], "Ada Lovelace");

    // Sessions time out although no expires_in said so.
    fake.oauth().advance_clock(7200);
    let (status, body) = api(&fake, &format!("/sobjects/User/{user}"), &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert_eq!(body[0]["message"], "Session expired or invalid");

    // A refresh gives a new access token but no new refresh token; the old one keeps working.
    for _ in 0..2 {
        let (status, _, body) = token(
            &fake,
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("refresh_token").is_none());
        assert!(body.get("expires_in").is_none());
        assert_eq!(body["instance_url"], INSTANCE_URL);
        let fresh = body["access_token"].as_str().unwrap();
        let (status, _) = api(&fake, &format!("/sobjects/User/{user}"), fresh).await;
        assert_eq!(status, StatusCode::OK);
    }

    // Revoking the refresh token ends the grant.
    let revoke = fake.oauth_endpoints(App::Salesforce).revoke.unwrap();
    let response = browser()
        .post(&revoke)
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "");
    let (status, _, body) = token(
        &fake,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _, _) = post_form(&revoke, &[("token", "unknown")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn scopes_decide_refresh_tokens_and_defaults_apply() {
    let fake = start().await;
    let client = register(&fake, App::Salesforce);
    let response = authorize(
        &fake,
        App::Salesforce,
        &authorize_params(&client, "api", &[]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh_token scope: {body}"
    );

    // No scope at all: the connected app's (here Salesforce's usual api + refresh_token).
    let response = authorize(&fake, App::Salesforce, &authorize_params(&client, "", &[])).await;
    let code = redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(body["scope"], "api refresh_token");
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn client_errors_use_salesforce_codes() {
    let fake = start().await;
    register(&fake, App::Salesforce);
    let mut wrong_secret = client_of(App::Salesforce);
    wrong_secret.client_secret = Some("nope".into());
    let (status, _, body) = token(
        &fake,
        &wrong_secret,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client"))
    );
    let mut unknown = client_of(App::Salesforce);
    unknown.client_id = "3MVG9unknown".into();
    let (status, _, body) = token(
        &fake,
        &unknown,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client_id"))
    );
}

#[tokio::test]
async fn accounts_by_id_in_both_forms() {
    let fake = start().await;
    let token = token_for(&fake, &["api"]);
    let accounts = fake.salesforce_accounts();
    let acme = accounts
        .iter()
        .find(|a| a["Name"] == "Acme Corporation")
        .unwrap();
    let id = acme["Id"].as_str().unwrap();
    assert_eq!(id.len(), 18);
    let (status, account) = api(&fake, &format!("/sobjects/Account/{id}"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(account["attributes"]["type"], "Account");
    assert_eq!(account["Name"], "Acme Corporation");
    assert_eq!(account["Industry"], "Manufacturing");
    let (status, short) = api(
        &fake,
        &format!("/sobjects/Account/{}?fields=Id,Name", &id[..15]),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(short["Id"], id);
    assert!(short.get("Industry").is_none());

    let (status, body) = api(
        &fake,
        &format!("/sobjects/Account/{id}?fields=Nope"),
        &token,
    )
    .await;
    assert_eq!(
        (status, body[0]["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("INVALID_FIELD"))
    );
    let mut bad_checksum = id.to_owned();
    bad_checksum.replace_range(15.., "AAA");
    let expected = if bad_checksum == id {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let (status, _) = api(&fake, &format!("/sobjects/Account/{bad_checksum}"), &token).await;
    assert_eq!(status, expected);
    let unknown = ids::new_id(ids::ACCOUNT, 42);
    let (status, body) = api(&fake, &format!("/sobjects/Account/{unknown}"), &token).await;
    assert_eq!(
        (status, body[0]["errorCode"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (status, _) = get(
        &fake,
        &format!("/services/data/v99.0/sobjects/Account/{id}"),
        Some(("Bearer", &token)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Salesforce's own `OAuth` scheme works too.
    let (status, _) = get(
        &fake,
        &format!("/services/data/v61.0/sobjects/Account/{id}"),
        Some(("OAuth", &token)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn soql_like_with_escapes() {
    let fake = start().await;
    let token = token_for(&fake, &["api", "refresh_token"]);
    let query = |like: &str| {
        format!("SELECT Id, Name FROM Account WHERE Name LIKE '{like}' ORDER BY Name LIMIT 20")
    };
    let (status, body) = soql(&fake, &query("%acme%"), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["Acme Corporation", "Acme_Labs Research"]);
    assert_eq!(body["totalSize"], 2);
    assert_eq!(body["done"], true);
    assert!(
        body["records"][0].get("Industry").is_none(),
        "only the selected fields"
    );
    let (_, body) = soql(&fake, &query("%Acme\\_%"), &token).await;
    assert_eq!(names(&body), ["Acme_Labs Research"]);
    let (_, body) = soql(&fake, &query("%O\\'Reilly%"), &token).await;
    assert_eq!(names(&body), ["O'Reilly Auto Parts"]);
    let (_, body) = soql(&fake, &query("%100\\%%"), &token).await;
    assert_eq!(names(&body), ["100% Organic Farms"]);
    let (_, body) = soql(
        &fake,
        "SELECT Id, Name FROM Account ORDER BY Name DESC LIMIT 2",
        &token,
    )
    .await;
    assert_eq!(names(&body), ["O'Reilly Auto Parts", "Initech"]);

    // What an unescaped quote would produce is refused, not widened.
    for (bad, code) in [
        (query("%x' OR Name LIKE '%"), "MALFORMED_QUERY"),
        (query("%O'Reilly%"), "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact".to_owned(), "INVALID_TYPE"),
        ("SELECT Secret__c FROM Account".to_owned(), "INVALID_FIELD"),
    ] {
        let (status, body) = soql(&fake, &bad, &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body[0]["errorCode"], code, "{bad}");
    }
}

#[tokio::test]
async fn sessions_and_the_api_scope_are_checked() {
    let fake = start().await;
    let path = "/query?q=SELECT+Id+FROM+Account";
    let (status, body) = get(&fake, &format!("/services/data/v61.0{path}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body[0]["message"], "Session expired or invalid");
    let no_api = token_for(&fake, &["refresh_token"]);
    let (status, body) = api(&fake, path, &no_api).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert_eq!(
        body[0]["message"],
        "This session is not valid for use with the REST API"
    );
    let full = token_for(&fake, &["full"]);
    assert_eq!(api(&fake, path, &full).await.0, StatusCode::OK);
    let live = token_for(&fake, &["api"]);
    assert_eq!(
        fake.oauth()
            .remove_scope(App::Salesforce, "Ada Lovelace", "api"),
        1
    );
    assert_eq!(api(&fake, path, &live).await.0, StatusCode::UNAUTHORIZED);
    fake.oauth().revoke_user(App::Salesforce, "Ada Lovelace");
    assert_eq!(api(&fake, path, &full).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn http_controls_cover_salesforce() {
    let fake = start().await;
    let base = fake.base_url();
    let accounts: Value = client()
        .get(format!("{base}/_fake/salesforce/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 6);
    let settings: Value = client()
        .get(format!("{base}/_fake/oauth/salesforce/settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["access_ttl_secs"], 7200);
    assert_eq!(settings["rotation"], false);
    let fault = client()
        .post(format!("{base}/_fake/oauth/salesforce/faults"))
        .json(&serde_json::json!({"fault": {"kind": "server_error", "status": 503}}))
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), StatusCode::OK);
    let sf = register(&fake, App::Salesforce);
    let (status, _, _) = token(
        &fake,
        &sf,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
