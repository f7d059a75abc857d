use std::cell::RefCell;
use std::rc::Rc;

use latchkey_sdk::bindings::latchkey::connector::http;
use latchkey_sdk::{AuthScheme, testing};
use serde_json::{Value, json};

use super::*;

fn record(
    answer: impl Fn(&http::Request) -> http::Response + 'static,
) -> Rc<RefCell<Vec<http::Request>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    testing::mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(answer(req))
    });
    seen
}

fn body(req: &http::Request) -> Value {
    serde_json::from_slice(req.body.as_deref().unwrap_or(b"null")).unwrap()
}

#[test]
fn manifest_declares_bot_and_user_tokens() {
    let manifest = Slack::manifest();
    let [AuthScheme::Oauth2(oauth)] = manifest.auth.as_slice() else {
        panic!("one OAuth scheme");
    };
    assert_eq!(oauth.authorize_url, "https://slack.com/oauth/v2/authorize");
    assert_eq!(oauth.token_url, "https://slack.com/api/oauth.v2.access");
    assert_eq!(oauth.scope_separator.as_deref(), Some(","));
    assert_eq!(oauth.scope_params, [("user:".into(), "user_scope".into())]);
    assert_eq!(
        oauth.default_scopes,
        ["chat:write", "channels:read", "user:search:read"]
    );
    let shape = &oauth.token_response;
    assert_eq!(shape.access_token, None, "the bot token is the main one");
    assert_eq!(shape.error.as_deref(), Some("/error"));
    assert_eq!(
        shape.extra_tokens,
        [("user".into(), "/authed_user/access_token".into())]
    );
    assert_eq!(
        shape.extra_scopes,
        [("user:".into(), "/authed_user/scope".into())]
    );
    for (from, to) in [
        ("invalid_code", "invalid_grant"),
        ("invalid_refresh_token", "invalid_grant"),
        ("invalid_client_id", "invalid_client"),
        ("bad_client_secret", "invalid_client"),
    ] {
        assert!(
            shape.error_aliases.contains(&(from.into(), to.into())),
            "{from}"
        );
    }
    assert_eq!(manifest.allowed_hosts, ["https://slack.com"]);
    assert!(
        manifest
            .setup_instructions
            .contains("/v1/oauth/callback/slack")
    );
    let tools = Slack::tools().list();
    let scopes = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .required_scopes
            .clone()
    };
    assert_eq!(scopes("post_message"), ["chat:write"]);
    assert_eq!(scopes("search_messages"), ["user:search:read"]);
    assert_eq!(scopes("list_channels"), ["channels:read"]);
}

#[test]
fn post_message_uses_the_bot_token_and_json() {
    let seen = record(|_| {
        testing::response(
            200,
            r#"{"ok": true, "channel": "C0GENERAL01", "ts": "1767225600.000700",
                "message": {"type": "message", "text": "Deploy done", "bot_id": "B1"}}"#,
        )
    });
    let out = Slack::tools()
        .call(
            &testing::context(&[CHAT_WRITE]),
            "post_message",
            r##"{"channel": "#general", "text": "Deploy done", "thread_ts": "1767225600.000100"}"##,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        out,
        json!({"channel": "C0GENERAL01", "ts": "1767225600.000700", "text": "Deploy done"})
    );
    let req = &seen.borrow()[0];
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://slack.com/api/chat.postMessage");
    assert!(req.authenticate);
    assert_eq!(req.token, None, "the bot token is the main token");
    assert_eq!(
        body(req),
        json!({"channel": "general", "text": "Deploy done", "thread_ts": "1767225600.000100"})
    );
    testing::clear_http();
}

