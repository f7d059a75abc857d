//! The fake Slack: OAuth v2 (bot and user tokens in one answer, comma scopes, errors with
//! HTTP 200, optional token rotation) and the Web API (`chat.postMessage`, `search.messages`,
//! `conversations.list`, `auth.test`) with per-token scopes, over real HTTP.

mod common;

use common::flow::{
    authorize, authorize_params, browser, client_of, exchange, redirect_params, register, token,
};
use common::{client, start};
use fake_provider::oauth::SettingsUpdate;
use fake_provider::{App, ClientAuth, Fault, RunningFake};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Calls Web API `method` with a JSON body (or none).
async fn call(
    fake: &RunningFake,
    method: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = browser().post(format!("{}/slack/api/{method}", fake.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Calls Web API `method` with a query string (GET).
async fn get(fake: &RunningFake, method: &str, token: &str, query: &[(&str, &str)]) -> Value {
    let response = browser()
        .get(format!("{}/slack/api/{method}", fake.base_url()))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// A bot token and a user token for Ada, with these (user scopes `user:`-prefixed).
fn tokens(fake: &RunningFake, scopes: &[&str]) -> (String, String) {
    let minted = fake.oauth().mint_tokens(App::Slack, "Ada Lovelace", scopes);
    (
        minted.access_token,
        minted.user_access_token.unwrap_or_default(),
    )
}

#[tokio::test]
async fn one_consent_gives_a_bot_and_a_user_token() {
    let fake = start().await;
    let client = register(&fake, App::Slack);
    assert_eq!(client.method(), ClientAuth::Basic);
    let response = authorize(
        &fake,
        App::Slack,
        &authorize_params(
            &client,
            "chat:write,channels:read",
            &[("user_scope", "search:read")],
        ),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], true);
    assert_eq!(body["token_type"], "bot");
    assert_eq!(body["scope"], "chat:write,channels:read");
    assert!(body["access_token"].as_str().unwrap().starts_with("xoxb-"));
    assert_eq!(body["bot_user_id"], fake_provider::slack::BOT_USER_ID);
    assert_eq!(body["app_id"], fake_provider::slack::APP_ID);
    assert_eq!(
        body["team"],
        json!({"id": fake_provider::slack::TEAM_ID, "name": "Acme"})
    );
    assert_eq!(body["enterprise"], Value::Null);
    let user = &body["authed_user"];
    assert_eq!(user["scope"], "search:read");
    assert_eq!(user["token_type"], "user");
    assert!(user["access_token"].as_str().unwrap().starts_with("xoxp-"));
    assert!(user["id"].as_str().unwrap().starts_with('U'));
    assert!(body.get("refresh_token").is_none() && body.get("expires_in").is_none());

    let bot = body["access_token"].as_str().unwrap();
    let user_token = user["access_token"].as_str().unwrap();
    let (_, me) = call(&fake, "auth.test", Some(bot), None).await;
    assert_eq!(me["bot_id"], fake_provider::slack::BOT_ID);
    let (_, me) = call(&fake, "auth.test", Some(user_token), None).await;
    assert_eq!(me["user"], "ada-lovelace");
    assert!(me.get("bot_id").is_none());

    // The issued tokens, as the controls show them.
    let kinds: Vec<Value> = fake
        .oauth()
        .issued_tokens_for("Ada Lovelace")
        .iter()
        .map(|t| serde_json::to_value(t.kind).unwrap())
        .collect();
    assert_eq!(kinds, [json!("access"), json!("user_access")]);
}

#[tokio::test]
async fn user_only_installs_have_no_bot_token() {
    let fake = start().await;
    let client = register(&fake, App::Slack);
    let response = authorize(
        &fake,
        App::Slack,
        &authorize_params(&client, "", &[("user_scope", "search:read")]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(body["ok"], true);
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body.get("scope").is_none());
    assert!(body["authed_user"]["access_token"].is_string());
    assert_eq!(fake.oauth().issued_tokens_for("Ada Lovelace").len(), 1);

    let nothing = authorize(&fake, App::Slack, &authorize_params(&client, "", &[])).await;
    assert_eq!(redirect_params(&nothing)["error"], "invalid_request");
}

#[tokio::test]
async fn token_errors_come_with_http_200_and_slack_codes() {
    let fake = start().await;
    let client = register(&fake, App::Slack);
    let (status, _, body) = exchange(&fake, &client, "not-a-code").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"ok": false, "error": "invalid_code"}));

    let mut wrong = client_of(App::Slack);
    wrong.client_secret = Some("nope".into());
    let (_, _, body) = exchange(&fake, &wrong, "x").await;
    assert_eq!(body["error"], "bad_client_secret");
    let mut unknown = client_of(App::Slack);
    unknown.client_id = "123.456".into();
    let (_, _, body) = exchange(&fake, &unknown, "x").await;
    assert_eq!(body["error"], "invalid_client_id");

    let response = authorize(
        &fake,
        App::Slack,
        &authorize_params(&client, "chat:write", &[]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    assert_eq!(exchange(&fake, &client, &code).await.2["ok"], true);
    let (status, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::OK, Some("invalid_code"))
    );

    fake.oauth()
        .inject_fault(App::Slack, Fault::InvalidGrant, 1);
    let (status, _, body) = token(
        &fake,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "xoxe-1-x"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"ok": false, "error": "invalid_refresh_token"}));
    fake.oauth().inject_fault(
        App::Slack,
        Fault::RateLimited {
            retry_after_secs: 3,
        },
        1,
    );
    let (status, headers, body) = exchange(&fake, &client, "x").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "3");
    assert_eq!(body["error"], "ratelimited");
}

