//! The authorization-code flow over real HTTP: authorize checks, consent, PKCE, redirect URI,
//! single-use codes, client authentication, and each app's token-response shape.

mod common;

use common::flow::{
    CHALLENGE, REDIRECT, VERIFIER, authorize, authorize_params, browser, code, exchange,
    redirect_params, register, token,
};
use common::start;
use fake_provider::{App, ClientAuth, Consent, ConsentGrant, OauthClient};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn google_code_flow_with_pkce_and_iss() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    let scope = "https://www.googleapis.com/auth/drive.readonly";
    let response = authorize(
        &fake,
        App::Google,
        &authorize_params(&client, scope, &[("access_type", "offline")]),
    )
    .await;
    let params = redirect_params(&response);
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], "https://accounts.google.com", "RFC 9207");
    assert_eq!(params["scope"], scope, "Google echoes the scope");

    let (status, headers, body) = exchange(&fake, &client, &params["code"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body["access_token"].as_str().unwrap().starts_with("ya29."));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("1//"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["scope"], scope);

    let issued = fake.oauth().issued_tokens_for("Ada Lovelace");
    assert_eq!(issued.len(), 2, "access + refresh");
    assert_eq!(
        fake.oauth()
            .token_count(App::Google, "authorization_code", Some("ok")),
        1
    );
}

#[tokio::test]
async fn google_refresh_token_needs_offline_access() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    let code = code(
        &fake,
        &client,
        "https://www.googleapis.com/auth/drive.readonly",
    )
    .await;
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn pkce_is_required_s256_only_and_checked() {
    let fake = start().await;
    let client = register(&fake, App::Github);
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", "github-client"),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
        ];
        params.extend_from_slice(extra);
        params
    };
    for (extra, why) in [
        (vec![], "no challenge"),
        (
            vec![
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            "plain",
        ),
        (
            vec![("code_challenge", CHALLENGE)],
            "method defaults to plain",
        ),
        (
            vec![
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "not a SHA-256",
        ),
    ] {
        let response = authorize(&fake, App::Github, &base(&extra)).await;
        let params = redirect_params(&response);
        assert_eq!(params["error"], "invalid_request", "{why}");
        assert_eq!(params["state"], "s");
    }

    // A wrong verifier is refused, and the code is spent.
    let code = code(&fake, &client, "repo").await;
    let wrong = "x".repeat(43);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", wrong.as_str()),
    ];
    let (status, _, body) = token(&fake, &client, &form).await;
    assert_eq!(status, StatusCode::OK, "GitHub answers errors with 200");
    assert_eq!(body["error"], "bad_verification_code");
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(body["error"], "bad_verification_code", "spent: {body}");

    // A missing verifier too.
    let code = common::flow::code(&fake, &client, "repo").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (_, _, body) = token(&fake, &client, &form).await;
    assert_eq!(body["error"], "bad_verification_code");
}

#[tokio::test]
async fn redirect_uri_must_match_exactly() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    // At the authorize endpoint: an error page, never a redirect.
    let mut params = authorize_params(&client, "openid", &[]);
    let other = format!("{REDIRECT}/");
    params[2] = ("redirect_uri", other.as_str());
    let response = authorize(&fake, App::Google, &params).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert_eq!(
        response.headers()["x-fake-oauth-error"],
        "redirect_uri_mismatch"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri_mismatch")
    );

    // Unknown client: an error page too.
    let mut params = authorize_params(&client, "openid", &[]);
    params[1] = ("client_id", "nobody");
    let response = authorize(&fake, App::Google, &params).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("location").is_none());

    // At the token endpoint: byte-identical, or invalid_grant.
    let code = code(&fake, &client, "openid").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", other.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let (status, _, body) = token(&fake, &client, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    // GitHub names it.
    let github = register(&fake, App::Github);
    let code = common::flow::code(&fake, &github, "repo").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
        ("code_verifier", VERIFIER),
    ];
    let (_, _, body) = token(&fake, &github, &form).await;
    assert_eq!(body["error"], "redirect_uri_mismatch");
}

