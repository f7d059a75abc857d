//! RFC 7523 JWT-bearer assertions (Google service accounts) and client credentials, over
//! real HTTP.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::flow::{browser, post_form, register, token};
use common::start;
use fake_provider::oauth::{JWT_BEARER, jwt, keys};
use fake_provider::{App, RunningFake, ServiceAccount};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "drive-reader@latchkey-test.iam.gserviceaccount.com";
const AUD: &str = "https://oauth2.googleapis.com/token";
const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    let iat = now();
    json!({ "iss": EMAIL, "scope": DRIVE, "aud": AUD, "iat": iat, "exp": iat + 3600 })
}

async fn with_account() -> RunningFake {
    let fake = start().await;
    fake.oauth()
        .add_service_account(ServiceAccount::new(EMAIL, keys::SERVICE_ACCOUNT_PUBLIC_KEY))
        .unwrap();
    fake
}

async fn trade(fake: &RunningFake, key: &str, claims: &Value) -> (StatusCode, Value) {
    let assertion = jwt::sign_rs256(key, Some("key-1"), claims).unwrap();
    let (status, _, body) = post_form(
        &fake.oauth_endpoints(App::Google).token,
        &[("grant_type", JWT_BEARER), ("assertion", &assertion)],
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn a_valid_assertion_gets_a_token_that_reads_drive() {
    let fake = with_account().await;
    let (status, body) = trade(&fake, keys::SERVICE_ACCOUNT_PRIVATE_KEY, &claims()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("scope").is_none(), "Google leaves it out");

    let claims = fake.oauth().last_jwt_claims().unwrap();
    assert_eq!(claims["iss"], EMAIL);
    assert_eq!(claims["aud"], AUD);
    let records = fake.oauth().jwt_assertions();
    assert_eq!(records[0].header["kid"], "key-1");
    assert_eq!(records[0].outcome, "ok");

    let about: Value = browser()
        .get(format!(
            "{}/google/drive/v3/about?fields=user",
            fake.base_url()
        ))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["user"]["emailAddress"], EMAIL);
    let issued = fake.oauth().issued_tokens_for(EMAIL);
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].scopes, [DRIVE]);
}

#[tokio::test]
async fn bad_assertions_are_refused_and_still_recorded() {
    let fake = with_account().await;
    let iat = now();
    let cases = [
        (
            keys::OTHER_PRIVATE_KEY,
            claims(),
            "invalid_grant",
            "Signature",
        ),
        (
            keys::SERVICE_ACCOUNT_PRIVATE_KEY,
            json!({ "iss": EMAIL, "scope": DRIVE, "aud": "https://example.com/token", "iat": iat, "exp": iat + 60 }),
            "invalid_grant",
            "audience",
        ),
        (
            keys::SERVICE_ACCOUNT_PRIVATE_KEY,
            json!({ "iss": EMAIL, "scope": DRIVE, "aud": AUD, "iat": iat, "exp": iat + 3601 }),
            "invalid_grant",
            "60 minutes",
        ),
        (
            keys::SERVICE_ACCOUNT_PRIVATE_KEY,
            json!({ "iss": EMAIL, "scope": DRIVE, "aud": AUD, "iat": iat - 7200, "exp": iat - 3600 }),
            "invalid_grant",
            "60 minutes",
        ),
        (
            keys::SERVICE_ACCOUNT_PRIVATE_KEY,
            json!({ "iss": EMAIL, "aud": AUD, "iat": iat, "exp": iat + 60 }),
            "invalid_scope",
            "scope",
        ),
        (
            keys::SERVICE_ACCOUNT_PRIVATE_KEY,
            json!({ "iss": "stranger@x.iam.gserviceaccount.com", "scope": DRIVE, "aud": AUD, "iat": iat, "exp": iat + 60 }),
            "invalid_grant",
            "account not found",
        ),
        (
            keys::SERVICE_ACCOUNT_PRIVATE_KEY,
            json!({ "iss": EMAIL, "sub": "boss@example.com", "scope": DRIVE, "aud": AUD, "iat": iat, "exp": iat + 60 }),
            "unauthorized_client",
            "unauthorized",
        ),
    ];
    for (key, claims, error, words) in &cases {
        let (status, body) = trade(&fake, key, claims).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{claims}");
        assert_eq!(body["error"], *error, "{claims}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(words), "{description}");
    }
    let records = fake.oauth().jwt_assertions();
    assert_eq!(records.len(), cases.len());
    assert_eq!(records[1].claims["aud"], "https://example.com/token");
    assert!(records.iter().all(|r| r.outcome != "ok"));

    // Not a JWT at all, or no assertion.
    let url = fake.oauth_endpoints(App::Google).token;
    let (status, _, body) =
        post_form(&url, &[("grant_type", JWT_BEARER), ("assertion", "a.b")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (_, _, body) = post_form(&url, &[("grant_type", JWT_BEARER)]).await;
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        fake.oauth().token_count(App::Google, JWT_BEARER, None),
        cases.len() + 2
    );
}

#[tokio::test]
async fn scopes_and_subjects_follow_the_account() {
    let fake = start().await;
    let account = ServiceAccount {
        allow_subject: true,
        ..ServiceAccount::new(EMAIL, keys::SERVICE_ACCOUNT_PUBLIC_KEY).allowed_scopes(&[DRIVE])
    };
    fake.oauth().add_service_account(account).unwrap();
    let iat = now();
    let drive_all = json!({ "iss": EMAIL, "scope": "https://www.googleapis.com/auth/drive", "aud": AUD, "iat": iat, "exp": iat + 60 });
    let (_, body) = trade(&fake, keys::SERVICE_ACCOUNT_PRIVATE_KEY, &drive_all).await;
    assert_eq!(body["error"], "invalid_scope");
    let delegated = json!({ "iss": EMAIL, "sub": "boss@example.com", "scope": DRIVE, "aud": [AUD], "iat": iat, "exp": iat + 60 });
    let (status, _) = trade(&fake, keys::SERVICE_ACCOUNT_PRIVATE_KEY, &delegated).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fake.oauth().issued_tokens_for("boss@example.com").len(), 1);
    assert!(
        fake.oauth()
            .add_service_account(ServiceAccount::new(EMAIL, "not a key"))
            .is_err()
    );
}

#[tokio::test]
async fn client_credentials() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    let (status, _, body) = token(
        &fake,
        &client,
        &[("grant_type", "client_credentials"), ("scope", "a b")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "a b");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(fake.oauth().issued_tokens_for("google-client").len(), 1);
    let (status, _, body) = post_form(
        &fake.oauth_endpoints(App::Google).token,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "google-client"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
}
