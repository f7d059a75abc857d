//! Slack connector: post messages as the app's bot, list public channels, and search messages
//! as the user who connected, with Slack's OAuth v2.
//!
//! One consent yields two tokens: the bot token (`xoxb-`, the connection's main token, for the
//! `scope` scopes) and the user token (`xoxp-`, the extra token `user`, for the `user_scope`
//! scopes). Latchkey names user scopes with a `user:` prefix (`user:search:read`), sends them
//! in `user_scope`, and records what Slack granted for each token; a tool that needs the user
//! token asks for it with `Request::authenticated_with("user")`.

mod channel;
mod errors;

use latchkey_sdk::prelude::*;
use latchkey_sdk::{TokenEndpointAuth, TokenResponseShape};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use channel::ChannelRef;
use errors::{Token, USER_PREFIX};

const API: &str = "https://slack.com/api";
const AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";
const TOKEN_URL: &str = "https://slack.com/api/oauth.v2.access";
/// Bot: post messages.
const CHAT_WRITE: &str = "chat:write";
/// Bot: list public channels.
const CHANNELS_READ: &str = "channels:read";
/// User: search messages (Slack gives search only to user tokens).
const SEARCH_READ: &str = "user:search:read";
/// The name of the user token among the connection's tokens.
const USER_TOKEN: &str = "user";
/// Longest message Slack takes.
const MAX_TEXT: usize = 40_000;

/// Calls Web API `method` with the given token and reads Slack's `ok`/`error` envelope.
fn call(request: Request, token: Token) -> Result<Value, CallError> {
    let request = match token {
        Token::Bot => request.authenticated(),
        Token::User => request.authenticated_with(USER_TOKEN),
    };
    errors::checked(request.send()?, token)
}

/// `https://slack.com/api/{method}`.
fn method(name: &str) -> String {
    format!("{API}/{name}")
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PostMessage {
    channel: ChannelRef,
    /// The message, in Slack's mrkdwn (`*bold*`, `<https://x|link>`…).
    #[schemars(length(min = 1, max = 40000))]
    text: String,
    /// Reply in the thread of this message (its `ts`).
    #[schemars(regex(pattern = r"^[0-9]{1,12}\.[0-9]{1,9}$"))]
    thread_ts: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchMessages {
    /// Slack search syntax: words, `in:#channel`, `from:@someone`, `before:2026-01-31`…
    #[schemars(length(min = 1, max = 500))]
    query: String,
    /// Matches per page, 1 to 100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    count: Option<u32>,
    /// Page number, from 1.
    #[schemars(range(min = 1, max = 100))]
    page: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListChannels {
    /// Channels per page, 1 to 200 (default 100).
    #[schemars(range(min = 1, max = 200))]
    limit: Option<u32>,
    /// `next_cursor` of a previous call, for the channels after it.
    #[schemars(length(max = 500))]
    cursor: Option<String>,
    /// Include archived channels (default false).
    include_archived: Option<bool>,
}

fn post_message(_: &Context, input: PostMessage) -> Result<Value, CallError> {
    if input.text.trim().is_empty() {
        return Err(CallError::invalid_input("text must not be empty"));
    }
    if input.text.chars().count() > MAX_TEXT {
        return Err(CallError::invalid_input(
            "text must be at most 40,000 characters",
        ));
    }
    let mut body = json!({ "channel": input.channel.to_string(), "text": input.text });
    if let Some(ts) = input.thread_ts {
        let ok = ts.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        });
        if !ok {
            return Err(CallError::invalid_input(
                "thread_ts must be a message ts like 1767225600.000100",
            ));
        }
        body["thread_ts"] = ts.into();
    }
    let request = Request::post(method("chat.postMessage"))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(serde_json::to_vec(&body).map_err(|e| CallError::internal(e.to_string()))?);
    let answer = call(request, Token::Bot)?;
    Ok(json!({
        "channel": answer["channel"],
        "ts": answer["ts"],
        "text": answer["message"]["text"],
    }))
}

fn search_messages(_: &Context, input: SearchMessages) -> Result<Value, CallError> {
    let query = input.query.trim();
    if query.is_empty() || query.chars().count() > 500 {
        return Err(CallError::invalid_input(
            "query must be 1 to 500 characters",
        ));
    }
    let count = input.count.unwrap_or(20);
    let page = input.page.unwrap_or(1);
    if !(1..=100).contains(&count) || !(1..=100).contains(&page) {
        return Err(CallError::invalid_input(
            "count and page must be between 1 and 100",
        ));
    }
    let request = Request::get(method("search.messages"))
        .query("query", query)
        .query("count", &count.to_string())
        .query("page", &page.to_string());
    let answer = call(request, Token::User)?;
    let messages = &answer["messages"];
    let matches: Vec<Value> = messages["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            json!({
                "channel": m["channel"]["name"],
                "channel_id": m["channel"]["id"],
                "user": m["user"],
                "username": m["username"],
                "text": m["text"],
                "ts": m["ts"],
                "permalink": m["permalink"],
            })
        })
        .collect();
    Ok(json!({
        "total": messages["total"],
        "page": messages["paging"]["page"],
        "pages": messages["paging"]["pages"],
        "matches": matches,
    }))
}

