//! OAuth flow helpers: a registered client per app, the authorize redirect, token requests.

use std::collections::HashMap;

use fake_provider::{App, ClientAuth, OauthClient, RunningFake};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The RFC 7636 example verifier, and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const REDIRECT: &str = "http://127.0.0.1:9/v1/oauth/callback/test";

/// The test client of `app`: id `<app>-client`, secret `<app>-secret`, the app's usual auth.
pub fn client_of(app: App) -> OauthClient {
    OauthClient::new(
        app,
        &format!("{app}-client"),
        &format!("{app}-secret"),
        REDIRECT,
    )
}

/// Registers `client_of(app)` and returns it.
pub fn register(fake: &RunningFake, app: App) -> OauthClient {
    let client = client_of(app);
    fake.oauth()
        .register_client(client.clone())
        .expect("valid client");
    client
}

/// A client that does not follow redirects.
pub fn browser() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

/// The usual authorize parameters for `client` (code, PKCE S256, state), plus `extra`.
pub fn authorize_params<'a>(
    client: &'a OauthClient,
    scope: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    if !scope.is_empty() {
        params.push(("scope", scope));
    }
    if client.app == App::Notion {
        params.push(("owner", "user"));
    }
    params.extend_from_slice(extra);
    params
}

/// GETs the authorize endpoint with `params`.
pub async fn authorize(fake: &RunningFake, app: App, params: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .get(fake.oauth_endpoints(app).authorize)
        .query(params)
        .send()
        .await
        .expect("authorize answers")
}

/// The query parameters of a 302's `Location` (which must start with `REDIRECT`).
pub fn redirect_params(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    let location = response.headers()["location"].to_str().expect("ascii");
    assert!(location.starts_with(REDIRECT), "{location}");
    let url = url::Url::parse(location).expect("absolute location");
    url.query_pairs().into_owned().collect()
}

/// A code for `client` with `scope`, through the authorize endpoint.
pub async fn code(fake: &RunningFake, client: &OauthClient, scope: &str) -> String {
    let response = authorize(fake, client.app, &authorize_params(client, scope, &[])).await;
    let params = redirect_params(&response);
    params.get("code").cloned().expect("a code")
}

/// POSTs `form` to the token endpoint, authenticating as `client` its registered way.
pub async fn token(
    fake: &RunningFake,
    client: &OauthClient,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = browser()
        .post(fake.oauth_endpoints(client.app).token)
        .header("accept", "application/json");
    let secret = client.client_secret.as_deref().unwrap_or_default();
    match client.method() {
        ClientAuth::Basic => request = request.basic_auth(&client.client_id, Some(secret)),
        ClientAuth::Post => {
            form.push(("client_id", &client.client_id));
            form.push(("client_secret", secret));
        }
        ClientAuth::None => form.push(("client_id", &client.client_id)),
    }
    send_form(request, &form).await
}

/// POSTs a raw form to `url` with no client authentication added.
pub async fn post_form(url: &str, form: &[(&str, &str)]) -> (StatusCode, HeaderMap, Value) {
    send_form(
        browser().post(url).header("accept", "application/json"),
        form,
    )
    .await
}

async fn send_form(
    request: reqwest::RequestBuilder,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let response = request
        .form(form)
        .send()
        .await
        .expect("token endpoint answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// Exchanges a code of `client` (with the test verifier and redirect URI).
pub async fn exchange(
    fake: &RunningFake,
    client: &OauthClient,
    code: &str,
) -> (StatusCode, HeaderMap, Value) {
    token(
        fake,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}