#[tokio::test]
async fn reused_code_revokes_its_tokens() {
    let fake = start().await;
    let client = register(&fake, App::Github);
    let code = code(&fake, &client, "repo read:user").await;
    let (_, _, first) = exchange(&fake, &client, &code).await;
    let access = first["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("gho_"));
    assert_eq!(first["scope"], "repo,read:user", "GitHub joins with commas");
    assert_eq!(first["token_type"], "bearer");
    assert!(
        first.get("expires_in").is_none(),
        "OAuth-app tokens never expire"
    );
    let me = |token: String| {
        let url = format!("{}/github/user", fake.base_url());
        async move {
            browser()
                .get(url)
                .bearer_auth(token)
                .header("user-agent", "test")
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(access.clone()).await, StatusCode::OK);

    let (_, _, replay) = exchange(&fake, &client, &code).await;
    assert_eq!(replay["error"], "bad_verification_code");
    assert_eq!(
        me(access).await,
        StatusCode::UNAUTHORIZED,
        "revoked by the replay"
    );
    let issued = fake.oauth().issued_tokens_for("Ada Lovelace");
    assert!(issued.iter().all(|t| t.revoked));
}

#[tokio::test]
async fn codes_expire_after_a_minute() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    let code = code(&fake, &client, "openid").await;
    fake.oauth().advance_clock(61);
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn consent_answers_deny_and_subset() {
    let fake = start().await;
    let client = register(&fake, App::Github);
    fake.oauth().set_consent(
        App::Github,
        Consent {
            user: "Grace Hopper".into(),
            grant: ConsentGrant::Deny,
            page: false,
        },
    );
    let response = authorize(&fake, App::Github, &authorize_params(&client, "repo", &[])).await;
    let params = redirect_params(&response);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "st-123");
    assert!(!params.contains_key("code"));

    fake.oauth().set_consent(
        App::Github,
        Consent {
            user: "Grace Hopper".into(),
            grant: ConsentGrant::Only(vec!["read:user".into()]),
            page: false,
        },
    );
    let code = code(&fake, &client, "repo,read:user").await;
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(body["scope"], "read:user");
    let issued = fake.oauth().issued_tokens_for("Grace Hopper");
    assert_eq!(issued[0].scopes, ["read:user"]);
}

#[tokio::test]
async fn scopes_are_checked_against_the_client() {
    let fake = start().await;
    let client = client_with_scopes();
    fake.oauth().register_client(client.clone()).unwrap();
    let response = authorize(
        &fake,
        App::Github,
        &authorize_params(&client, "admin:org", &[]),
    )
    .await;
    assert_eq!(redirect_params(&response)["error"], "invalid_scope");
    let response = authorize(&fake, App::Github, &authorize_params(&client, "repo", &[])).await;
    assert!(redirect_params(&response).contains_key("code"));
}

fn client_with_scopes() -> OauthClient {
    common::flow::client_of(App::Github).allowed_scopes(&["repo", "read:user"])
}

#[tokio::test]
async fn issuer_is_configurable_and_can_be_wrong() {
    let fake = start().await;
    let client = register(&fake, App::Github);
    let response = authorize(&fake, App::Github, &authorize_params(&client, "repo", &[])).await;
    assert!(
        !redirect_params(&response).contains_key("iss"),
        "GitHub sends none"
    );

    fake.oauth()
        .set_issuer(App::Google, "https://evil.example", true);
    let google = register(&fake, App::Google);
    let response = authorize(
        &fake,
        App::Google,
        &authorize_params(&google, "openid", &[]),
    )
    .await;
    assert_eq!(redirect_params(&response)["iss"], "https://evil.example");
}

#[tokio::test]
async fn include_granted_scopes_adds_earlier_grants() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    let first = code(
        &fake,
        &client,
        "https://www.googleapis.com/auth/drive.readonly",
    )
    .await;
    exchange(&fake, &client, &first).await;
    let params = authorize_params(&client, "openid", &[("include_granted_scopes", "true")]);
    let response = authorize(&fake, App::Google, &params).await;
    let code = redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(
        body["scope"],
        "https://www.googleapis.com/auth/drive.readonly openid"
    );
}