fn list_channels(_: &Context, input: ListChannels) -> Result<Value, CallError> {
    let limit = input.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(CallError::invalid_input("limit must be between 1 and 200"));
    }
    let mut request = Request::get(method("conversations.list"))
        .query("types", "public_channel")
        .query(
            "exclude_archived",
            if input.include_archived.unwrap_or(false) {
                "false"
            } else {
                "true"
            },
        )
        .query("limit", &limit.to_string());
    if let Some(cursor) = input.cursor.filter(|c| !c.is_empty()) {
        request = request.query("cursor", &cursor);
    }
    let answer = call(request, Token::Bot)?;
    let channels: Vec<Value> = answer["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!({
                "id": c["id"],
                "name": c["name"],
                "is_member": c["is_member"],
                "is_archived": c["is_archived"],
                "purpose": c["purpose"]["value"],
                "num_members": c["num_members"],
            })
        })
        .collect();
    let next = answer["response_metadata"]["next_cursor"]
        .as_str()
        .filter(|c| !c.is_empty());
    Ok(json!({ "channels": channels, "next_cursor": next }))
}

struct Slack;

impl Connector for Slack {
    fn manifest() -> Manifest {
        // Slack answers token errors with HTTP 200 and its own codes; scopes are comma-
        // separated; the user token and its scopes sit in `authed_user`.
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .default_scopes(&[CHAT_WRITE, CHANNELS_READ, SEARCH_READ])
            .scope_separator(",")
            .scope_param(USER_PREFIX, "user_scope")
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretBasic)
            .token_response(TokenResponseShape {
                error: Some("/error".to_owned()),
                error_aliases: [
                    ("invalid_code", "invalid_grant"),
                    ("code_already_used", "invalid_grant"),
                    ("code_expired", "invalid_grant"),
                    ("invalid_refresh_token", "invalid_grant"),
                    ("token_revoked", "invalid_grant"),
                    ("token_expired", "invalid_grant"),
                    ("bad_redirect_uri", "invalid_grant"),
                    ("oauth_authorization_url_mismatch", "invalid_grant"),
                    ("invalid_code_verifier", "invalid_grant"),
                    ("invalid_client_id", "invalid_client"),
                    ("bad_client_secret", "invalid_client"),
                    ("invalid_grant_type", "unsupported_grant_type"),
                ]
                .map(|(from, to)| (from.to_owned(), to.to_owned()))
                .to_vec(),
                extra_tokens: vec![(
                    USER_TOKEN.to_owned(),
                    "/authed_user/access_token".to_owned(),
                )],
                extra_scopes: vec![(USER_PREFIX.to_owned(), "/authed_user/scope".to_owned())],
                ..TokenResponseShape::default()
            });
        Manifest::new("slack", "Slack", env!("CARGO_PKG_VERSION"))
            .description(
                "Post messages to Slack channels as the app, list channels, and search \
                 messages as you.",
            )
            .auth(oauth)
            .allow_host("https://slack.com")
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        Tools::new()
            .tool(
                "post_message",
                "Post a message (Slack mrkdwn) to a channel, by id or name, as the Latchkey \
                 app's bot, optionally in a thread; the bot must be in the channel. Returns \
                 the channel id and the message ts.",
                &[CHAT_WRITE],
                post_message,
            )
            .read_only(
                "search_messages",
                "Search Slack messages the connected user can see (Slack search syntax: \
                 words, in:#channel, from:@someone…): channel, author, text, ts and link.",
                &[SEARCH_READ],
                search_messages,
            )
            .read_only(
                "list_channels",
                "Public Slack channels: id, name, whether the bot is a member, purpose, \
                 member count; paged with next_cursor.",
                &[CHANNELS_READ],
                list_channels,
            )
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        let bot = call(Request::post(method("auth.test")), Token::Bot)?;
        let team = bot["team"].as_str().unwrap_or("Slack").to_owned();
        // The user token says who connected; without user scopes the bot stands for them.
        let has_user_token = ctx
            .granted_scopes()
            .iter()
            .any(|s| s.starts_with(USER_PREFIX));
        let who = if has_user_token {
            call(Request::post(method("auth.test")), Token::User)?
        } else {
            bot.clone()
        };
        let name = who["user"].as_str().unwrap_or_default();
        Ok(Identity::from_json(&who, "/user_id", "/user")?
            .display_name(format!("{name} in {team}"))
            .metadata_from(&bot, "team_id", "/team_id")
            .metadata_from(&bot, "team_name", "/team")
            .metadata_from(&bot, "team_url", "/url")
            .metadata_from(&bot, "bot_user_id", "/user_id")
            .metadata_from(&bot, "bot_id", "/bot_id"))
    }

    fn connection_metadata(token_response: &Value) -> Result<Vec<(String, String)>, CallError> {
        let pairs = [
            ("team_id", "/team/id"),
            ("team_name", "/team/name"),
            ("enterprise_id", "/enterprise/id"),
            ("app_id", "/app_id"),
            ("bot_user_id", "/bot_user_id"),
            ("authed_user_id", "/authed_user/id"),
        ];
        Ok(pairs
            .iter()
            .filter_map(|(key, pointer)| {
                token_response
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .map(|v| ((*key).to_owned(), v.to_owned()))
            })
            .collect())
    }
}

latchkey_sdk::export_connector!(Slack);

#[cfg(test)]
mod tests;