#[tokio::test]
async fn token_rotation_when_turned_on() {
    let fake = start().await;
    fake.oauth().update_settings(
        App::Slack,
        SettingsUpdate {
            refresh_tokens: Some(true),
            access_ttl_secs: Some(Some(43_200)),
            ..SettingsUpdate::default()
        },
    );
    let client = register(&fake, App::Slack);
    let response = authorize(
        &fake,
        App::Slack,
        &authorize_params(&client, "chat:write", &[("user_scope", "search:read")]),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(body["expires_in"], 43_200);
    assert_eq!(body["authed_user"]["expires_in"], 43_200);
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert!(refresh.starts_with("xoxe-1-"));
    let bot = body["access_token"].as_str().unwrap().to_owned();

    fake.oauth().advance_clock(43_200);
    let (_, answer) = call(&fake, "auth.test", Some(&bot), None).await;
    assert_eq!(answer, json!({"ok": false, "error": "token_expired"}));
    let refresh_with = |value: String| {
        let fake = &fake;
        let client = client.clone();
        async move {
            token(
                fake,
                &client,
                &[("grant_type", "refresh_token"), ("refresh_token", &value)],
            )
            .await
            .2
        }
    };
    let body = refresh_with(refresh.clone()).await;
    assert_eq!(body["ok"], true, "{body}");
    assert_ne!(body["refresh_token"], refresh.as_str());
    assert!(body["authed_user"]["access_token"].is_string());
    let (_, answer) = call(
        &fake,
        "auth.test",
        Some(body["access_token"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(answer["ok"], true);
    let reused = refresh_with(refresh).await;
    assert_eq!(reused["error"], "invalid_refresh_token");
}

#[tokio::test]
async fn post_message_as_the_bot() {
    let fake = start().await;
    let (bot, _) = tokens(&fake, &["chat:write", "channels:read"]);
    let (status, answer) = call(
        &fake,
        "chat.postMessage",
        Some(&bot),
        Some(json!({"channel": "#general", "text": "Deploy done"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["channel"], "C0GENERAL01");
    assert_eq!(answer["message"]["bot_id"], fake_provider::slack::BOT_ID);
    let ts = answer["ts"].as_str().unwrap();
    let posted = fake.slack_messages(Some("general"));
    let last = posted.last().unwrap();
    assert_eq!((last.ts.as_str(), last.text.as_str()), (ts, "Deploy done"));

    // Form bodies work too.
    let form = browser()
        .post(format!("{}/slack/api/chat.postMessage", fake.base_url()))
        .bearer_auth(&bot)
        .form(&[("channel", "C0ENGINEER1"), ("text", "from a form")])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(form["ok"], true);

    for (body, error) in [
        (json!({"channel": "random", "text": "hi"}), "not_in_channel"),
        (
            json!({"channel": "old-project", "text": "hi"}),
            "is_archived",
        ),
        (
            json!({"channel": "nope", "text": "hi"}),
            "channel_not_found",
        ),
        (json!({"channel": "general"}), "no_text"),
        (
            json!({"channel": "general", "text": "x".repeat(40_001)}),
            "msg_too_long",
        ),
    ] {
        let (status, answer) = call(&fake, "chat.postMessage", Some(&bot), Some(body)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer, json!({"ok": false, "error": error}));
    }
}

#[tokio::test]
async fn scopes_are_checked_per_token() {
    let fake = start().await;
    let (bot, user) = tokens(&fake, &["channels:read", "user:search:read"]);
    let (_, answer) = call(
        &fake,
        "chat.postMessage",
        Some(&bot),
        Some(json!({"channel": "general", "text": "x"})),
    )
    .await;
    assert_eq!(
        answer,
        json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "channels:read"})
    );
    // The user token carries only the user scopes.
    let (_, answer) = call(&fake, "conversations.list", Some(&user), Some(json!({}))).await;
    assert_eq!(answer["error"], "missing_scope");
    assert_eq!(answer["provided"], "search:read");
    // Search is for user tokens only.
    let (_, answer) = call(
        &fake,
        "search.messages",
        Some(&bot),
        Some(json!({"query": "x"})),
    )
    .await;
    assert_eq!(answer["error"], "not_allowed_token_type");

    let found = get(
        &fake,
        "search.messages",
        &user,
        &[("query", "billing deploy"), ("count", "5")],
    )
    .await;
    assert_eq!(found["ok"], true);
    assert_eq!(found["messages"]["total"], 2);
    let first = &found["messages"]["matches"][0];
    assert_eq!(first["channel"]["name"], "engineering");
    assert!(
        first["permalink"]
            .as_str()
            .unwrap()
            .starts_with("https://acme.slack.com/archives/C0ENGINEER1/p")
    );
    let narrowed = get(
        &fake,
        "search.messages",
        &user,
        &[("query", "billing in:#secret-plans")],
    )
    .await;
    assert_eq!(narrowed["messages"]["total"], 1);

    assert_eq!(
        fake.oauth()
            .remove_scope(App::Slack, "Ada Lovelace", "user:search:read"),
        1
    );
    let (_, answer) = call(
        &fake,
        "search.messages",
        Some(&user),
        Some(json!({"query": "x"})),
    )
    .await;
    assert_eq!(answer["error"], "missing_scope");
    assert_eq!(answer["needed"], "search:read");
}

#[tokio::test]
async fn conversations_list_pages_and_filters() {
    let fake = start().await;
    let (bot, _) = tokens(&fake, &["channels:read"]);
    let all = get(&fake, "conversations.list", &bot, &[]).await;
    let names: Vec<&str> = all["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["general", "engineering", "random", "old-project"]);
    assert_eq!(all["response_metadata"]["next_cursor"], "");
    let page = get(
        &fake,
        "conversations.list",
        &bot,
        &[("exclude_archived", "true"), ("limit", "2")],
    )
    .await;
    assert_eq!(page["channels"].as_array().unwrap().len(), 2);
    let cursor = page["response_metadata"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = get(
        &fake,
        "conversations.list",
        &bot,
        &[
            ("exclude_archived", "true"),
            ("limit", "2"),
            ("cursor", &cursor),
        ],
    )
    .await;
    assert_eq!(rest["channels"][0]["name"], "random");
    assert_eq!(rest["response_metadata"]["next_cursor"], "");
    let private = get(
        &fake,
        "conversations.list",
        &bot,
        &[("types", "private_channel")],
    )
    .await;
    assert_eq!(private["error"], "missing_scope");
    assert_eq!(private["needed"], "groups:read");
}

#[tokio::test]
async fn auth_errors_and_rate_limits() {
    let fake = start().await;
    let (_, answer) = call(&fake, "auth.test", None, None).await;
    assert_eq!(answer, json!({"ok": false, "error": "not_authed"}));
    let (_, answer) = call(&fake, "auth.test", Some("xoxb-bogus"), None).await;
    assert_eq!(answer["error"], "invalid_auth");
    let (bot, user) = tokens(&fake, &["chat:write", "user:search:read"]);
    assert_eq!(fake.slack_rate_limit(1, 30), 1);
    let (status, answer) = call(&fake, "auth.test", Some(&bot), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer["error"], "ratelimited");
    assert_eq!(
        call(&fake, "auth.test", Some(&bot), None).await.1["ok"],
        true
    );
    fake.oauth().revoke_user(App::Slack, "Ada Lovelace");
    for token in [&bot, &user] {
        let (_, answer) = call(&fake, "auth.test", Some(token), None).await;
        assert_eq!(answer["error"], "token_revoked");
    }
    let (status, answer) = call(&fake, "files.upload", Some(&bot), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"], "unknown_method");
}

#[tokio::test]
async fn http_controls_cover_slack() {
    let fake = start().await;
    let base = fake.base_url();
    let http = client();
    let minted: Value = http
        .post(format!("{base}/_fake/oauth/slack/tokens"))
        .json(&json!({"user": "Ada Lovelace", "scopes": ["chat:write", "user:search:read"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user = minted["user_access_token"].as_str().unwrap();
    assert!(user.starts_with("xoxp-"));
    let bot = minted["access_token"].as_str().unwrap();
    call(
        &fake,
        "chat.postMessage",
        Some(bot),
        Some(json!({"channel": "engineering", "text": "hello"})),
    )
    .await;
    let messages: Value = http
        .get(format!("{base}/_fake/slack/messages?channel=engineering"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = messages.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["text"], "hello");
    assert_eq!(last["bot_id"], fake_provider::slack::BOT_ID);
    let limited: Value = http
        .post(format!("{base}/_fake/slack/rate-limit"))
        .json(&json!({"times": 2, "retry_after_secs": 5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(limited["pending"], 2);
    let consent = http
        .put(format!("{base}/_fake/oauth/slack/consent"))
        .json(&json!({"user": "Grace Hopper", "grant": {"only": ["chat:write"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::OK);
    let client = register(&fake, App::Slack);
    let response = authorize(
        &fake,
        App::Slack,
        &authorize_params(
            &client,
            "chat:write,channels:read",
            &[("user_scope", "search:read")],
        ),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let (_, _, body) = exchange(&fake, &client, &code).await;
    assert_eq!(body["scope"], "chat:write");
    assert!(body["authed_user"].get("access_token").is_none(), "{body}");
}
