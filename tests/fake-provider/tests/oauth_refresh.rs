//! Refresh tokens (rotation, reuse detection), expiry, revocation (RFC 7009 and "the user
//! revoked access"), and scope drift, over real HTTP.

mod common;

use common::flow::{browser, exchange, post_form, register, token};
use common::start;
use fake_provider::{App, OauthClient, RunningFake};
use reqwest::StatusCode;
use serde_json::Value;

const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";

/// A connected client: its tokens after the code exchange.
async fn connect(fake: &RunningFake, app: App, scope: &str) -> (OauthClient, Value) {
    let client = register(fake, app);
    let params = common::flow::authorize_params(&client, scope, &[("access_type", "offline")]);
    let response = common::flow::authorize(fake, app, &params).await;
    let code = common::flow::redirect_params(&response)["code"].clone();
    let (status, _, body) = exchange(fake, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (client, body)
}

async fn refresh(
    fake: &RunningFake,
    client: &OauthClient,
    refresh_token: &str,
) -> (StatusCode, Value) {
    let (status, _, body) = token(
        fake,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    (status, body)
}

/// The status of `GET /drive/v3/about?fields=user` with `access`.
async fn drive_status(fake: &RunningFake, access: &str) -> StatusCode {
    browser()
        .get(format!(
            "{}/google/drive/v3/about?fields=user",
            fake.base_url()
        ))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn rotation_and_reuse_detection_revoke_the_grant() {
    let fake = start().await;
    let (client, first) = connect(&fake, App::Notion, "").await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();

    let (status, second) = refresh(&fake, &client, &r1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotated");
    assert!(
        second["bot_id"].is_string(),
        "Notion's shape on refresh too"
    );
    let a2 = second["access_token"].as_str().unwrap().to_owned();

    // The old refresh token again: reuse, the whole grant goes.
    let (status, reused) = refresh(&fake, &client, &r1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reused["error"], "invalid_grant");
    let (_, after) = refresh(&fake, &client, &r2).await;
    assert_eq!(
        after["error"], "invalid_grant",
        "the newest refresh token is dead too"
    );
    let me = browser()
        .get(format!("{}/notion/v1/users/me", fake.base_url()))
        .bearer_auth(&a2)
        .header("Notion-Version", "2022-06-28")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert!(
        fake.oauth()
            .issued_tokens_for("Ada Lovelace")
            .iter()
            .all(|t| t.revoked)
    );
    assert_eq!(
        fake.oauth()
            .token_count(App::Notion, "refresh_token", Some("ok")),
        1
    );
    assert_eq!(
        fake.oauth()
            .token_count(App::Notion, "refresh_token", Some("invalid_grant")),
        2
    );
}

#[tokio::test]
async fn google_keeps_its_refresh_token() {
    let fake = start().await;
    let (client, first) = connect(&fake, App::Google, DRIVE).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (status, body) = refresh(&fake, &client, &r1).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("refresh_token").is_none(), "no rotation: {body}");
        assert_eq!(body["scope"], DRIVE);
    }
    // Turn rotation on: the next refresh rotates, and reuse kills the grant.
    fake.oauth().set_rotation(App::Google, true);
    let (_, rotated) = refresh(&fake, &client, &r1).await;
    assert!(rotated["refresh_token"].is_string());
    let (_, reused) = refresh(&fake, &client, &r1).await;
    assert_eq!(reused["error"], "invalid_grant");
}

#[tokio::test]
async fn access_tokens_expire_and_refresh_brings_a_new_one() {
    let fake = start().await;
    fake.oauth().set_access_ttl(App::Google, Some(30));
    let (client, first) = connect(&fake, App::Google, DRIVE).await;
    assert_eq!(first["expires_in"], 30);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(drive_status(&fake, access).await, StatusCode::OK);
    fake.oauth().advance_clock(31);
    let expired = browser()
        .get(format!(
            "{}/google/drive/v3/about?fields=user",
            fake.base_url()
        ))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(
        expired.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let (_, refreshed) = refresh(&fake, &client, first["refresh_token"].as_str().unwrap()).await;
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(drive_status(&fake, new_access).await, StatusCode::OK);
    let issued = fake.oauth().issued_tokens_for("Ada Lovelace");
    assert!(issued.iter().any(|t| t.expired));
}

#[tokio::test]
async fn the_user_revokes_access_at_the_provider() {
    let fake = start().await;
    let (client, first) = connect(&fake, App::Google, DRIVE).await;
    assert_eq!(fake.oauth().revoke_user(App::Google, "Ada Lovelace"), 1);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(drive_status(&fake, access).await, StatusCode::UNAUTHORIZED);
    let (status, body) = refresh(&fake, &client, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(fake.oauth().revoke_user(App::Google, "Ada Lovelace"), 0);
}

#[tokio::test]
async fn scope_drift_shows_in_refreshes_and_api_checks() {
    let fake = start().await;
    let scopes = format!("{DRIVE} https://www.googleapis.com/auth/drive.metadata.readonly");
    let (client, first) = connect(&fake, App::Google, &scopes).await;
    assert_eq!(
        fake.oauth()
            .remove_scope(App::Google, "Ada Lovelace", DRIVE),
        1
    );
    let (_, refreshed) = refresh(&fake, &client, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        refreshed["scope"],
        "https://www.googleapis.com/auth/drive.metadata.readonly"
    );
    fake.oauth().remove_scope(
        App::Google,
        "Ada Lovelace",
        "https://www.googleapis.com/auth/drive.metadata.readonly",
    );
    let access = refreshed["access_token"].as_str().unwrap();
    let response = browser()
        .get(format!("{}/google/drive/v3/files", fake.base_url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["errors"][0]["reason"],
        "insufficientPermissions"
    );
    // Asking for more than granted on refresh is invalid_scope.
    let (status, _, body) = token(
        &fake,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("scope", DRIVE),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_their_client() {
    let fake = start().await;
    let (_, first) = connect(&fake, App::Google, DRIVE).await;
    let other = OauthClient::new(App::Google, "other", "other-secret", common::flow::REDIRECT);
    fake.oauth().register_client(other.clone()).unwrap();
    let (status, body) = refresh(&fake, &other, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    // An access token is no refresh token.
    let (_, body) = refresh(&fake, &other, first["access_token"].as_str().unwrap()).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn github_expiring_tokens_refresh_with_bad_refresh_token_errors() {
    let fake = start().await;
    fake.oauth().set_refresh_tokens(App::Github, true);
    fake.oauth().set_access_ttl(App::Github, Some(28_800));
    let (client, first) = connect(&fake, App::Github, "repo").await;
    assert_eq!(first["expires_in"], 28_800);
    assert_eq!(first["refresh_token_expires_in"], 15_897_600);
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    assert!(r1.starts_with("ghr_"));
    let (status, second) = refresh(&fake, &client, &r1).await;
    assert_eq!(status, StatusCode::OK);
    assert!(second["refresh_token"].is_string());
    let (status, reused) = refresh(&fake, &client, &r1).await;
    assert_eq!(status, StatusCode::OK, "GitHub errors are HTTP 200");
    assert_eq!(reused["error"], "bad_refresh_token");
}

#[tokio::test]
async fn rfc_7009_revocation() {
    let fake = start().await;
    let (_, first) = connect(&fake, App::Google, DRIVE).await;
    let revoke = fake.oauth_endpoints(App::Google).revoke.unwrap();
    let access = first["access_token"].as_str().unwrap();
    // Google: no client authentication, refresh token revokes the grant.
    let (status, _, _) = post_form(
        &revoke,
        &[
            ("token", first["refresh_token"].as_str().unwrap()),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(drive_status(&fake, access).await, StatusCode::UNAUTHORIZED);
    // Google answers 400 for a token it does not know.
    let (status, _, body) = post_form(&revoke, &[("token", "ya29.unknown")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_token");
    let (status, _, _) = post_form(&format!("{revoke}?token=x"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let revocations = fake.oauth().revocations();
    assert_eq!(revocations.len(), 3);
    assert!(revocations[0].known);
    assert_eq!(revocations[0].hint.as_deref(), Some("refresh_token"));
    assert!(!revocations[1].known);

    // Notion: HTTP Basic required; unknown tokens are a 200 (RFC 7009).
    let (client, notion) = connect(&fake, App::Notion, "").await;
    let url = fake.oauth_endpoints(App::Notion).revoke.unwrap();
    let token = notion["access_token"].as_str().unwrap();
    let (status, _, body) = post_form(&url, &[("token", token)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    let response = browser()
        .post(&url)
        .basic_auth(&client.client_id, client.client_secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["request_id"].is_string());
    let (_, refreshed) = refresh(&fake, &client, notion["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed["error"], "invalid_grant", "the grant is gone");
}
