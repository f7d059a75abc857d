//! The generic app: OAuth endpoints found by request shape under any path of any routed
//! origin, and an API that checks credentials and answers canned responses.

mod common;

use common::flow::{self, CHALLENGE, REDIRECT, VERIFIER};
use fake_provider::{App, Canned, Fault, OauthClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn client() -> OauthClient {
    OauthClient::new(App::Generic, "gen-client", "gen-secret", REDIRECT)
}

/// A code through the authorize endpoint at an arbitrary path of an arbitrary origin.
async fn code(fake: &fake_provider::RunningFake, scope: &str) -> String {
    let url = format!(
        "{}/oauth2/v1/authorize",
        fake.generic_base("auth.acme.test")
    );
    let response = flow::browser()
        .get(url)
        .query(&[
            ("response_type", "code"),
            ("client_id", "gen-client"),
            ("redirect_uri", REDIRECT),
            ("state", "s1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("authorize");
    flow::redirect_params(&response)["code"].clone()
}

async fn token(fake: &fake_provider::RunningFake, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("{}/oauth2/v1/token", fake.generic_base("auth.acme.test"));
    let mut form = form.to_vec();
    form.extend([("client_id", "gen-client"), ("client_secret", "gen-secret")]);
    let (status, _, body) = flow::post_form(&url, &form).await;
    (status, body)
}

async fn api(
    fake: &fake_provider::RunningFake,
    path: &str,
    auth: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = flow::browser().get(format!("{}{path}", fake.generic_base("api.acme.test")));
    if let Some(a) = auth {
        request = request.header("authorization", a);
    }
    let response = request.send().await.expect("api answers");
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

#[tokio::test]
async fn code_refresh_rotation_reuse_and_api_checks() {
    let fake = common::start().await;
    fake.oauth().register_client(client()).expect("client");
    fake.generic().add_response(Canned {
        scopes: vec!["items:write".into()],
        method: Some("GET".into()),
        ..Canned::new("/v1/items/*", json!({"id": "i1"}))
    });

    let code = code(&fake, "items:read items:write").await;
    let (status, tokens) = token(
        &fake,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "items:read items:write");
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();

    // The API: canned answer with the token, default `{}` elsewhere, 401 without one.
    let bearer = format!("Bearer {access}");
    let (status, _, body) = api(&fake, "/v1/items/42", Some(&bearer)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"id": "i1"})));
    let (status, _, body) = api(&fake, "/anything/else", Some(&bearer)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let (status, challenge, _) = api(&fake, "/v1/items/42", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.is_some_and(|c| c.contains("invalid_token")));

    // Rotation: the new refresh token works, the old one is reuse and kills the grant.
    let (status, second) = token(
        &fake,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], json!(refresh));
    let (status, reuse) = token(
        &fake,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reuse["error"], "invalid_grant");
    let newer = format!(
        "Bearer {}",
        second["access_token"].as_str().expect("access")
    );
    let (status, challenge, _) = api(&fake, "/v1/items/1", Some(&newer)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the grant is revoked");
    assert!(challenge.is_some_and(|c| c.contains("revoked")));
    assert_eq!(
        fake.oauth()
            .token_count(App::Generic, "refresh_token", Some("invalid_grant")),
        1
    );
}

#[tokio::test]
async fn scopes_expiry_faults_and_revocation() {
    let fake = common::start().await;
    fake.oauth().register_client(client()).expect("client");
    fake.generic().add_response(Canned {
        scopes: vec!["items:write".into()],
        ..Canned::new("/v1/items", json!([]))
    });
    let code = code(&fake, "items:read").await;
    let (_, tokens) = token(
        &fake,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let bearer = format!(
        "Bearer {}",
        tokens["access_token"].as_str().expect("access")
    );
    let (status, challenge, body) = api(&fake, "/v1/items", Some(&bearer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer error=\"insufficient_scope\", scope=\"items:write\"")
    );

    fake.oauth().inject_fault(
        App::Generic,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        1,
    );
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, _) = token(
        &fake,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    fake.oauth().advance_clock(3600);
    let (status, challenge, _) = api(&fake, "/v1/items", Some(&bearer)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.is_some_and(|c| c.contains("expired")));

    // RFC 7009 at any path: a form with `token` and no `grant_type`.
    let url = format!("{}/revoke-it", fake.generic_base("auth.acme.test"));
    let (status, _, _) = flow::post_form(&url, &[("token", refresh)]).await;
    assert_eq!(status, StatusCode::OK);
    let revocations = fake.oauth().revocations();
    assert_eq!(revocations.len(), 1);
    assert!(revocations[0].known);
}

#[tokio::test]
async fn api_keys_anywhere_and_revoked() {
    let fake = common::start().await;
    fake.generic().add_api_key("gk_live_1");
    for auth in ["Bearer gk_live_1", "gk_live_1", "Basic Z2tfbGl2ZV8xOg=="] {
        let (status, _, _) = api(&fake, "/me", Some(auth)).await;
        assert_eq!(status, StatusCode::OK, "{auth}");
    }
    let (status, _, _) = api(&fake, "/me?api_key=gk_live_1", None).await;
    assert_eq!(status, StatusCode::OK);
    let response = flow::browser()
        .get(format!("{}/me", fake.generic_base("api.acme.test")))
        .header("x-api-key", "gk_live_1")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);

    assert!(fake.generic().revoke_api_key("gk_live_1"));
    let (status, challenge, _) = api(&fake, "/me", Some("Bearer gk_live_1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.is_some_and(|c| c.contains("revoked")));
    assert!(!fake.generic().revoke_api_key("unknown"));

    // Public canned answers need no credential; a canned error status is passed on.
    fake.generic().add_response(Canned {
        public: true,
        status: 503,
        ..Canned::new("/status", json!({"ok": false}))
    });
    let (status, _, body) = api(&fake, "/status", None).await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, json!({"ok": false}))
    );
}

#[tokio::test]
async fn the_http_controls_set_up_the_same() {
    let fake = common::start().await;
    let http = common::client();
    let base = fake.base_url();
    let r = http
        .post(format!("{base}/_fake/generic/keys"))
        .json(&json!({"key": "gk_http"}))
        .send()
        .await
        .expect("keys");
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = http
        .post(format!("{base}/_fake/generic/responses"))
        .json(&json!({"path": "/me", "body": {"id": "u1"}}))
        .send()
        .await
        .expect("responses");
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, _, body) = api(&fake, "/me", Some("gk_http")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"id": "u1"})));
    let r = http
        .post(format!("{base}/_fake/generic/responses"))
        .json(&json!({"path": "/me", "nope": true}))
        .send()
        .await
        .expect("refused");
    assert!(r.status().is_client_error());
    let r = http
        .put(format!("{base}/_fake/oauth/clock-behind"))
        .json(&json!({"secs": 30}))
        .send()
        .await
        .expect("clock");
    assert_eq!(r.json::<Value>().await.expect("json")["behind_secs"], 30);
}
