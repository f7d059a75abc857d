//! The Notion API (version 2022-06-28) under `/notion`: search, pages, users/me. Requests
//! need `Authorization: Bearer <token>` — an added integration secret, or an access token of
//! the Notion OAuth server (each OAuth user gets a workspace of their own) — and a
//! `Notion-Version` header. The OAuth endpoints (`/v1/oauth/...`) live in [`crate::oauth`].

mod model;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Json;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use model::{NotionError, Page, normalize_id};
pub use model::{NotionSeed, Workspace, Workspaces};

use crate::clock;
use crate::oauth::{self, App};
use crate::state::{Ids, Inner, State};

/// Notion's cap on one rich-text object's characters.
const MAX_TEXT: usize = 2000;
/// Notion's cap on children per request.
const MAX_CHILDREN: usize = 100;

/// What a Notion handler answers.
type Answer = Result<Json<Value>, NotionError>;

/// The routes, relative to `/notion`.
pub fn router() -> Router<State> {
    Router::new()
        .route("/v1/search", post(search))
        .route("/v1/pages", post(create_page))
        .route("/v1/pages/{id}", get(retrieve_page))
        .route("/v1/users/me", get(users_me))
        .fallback(|| async {
            NotionError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request_url",
                "Invalid request URL.",
            )
        })
}

/// Adds a workspace for `token` with a shared root page (idempotent).
pub fn add_token(inner: &mut Inner, token: &str, user_name: &str) -> NotionSeed {
    if let Some(existing) = inner.notion.get(token) {
        return existing.seed();
    }
    let bot_id = inner.new_id();
    let workspace_id = inner.new_id();
    let root = Page {
        id: inner.new_id(),
        parent: json!({ "type": "workspace", "workspace": true }),
        title: "Latchkey Sandbox".into(),
        children: Vec::new(),
        created_time: clock::now(),
    };
    let workspace = Workspace {
        bot_id,
        workspace_id,
        user_name: user_name.to_owned(),
        pages: vec![root],
    };
    let seed = workspace.seed();
    inner.notion.insert(token.to_owned(), workspace);
    seed
}

/// The workspace key of a Notion OAuth user (a NUL keeps it apart from any header value).
fn oauth_key(user: &str) -> String {
    format!("\0oauth:{user}")
}

/// The workspace of the OAuth user `user`, created on first use.
pub fn oauth_workspace(inner: &mut Inner, user: &str) -> NotionSeed {
    add_token(inner, &oauth_key(user), user)
}

/// The fields Notion adds to an OAuth token response for `user`'s authorization.
pub fn oauth_token_fields(inner: &mut Inner, user: &str) -> Map<String, Value> {
    oauth_workspace(inner, user);
    let person = inner.people.get(user);
    let Some(workspace) = inner.notion.get(&oauth_key(user)) else {
        return Map::new();
    };
    let fields = json!({
        "bot_id": workspace.bot_id,
        "workspace_id": workspace.workspace_id,
        "workspace_name": workspace.workspace_name(),
        "workspace_icon": null,
        "owner": {
            "type": "user",
            "user": {
                "object": "user",
                "id": format!("00000000-0000-4000-9000-{:012x}", person.id),
                "name": person.name,
                "avatar_url": null,
                "type": "person",
                "person": { "email": person.email },
            },
        },
        "duplicated_template_id": null,
        "request_id": "00000000-0000-4000-8000-fakefakefake",
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The workspace key of a request's token (an added secret, or a live OAuth access token),
/// once the version header is checked too.
fn authorize(state: &State, headers: &HeaderMap) -> Result<String, NotionError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| state.with(|inner| workspace_key(inner, token)))
        .ok_or_else(NotionError::unauthorized)?;
    if !headers.contains_key("notion-version") {
        return Err(NotionError::new(
            StatusCode::BAD_REQUEST,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, \
             instead was `undefined`.",
        ));
    }
    Ok(token)
}

/// The workspace a bearer token opens, if any.
fn workspace_key(inner: &Inner, token: &str) -> Option<String> {
    if inner.notion.contains_key(token) {
        return Some(token.to_owned());
    }
    let access = oauth::access::check(&inner.oauth, App::Notion, token).ok()?;
    let key = oauth_key(&access.user);
    inner.notion.contains_key(&key).then_some(key)
}

/// Runs `f` on the workspace of `token`, with the id source for new objects.
fn in_workspace<R>(
    state: &State,
    token: &str,
    f: impl FnOnce(&mut Workspace, &mut Ids) -> Result<R, NotionError>,
) -> Result<R, NotionError> {
    state.with(|inner| match inner.notion.get_mut(token) {
        Some(workspace) => f(workspace, &mut inner.ids),
        None => Err(NotionError::unauthorized()),
    })
}

/// The JSON body of a request (`{}` when empty), or Notion's `invalid_json`.
fn json_body(body: &Bytes) -> Result<Value, NotionError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(NotionError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "Error parsing JSON body.",
        )),
    }
}

async fn users_me(AxumState(state): AxumState<State>, headers: HeaderMap) -> Answer {
    let token = authorize(&state, &headers)?;
    in_workspace(&state, &token, |workspace, _| {
        Ok(Json(workspace.bot_json()))
    })
}

async fn retrieve_page(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let token = authorize(&state, &headers)?;
    let id = normalize_id(&id).ok_or_else(|| {
        NotionError::invalid(format!(
            "path failed validation: path.page_id should be a valid uuid, instead was `\"{id}\"`."
        ))
    })?;
    in_workspace(&state, &token, |workspace, _| match workspace.page(&id) {
        Some(page) => Ok(Json(workspace.page_json(page))),
        None => Err(NotionError::page_not_found(&id)),
    })
}

