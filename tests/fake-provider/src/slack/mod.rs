//! Slack's Web API under `/slack` (`slack.com`), beside its OAuth endpoints there
//! (`/oauth/v2/authorize`, `/api/oauth.v2.access`): `auth.test`, `chat.postMessage`,
//! `search.messages` and `conversations.list`. Arguments come from the query, a form body or
//! a JSON body; the token from `Authorization: Bearer`. Bot (`xoxb-`) and user (`xoxp-`)
//! tokens are distinct: a bot token carries the grant's plain scopes, a user token its
//! `user:` ones, and `search.messages` takes only user tokens. Every answer is HTTP 200 with
//! `ok`; errors are `{"ok": false, "error": code}` (`not_authed`, `invalid_auth`,
//! `token_revoked`, `token_expired`, `missing_scope` with `needed` and `provided`,
//! `not_allowed_token_type`, `channel_not_found`, `not_in_channel`, `is_archived`, `no_text`,
//! `msg_too_long`, `no_query`), except `ratelimited`, a 429 with `Retry-After`.

mod model;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

pub use model::{
    APP_ID, BOT_ID, BOT_USER_ID, CHANNELS, Channel, Message, SlackData, TEAM_ID, TEAM_NAME, user_id,
};
use model::{BOT_NAME, TEAM_URL};

use crate::oauth::access::Denied;
use crate::oauth::reply::Issued;
use crate::oauth::store::{Grant, TokenKind};
use crate::oauth::{self, App, USER_SCOPE_PREFIX, access_expiry};
use crate::people::Person;
use crate::state::{Inner, State};

/// Longest message text Slack takes.
const MAX_TEXT: usize = 40_000;

/// The Web API routes, relative to `/slack`.
pub fn router() -> Router<State> {
    Router::new()
        .route("/api/auth.test", get(auth_test).post(auth_test))
        .route(
            "/api/chat.postMessage",
            get(post_message).post(post_message),
        )
        .route("/api/search.messages", get(search).post(search))
        .route(
            "/api/conversations.list",
            get(list_channels).post(list_channels),
        )
        .fallback(|| async {
            let body = json!({ "ok": false, "error": "unknown_method" });
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        })
}

/// A Slack error: HTTP 200 (429 when rate limited) and `{"ok": false, "error", …}`.
#[derive(Debug)]
struct Failure {
    body: Value,
    retry_after: Option<u32>,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self.retry_after {
            Some(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                Json(self.body),
            )
                .into_response(),
            None => Json(self.body).into_response(),
        }
    }
}

/// `{"ok": false, "error": code}` with HTTP 200.
fn fail(code: &str) -> Failure {
    Failure {
        body: json!({ "ok": false, "error": code }),
        retry_after: None,
    }
}

/// The caller of a Web API method.
struct Caller {
    person: Person,
    /// A user token (`xoxp-`), not the bot token.
    user_token: bool,
    /// The token's own scopes (user scopes without their prefix).
    scopes: Vec<String>,
}

impl Caller {
    /// `missing_scope` unless the token has `scope`.
    fn require(&self, scope: &str) -> Result<(), Failure> {
        if self.scopes.iter().any(|s| s == scope) {
            return Ok(());
        }
        Err(Failure {
            body: json!({
                "ok": false,
                "error": "missing_scope",
                "needed": scope,
                "provided": self.scopes.join(","),
            }),
            retry_after: None,
        })
    }
}

/// Arguments from the query and the body (form or JSON).
struct Args(Vec<(String, String)>);

impl Args {
    fn read(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Self, Failure> {
        let mut args: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if json && !body.is_empty() {
            let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
                return Err(fail("invalid_json"));
            };
            for (key, value) in object {
                let text = match value {
                    Value::String(s) => s,
                    Value::Null => continue,
                    other => other.to_string(),
                };
                args.push((key, text));
            }
        } else {
            args.extend(url::form_urlencoded::parse(body).into_owned());
        }
        Ok(Args(args))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }
}

/// Checks the token; spends a queued rate limit first.
fn admit(inner: &mut Inner, headers: &HeaderMap) -> Result<Caller, Failure> {
    if inner.slack.rate_limited > 0 {
        inner.slack.rate_limited -= 1;
        return Err(Failure {
            body: json!({ "ok": false, "error": "ratelimited" }),
            retry_after: Some(inner.slack.retry_after_secs),
        });
    }
    let token = oauth::access::bearer(headers).ok_or_else(|| fail("not_authed"))?;
    let access = oauth::access::check(&inner.oauth, App::Slack, token).map_err(|denied| {
        fail(match denied {
            Denied::Unknown => "invalid_auth",
            Denied::Revoked => "token_revoked",
            Denied::Expired => "token_expired",
        })
    })?;
    let scopes = access
        .scopes
        .iter()
        .filter_map(|s| {
            let user_scope = s.strip_prefix(USER_SCOPE_PREFIX);
            match (access.user_token, user_scope) {
                (true, Some(scope)) => Some(scope.to_owned()),
                (false, None) => Some(s.clone()),
                _ => None,
            }
        })
        .collect();
    inner.slack.seed();
    Ok(Caller {
        person: inner.people.get(&access.user),
        user_token: access.user_token,
        scopes,
    })
}