#[tokio::test]
async fn client_authentication_follows_the_registration() {
    let fake = start().await;
    // Notion: HTTP Basic only.
    let notion = register(&fake, App::Notion);
    let code = code(&fake, &notion, "").await;
    let as_post = OauthClient {
        auth_method: Some(ClientAuth::Post),
        ..notion.clone()
    };
    let (status, headers, body) = exchange(&fake, &as_post, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(headers.contains_key("www-authenticate"));

    // GitHub: a wrong secret is incorrect_client_credentials, with HTTP 200.
    let github = register(&fake, App::Github);
    let code = common::flow::code(&fake, &github, "repo").await;
    let wrong = OauthClient {
        client_secret: Some("wrong".into()),
        ..github.clone()
    };
    let (status, _, body) = exchange(&fake, &wrong, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error"], "incorrect_client_credentials");

    // A public client: id only, PKCE carries the proof.
    let public = OauthClient {
        client_id: "public".into(),
        client_secret: None,
        auth_method: Some(ClientAuth::None),
        ..common::flow::client_of(App::Google)
    };
    fake.oauth().register_client(public.clone()).unwrap();
    let code = common::flow::code(&fake, &public, "openid").await;
    let (status, _, body) = exchange(&fake, &public, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn notion_token_response_and_api_access() {
    let fake = start().await;
    let client = register(&fake, App::Notion);
    // Notion needs owner=user.
    let mut params = authorize_params(&client, "", &[]);
    params.retain(|(k, _)| *k != "owner");
    let response = authorize(&fake, App::Notion, &params).await;
    assert_eq!(redirect_params(&response)["error"], "invalid_request");

    let code = code(&fake, &client, "").await;
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert!(body["refresh_token"].is_string());
    assert!(body.get("scope").is_none());
    assert!(body.get("expires_in").is_none());
    assert_eq!(body["workspace_name"], "Ada Lovelace's Workspace");
    assert!(body["workspace_id"].is_string());
    assert_eq!(body["owner"]["type"], "user");
    assert_eq!(
        body["owner"]["user"]["person"]["email"],
        "ada-lovelace@example.com"
    );
    let bot_id = body["bot_id"].as_str().unwrap().to_owned();

    let access = body["access_token"].as_str().unwrap();
    let me: Value = browser()
        .get(format!("{}/notion/v1/users/me", fake.base_url()))
        .bearer_auth(access)
        .header("Notion-Version", "2022-06-28")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], bot_id.as_str());
    assert_eq!(me["bot"]["workspace_name"], "Ada Lovelace's Workspace");
    assert_eq!(fake.notion_oauth_workspace("Ada Lovelace").bot_id, bot_id);
}

#[tokio::test]
async fn notion_accepts_json_token_requests() {
    let fake = start().await;
    let client = register(&fake, App::Notion);
    let code = code(&fake, &client, "").await;
    let body = serde_json::json!({
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    });
    let response = browser()
        .post(fake.oauth_endpoints(App::Notion).token)
        .basic_auth("notion-client", Some("notion-secret"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn github_answers_form_encoding_without_accept_json() {
    let fake = start().await;
    let client = register(&fake, App::Github);
    let code = code(&fake, &client, "repo").await;
    let response = browser()
        .post(fake.oauth_endpoints(App::Github).token)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "github-client"),
            ("client_secret", "github-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("access_token=gho_"), "{text}");
    assert!(text.contains("scope=repo"), "{text}");

    fake.oauth().set_omit_scope(App::Github, true);
    let code = common::flow::code(&fake, &client, "repo").await;
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert!(body["access_token"].is_string());
    assert!(body.get("scope").is_none(), "configured to leave scope out");
}

#[tokio::test]
async fn bad_token_requests_get_oauth_errors() {
    let fake = start().await;
    let client = register(&fake, App::Google);
    for (form, error) in [
        (vec![], "invalid_request"),
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (
            vec![("grant_type", "authorization_code")],
            "invalid_request",
        ),
        (
            vec![("grant_type", "authorization_code"), ("code", "nope")],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("grant_type", "refresh_token"),
            ],
            "invalid_request",
        ),
    ] {
        let (status, _, body) = token(&fake, &client, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(body["error"], error, "{form:?}");
    }
    let garbage = browser()
        .post(fake.oauth_endpoints(App::Google).token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let calls = fake.oauth().token_calls();
    assert_eq!(calls.len(), 6);
    assert_eq!(calls[1].grant_type, "password");
    assert_eq!(calls[1].outcome, "unsupported_grant_type");
}

#[tokio::test]
async fn consent_page_works_without_javascript() {
    let fake = start().await;
    let client = register(&fake, App::Github);
    fake.oauth().set_consent(
        App::Github,
        Consent {
            user: "Grace Hopper".into(),
            grant: ConsentGrant::All,
            page: true,
        },
    );
    let page = authorize(
        &fake,
        App::Github,
        &authorize_params(&client, "repo gist", &[]),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Grace Hopper"));
    assert!(html.contains("github-client"));
    assert!(!html.contains("<script"));
    let consent = html
        .split("name=\"consent\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let action = format!("{}/github-web/login/oauth/authorize", fake.base_url());
    assert!(html.contains("action=\"/github-web/login/oauth/authorize\""));

    // Allow, with only one of the two boxes ticked.
    let answer = browser()
        .post(&action)
        .form(&[
            ("consent", consent.as_str()),
            ("scope", "gist"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    let params = redirect_params(&answer);
    assert_eq!(params["state"], "st-123");
    let (_, _, body) = exchange(&fake, &client, &params["code"]).await;
    assert_eq!(body["scope"], "gist");

    // The same page cannot be answered twice.
    let again = browser()
        .post(&action)
        .form(&[("consent", consent.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    // Deny.
    let page = authorize(&fake, App::Github, &authorize_params(&client, "repo", &[])).await;
    let html = page.text().await.unwrap();
    let consent = html
        .split("name=\"consent\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let denied = browser()
        .post(&action)
        .form(&[("consent", consent.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(redirect_params(&denied)["error"], "access_denied");
}