async fn search(AxumState(state): AxumState<State>, headers: HeaderMap, body: Bytes) -> Answer {
    let token = authorize(&state, &headers)?;
    let body = json_body(&body)?;
    let query = body["query"].as_str().unwrap_or("").to_lowercase();
    let want_databases = match &body["filter"] {
        Value::Null => false,
        filter if filter["property"] == "object" && filter["value"] == "page" => false,
        filter if filter["property"] == "object" && filter["value"] == "database" => true,
        _ => {
            return Err(NotionError::invalid(
                "body failed validation: body.filter.value should be `\"page\"` or \
                 `\"database\"`.",
            ));
        }
    };
    let page_size = match &body["page_size"] {
        Value::Null => 100,
        size => size
            .as_u64()
            .filter(|n| (1..=100).contains(n))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                NotionError::invalid(
                    "body failed validation: body.page_size should be an integer between 1 and \
                     100.",
                )
            })?,
    };
    let cursor = body["start_cursor"].as_str().map(str::to_owned);
    in_workspace(&state, &token, |workspace, _| {
        // The fake keeps no databases: a database search finds nothing. Newest first.
        let matching: Vec<&Page> = workspace
            .pages
            .iter()
            .rev()
            .filter(|p| !want_databases && p.title.to_lowercase().contains(&query))
            .collect();
        let start = match &cursor {
            None => 0,
            Some(cursor) => matching
                .iter()
                .position(|p| &p.id == cursor)
                .ok_or_else(|| NotionError::invalid("start_cursor provided is invalid."))?,
        };
        let results: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(page_size)
            .map(|p| workspace.page_json(p))
            .collect();
        let next = matching.get(start + page_size).map(|p| p.id.clone());
        Ok(Json(json!({
            "object": "list",
            "results": results,
            "next_cursor": next,
            "has_more": next.is_some(),
            "type": "page_or_database",
            "page_or_database": {},
        })))
    })
}

async fn create_page(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let token = authorize(&state, &headers)?;
    let body = json_body(&body)?;
    let parent = parent_page(&body)?;
    let title = plain_text(&body["properties"]["title"]["title"]).ok_or_else(|| {
        NotionError::invalid(
            "body failed validation: body.properties.title.title should be an array of rich \
             text.",
        )
    })?;
    let children = match &body["children"] {
        Value::Null => Vec::new(),
        Value::Array(children) => children.clone(),
        _ => {
            return Err(NotionError::invalid(
                "body failed validation: body.children should be an array.",
            ));
        }
    };
    check_children(&children)?;
    in_workspace(&state, &token, |workspace, ids| {
        if workspace.page(&parent).is_none() {
            return Err(NotionError::page_not_found(&parent));
        }
        let page = Page {
            id: ids.next_id(),
            parent: json!({ "type": "page_id", "page_id": parent }),
            title,
            children,
            created_time: clock::now(),
        };
        let answer = workspace.page_json(&page);
        workspace.pages.push(page);
        Ok(Json(answer))
    })
}

/// The normalised `parent.page_id` of a page creation.
fn parent_page(body: &Value) -> Result<String, NotionError> {
    match body["parent"]["page_id"].as_str() {
        Some(id) => normalize_id(id).ok_or_else(|| {
            NotionError::invalid(format!(
                "body failed validation: body.parent.page_id should be a valid uuid, instead was \
                 `\"{id}\"`."
            ))
        }),
        None if body["parent"]["database_id"].is_string() => Err(NotionError::new(
            StatusCode::NOT_FOUND,
            "object_not_found",
            "Could not find database. The fake keeps no databases.",
        )),
        None => Err(NotionError::invalid(
            "body failed validation: body.parent.page_id should be defined, instead was \
             `undefined`.",
        )),
    }
}

/// The concatenated `text.content` of a rich-text array, `None` unless it is one.
fn plain_text(rich_text: &Value) -> Option<String> {
    let parts = rich_text.as_array()?;
    parts
        .iter()
        .map(|part| part["text"]["content"].as_str())
        .collect::<Option<Vec<_>>>()
        .map(|texts| texts.concat())
}

/// Refuses children Notion would refuse: too many, untyped, or text too long.
fn check_children(children: &[Value]) -> Result<(), NotionError> {
    if children.len() > MAX_CHILDREN {
        return Err(NotionError::invalid(format!(
            "body failed validation: body.children.length should be ≤ `{MAX_CHILDREN}`, instead \
             was `{}`.",
            children.len()
        )));
    }
    for (index, block) in children.iter().enumerate() {
        let kind = block["type"].as_str().ok_or_else(|| {
            NotionError::invalid(format!(
                "body failed validation: body.children[{index}].type should be defined."
            ))
        })?;
        let rich_text = block[kind]["rich_text"].as_array().ok_or_else(|| {
            NotionError::invalid(format!(
                "body failed validation: body.children[{index}].{kind}.rich_text should be an \
                 array."
            ))
        })?;
        let too_long = rich_text.iter().any(|part| {
            part["text"]["content"]
                .as_str()
                .is_some_and(|text| text.encode_utf16().count() > MAX_TEXT)
        });
        if too_long {
            return Err(NotionError::invalid(format!(
                "body failed validation: body.children[{index}].{kind}.rich_text[].text.content \
                 .length should be ≤ `{MAX_TEXT}`."
            )));
        }
    }
    Ok(())
}