/// Runs `f` for an admitted caller with the request's arguments; adds `"ok": true` to its
/// answer.
fn with_caller(
    state: &State,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
    f: impl FnOnce(&mut Inner, &Caller, &Args) -> Result<Value, Failure>,
) -> Response {
    let result = Args::read(query, headers, body).and_then(|args| {
        state.with(|inner| {
            let caller = admit(inner, headers)?;
            f(inner, &caller, &args)
        })
    });
    match result {
        Ok(Value::Object(mut map)) => {
            let mut with_ok = Map::new();
            with_ok.insert("ok".into(), true.into());
            with_ok.append(&mut map);
            Json(Value::Object(with_ok)).into_response()
        }
        Ok(other) => Json(other).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn auth_test(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    with_caller(&state, &headers, query.as_deref(), &body, |_, caller, _| {
        let mut answer = json!({
            "url": TEAM_URL,
            "team": TEAM_NAME,
            "team_id": TEAM_ID,
            "is_enterprise_install": false,
        });
        if caller.user_token {
            answer["user"] = caller.person.login.clone().into();
            answer["user_id"] = user_id(&caller.person).into();
        } else {
            answer["user"] = BOT_NAME.into();
            answer["user_id"] = BOT_USER_ID.into();
            answer["bot_id"] = BOT_ID.into();
        }
        Ok(answer)
    })
}

async fn post_message(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    with_caller(
        &state,
        &headers,
        query.as_deref(),
        &body,
        |inner, caller, args| {
            caller.require("chat:write")?;
            let channel = args
                .get("channel")
                .and_then(model::channel)
                .ok_or_else(|| fail("channel_not_found"))?;
            if channel.archived {
                return Err(fail("is_archived"));
            }
            let may_post = caller.user_token
                || channel.bot_member
                || (!channel.private && caller.scopes.iter().any(|s| s == "chat:write.public"));
            if !may_post {
                return Err(fail(if channel.private {
                    "channel_not_found"
                } else {
                    "not_in_channel"
                }));
            }
            let text = args.get("text").ok_or_else(|| fail("no_text"))?;
            if text.chars().count() > MAX_TEXT {
                return Err(fail("msg_too_long"));
            }
            let (user, username, bot_id) = if caller.user_token {
                (user_id(&caller.person), caller.person.login.clone(), None)
            } else {
                (BOT_USER_ID.to_owned(), BOT_NAME.to_owned(), Some(BOT_ID))
            };
            let message = inner.slack.post(channel.id, &user, &username, text, bot_id);
            let mut shown = json!({
                "type": "message",
                "text": message.text,
                "user": message.user,
                "ts": message.ts,
                "team": TEAM_ID,
            });
            if let Some(bot_id) = bot_id {
                shown["bot_id"] = bot_id.into();
                shown["app_id"] = APP_ID.into();
                shown["bot_profile"] =
                    json!({ "id": BOT_ID, "name": BOT_NAME, "app_id": APP_ID, "team_id": TEAM_ID });
            }
            Ok(json!({ "channel": channel.id, "ts": message.ts, "message": shown }))
        },
    )
}

async fn search(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    with_caller(
        &state,
        &headers,
        query.as_deref(),
        &body,
        |inner, caller, args| {
            if !caller.user_token {
                return Err(fail("not_allowed_token_type"));
            }
            caller.require("search:read")?;
            let text = args.get("query").ok_or_else(|| fail("no_query"))?;
            let count = number(args.get("count"), 20).clamp(1, 100);
            let page = number(args.get("page"), 1).max(1);
            let mut in_channel = None;
            let mut words = Vec::new();
            for term in text.split_whitespace() {
                match term.strip_prefix("in:") {
                    Some(name) => in_channel = model::channel(name),
                    None => words.push(term.to_lowercase()),
                }
            }
            let matches: Vec<Value> = inner
                .slack
                .messages
                .iter()
                .rev()
                .filter_map(|m| {
                    let channel = model::channel(&m.channel)?;
                    let lower = m.text.to_lowercase();
                    let hit = words.iter().all(|w| lower.contains(w.as_str()))
                        && in_channel.is_none_or(|c| c.id == channel.id);
                    hit.then(|| m.search_json(channel))
                })
                .collect();
            let total = matches.len();
            let pages = total.div_ceil(count).max(1);
            let shown: Vec<Value> = matches
                .into_iter()
                .skip((page - 1).saturating_mul(count))
                .take(count)
                .collect();
            Ok(json!({
                "query": text,
                "messages": {
                    "total": total,
                    "matches": shown,
                    "paging": { "count": count, "total": total, "page": page, "pages": pages },
                    "pagination": {
                        "total_count": total,
                        "page": page,
                        "per_page": count,
                        "page_count": pages,
                        "first": ((page - 1) * count + 1).min(total),
                        "last": (page * count).min(total),
                    },
                },
            }))
        },
    )
}

async fn list_channels(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    with_caller(
        &state,
        &headers,
        query.as_deref(),
        &body,
        |_, caller, args| {
            let types: Vec<&str> = args
                .get("types")
                .unwrap_or("public_channel")
                .split(',')
                .map(str::trim)
                .collect();
            let public = types.contains(&"public_channel");
            let private = types.contains(&"private_channel");
            if public {
                caller.require("channels:read")?;
            }
            if private {
                caller.require("groups:read")?;
            }
            let limit = number(args.get("limit"), 100).clamp(1, 1000);
            let start = match args.get("cursor") {
                None => 0,
                Some(cursor) => STANDARD
                    .decode(cursor)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
                    .ok_or_else(|| fail("invalid_cursor"))?,
            };
            let exclude_archived = args.flag("exclude_archived");
            let listed: Vec<&Channel> = CHANNELS
                .iter()
                .filter(|c| if c.private { private } else { public })
                .filter(|c| !(exclude_archived && c.archived))
                .collect();
            let page: Vec<Value> = listed
                .iter()
                .skip(start)
                .take(limit)
                .map(|c| {
                    let mut json = c.json();
                    if caller.user_token {
                        json["is_member"] = true.into();
                    }
                    json
                })
                .collect();
            let next = start + limit;
            let cursor = if next < listed.len() {
                STANDARD.encode(format!("offset:{next}"))
            } else {
                String::new()
            };
            Ok(json!({ "channels": page, "response_metadata": { "next_cursor": cursor } }))
        },
    )
}

/// The workspace's messages (seeded and posted), oldest first, only `channel`'s (id or name)
/// when given.
pub fn messages(inner: &mut Inner, channel: Option<&str>) -> Vec<Message> {
    inner.slack.seed();
    let wanted = channel.map(|c| model::channel(c).map_or(c, |found| found.id));
    inner
        .slack
        .messages
        .iter()
        .filter(|m| wanted.is_none_or(|id| m.channel == id))
        .cloned()
        .collect()
}

/// The next `times` Web API calls answer 429 `ratelimited` with `Retry-After: secs`.
pub fn rate_limit(inner: &mut Inner, times: u32, retry_after_secs: u32) -> u32 {
    inner.slack.rate_limited = inner.slack.rate_limited.saturating_add(times);
    inner.slack.retry_after_secs = retry_after_secs;
    inner.slack.rate_limited
}

/// A positive number argument, or `default`.
fn number(text: Option<&str>, default: usize) -> usize {
    text.and_then(|t| t.parse().ok()).unwrap_or(default)
}

/// What `oauth.v2.access` adds for `grant`: `app_id`, `team`, `enterprise`, the bot user, and
/// `authed_user` with a fresh user token when the grant has `user:` scopes. The grant's plain
/// scopes are the bot token's `scope`; without any, the bot token is left out entirely.
pub fn oauth_token_fields(inner: &mut Inner, grant: &Grant, issued: &mut Issued) {
    let person = inner.people.get(&grant.user);
    let bot_scopes: Vec<String> = grant
        .scopes
        .iter()
        .filter(|s| !s.starts_with(USER_SCOPE_PREFIX))
        .cloned()
        .collect();
    let user_scopes: Vec<&str> = grant
        .scopes
        .iter()
        .filter_map(|s| s.strip_prefix(USER_SCOPE_PREFIX))
        .collect();
    let mut authed_user = Map::new();
    authed_user.insert("id".into(), user_id(&person).into());
    if !user_scopes.is_empty() {
        let expires_at = access_expiry(&mut inner.oauth, App::Slack);
        let token =
            inner
                .oauth
                .store
                .issue(App::Slack, grant.id, TokenKind::UserAccess, expires_at);
        authed_user.insert("scope".into(), user_scopes.join(",").into());
        authed_user.insert("access_token".into(), token.into());
        authed_user.insert("token_type".into(), "user".into());
        if let Some(expires_in) = issued.expires_in {
            authed_user.insert("expires_in".into(), expires_in.into());
        }
    }
    if bot_scopes.is_empty() {
        inner.oauth.store.forget(&issued.access_token);
        issued.access_token.clear();
        if let Some(refresh) = issued.refresh_token.take() {
            authed_user.insert("refresh_token".into(), refresh.into());
        }
    } else {
        issued
            .extra
            .insert("bot_user_id".into(), BOT_USER_ID.into());
    }
    issued.scopes = issued.scopes.take().map(|_| bot_scopes);
    issued.extra.insert("app_id".into(), APP_ID.into());
    issued
        .extra
        .insert("team".into(), json!({ "id": TEAM_ID, "name": TEAM_NAME }));
    issued.extra.insert("enterprise".into(), Value::Null);
    issued
        .extra
        .insert("is_enterprise_install".into(), false.into());
    issued
        .extra
        .insert("authed_user".into(), Value::Object(authed_user));
}