#[test]
fn search_messages_uses_the_user_token() {
    let seen = record(|_| {
        testing::response(
            200,
            &json!({"ok": true, "query": "billing", "messages": {
                "total": 1,
                "paging": {"count": 5, "total": 1, "page": 1, "pages": 1},
                "matches": [{"channel": {"id": "C0ENGINEER1", "name": "engineering"},
                             "user": "U1", "username": "grace", "text": "Billing deploy done",
                             "ts": "1767225600.000300",
                             "permalink": "https://acme.slack.com/archives/C0ENGINEER1/p1767225600000300"}]
            }})
            .to_string(),
        )
    });
    let out = Slack::tools()
        .call(
            &testing::context(&[SEARCH_READ]),
            "search_messages",
            r#"{"query": "billing in:#engineering", "count": 5}"#,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["total"], 1);
    assert_eq!(out["matches"][0]["channel"], "engineering");
    let req = &seen.borrow()[0];
    assert_eq!(
        req.url,
        "https://slack.com/api/search.messages?query=billing%20in%3A%23engineering&count=5&page=1"
    );
    assert!(req.authenticate);
    assert_eq!(req.token.as_deref(), Some("user"));
    testing::clear_http();
}

#[test]
fn slack_errors_with_http_200_become_call_errors() {
    record(|_| {
        testing::response(
            200,
            r#"{"ok": false, "error": "missing_scope", "needed": "search:read", "provided": "identify"}"#,
        )
    });
    let error = Slack::tools()
        .call(
            &testing::context(&[]),
            "search_messages",
            r#"{"query": "x"}"#,
        )
        .unwrap_err();
    assert_eq!(error, CallError::insufficient_scope(["user:search:read"]));

    record(|_| testing::response(200, r#"{"ok": false, "error": "not_in_channel"}"#));
    let error = Slack::tools()
        .call(
            &testing::context(&[CHAT_WRITE]),
            "post_message",
            r#"{"channel": "random", "text": "hi"}"#,
        )
        .unwrap_err();
    assert!(matches!(error, CallError::InvalidInput(m) if m.contains("/invite")));

    record(|_| testing::response(200, r#"{"ok": false, "error": "token_expired"}"#));
    let error = Slack::tools()
        .call(&testing::context(&[CHANNELS_READ]), "list_channels", "{}")
        .unwrap_err();
    assert_eq!(error, CallError::expired());
    testing::clear_http();
}

#[test]
fn bad_input_never_reaches_the_network() {
    testing::clear_http();
    let ctx = testing::context(&[CHAT_WRITE, SEARCH_READ]);
    for (tool, input) in [
        ("post_message", r#"{"channel": "<@U1>", "text": "x"}"#),
        ("post_message", r#"{"channel": "general", "text": "   "}"#),
        (
            "post_message",
            r#"{"channel": "general", "text": "x", "thread_ts": "abc"}"#,
        ),
        ("search_messages", r#"{"query": " "}"#),
        ("search_messages", r#"{"query": "x", "count": 0}"#),
        ("list_channels", r#"{"limit": 1000}"#),
    ] {
        let error = Slack::tools().call(&ctx, tool, input).unwrap_err();
        assert!(
            matches!(error, CallError::InvalidInput(_)),
            "{input}: {error:?}"
        );
    }
}

#[test]
fn list_channels_pages() {
    let seen = record(|_| {
        testing::response(
            200,
            r#"{"ok": true, "channels": [{"id": "C0GENERAL01", "name": "general", "is_member": true,
                 "is_archived": false, "purpose": {"value": "All"}, "num_members": 4}],
                "response_metadata": {"next_cursor": "b2Zmc2V0OjE="}}"#,
        )
    });
    let out = Slack::tools()
        .call(
            &testing::context(&[CHANNELS_READ]),
            "list_channels",
            r#"{"limit": 1, "cursor": "abc"}"#,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["channels"][0]["purpose"], "All");
    assert_eq!(out["next_cursor"], "b2Zmc2V0OjE=");
    assert_eq!(
        seen.borrow()[0].url,
        "https://slack.com/api/conversations.list?types=public_channel&exclude_archived=true&limit=1&cursor=abc"
    );
    testing::clear_http();
}

#[test]
fn connection_metadata_and_verify() {
    let response = json!({
        "ok": true, "app_id": "A1", "token_type": "bot", "scope": "chat:write",
        "bot_user_id": "UBOT", "team": {"id": "T1", "name": "Acme"}, "enterprise": null,
        "authed_user": {"id": "U1", "scope": "search:read", "token_type": "user"},
        "is_enterprise_install": false
    });
    let pairs = Slack::connection_metadata(&response).unwrap();
    assert_eq!(
        pairs,
        [
            ("team_id".to_owned(), "T1".to_owned()),
            ("team_name".to_owned(), "Acme".to_owned()),
            ("app_id".to_owned(), "A1".to_owned()),
            ("bot_user_id".to_owned(), "UBOT".to_owned()),
            ("authed_user_id".to_owned(), "U1".to_owned()),
        ]
    );

    let seen = record(|req| {
        let user = req.token.is_some();
        testing::response(
            200,
            &if user {
                json!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "team_id": "T1",
                       "user": "ada", "user_id": "U1"})
            } else {
                json!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "team_id": "T1",
                       "user": "latchkey", "user_id": "UBOT", "bot_id": "B1"})
            }
            .to_string(),
        )
    });
    let me = Slack::verify(&testing::context(&[CHAT_WRITE, SEARCH_READ])).unwrap();
    assert_eq!(me.subject, "U1");
    assert_eq!(me.display_name.as_deref(), Some("ada in Acme"));
    assert!(me.metadata.contains(&("team_id".into(), "T1".into())));
    assert!(me.metadata.contains(&("bot_user_id".into(), "UBOT".into())));
    assert_eq!(seen.borrow().len(), 2);
    assert_eq!(seen.borrow()[0].url, "https://slack.com/api/auth.test");

    let seen = record(|_| {
        testing::response(
            200,
            r#"{"ok": true, "team": "Acme", "team_id": "T1", "user": "latchkey", "user_id": "UBOT"}"#,
        )
    });
    let me = Slack::verify(&testing::context(&[CHAT_WRITE])).unwrap();
    assert_eq!(me.subject, "UBOT");
    assert_eq!(seen.borrow().len(), 1, "no user token to ask");
    testing::clear_http();
}
