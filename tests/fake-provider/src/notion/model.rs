//! Notion's data as the fake keeps it (one workspace per integration token) and the JSON
//! shapes of its objects and errors, as in the 2022-06-28 API.

use std::collections::HashMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// Workspaces by integration token.
pub type Workspaces = HashMap<String, Workspace>;

/// What one integration token sees.
pub struct Workspace {
    /// The integration's bot user id.
    pub bot_id: String,
    /// The workspace's id (OAuth token responses carry it).
    pub workspace_id: String,
    /// The name shown for the bot user.
    pub user_name: String,
    /// Pages shared with the integration, oldest first.
    pub pages: Vec<Page>,
}

/// A page and its content.
pub struct Page {
    pub id: String,
    /// `{"type": "page_id", "page_id": …}` or `{"type": "workspace", "workspace": true}`.
    pub parent: Value,
    pub title: String,
    pub children: Vec<Value>,
    pub created_time: String,
}

/// The ids handed back when a token is added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NotionSeed {
    pub bot_id: String,
    /// A page shared with the integration from the start, to create pages under.
    pub root_page_id: String,
}

impl Workspace {
    /// The seed ids of this workspace.
    pub fn seed(&self) -> NotionSeed {
        NotionSeed {
            bot_id: self.bot_id.clone(),
            root_page_id: self.pages.first().map(|p| p.id.clone()).unwrap_or_default(),
        }
    }

    /// The page with this (normalised) id.
    pub fn page(&self, id: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.id == id)
    }

    /// The workspace's display name.
    pub fn workspace_name(&self) -> String {
        format!("{}'s Workspace", self.user_name)
    }

    /// The bot user, as `GET /v1/users/me` returns it.
    pub fn bot_json(&self) -> Value {
        json!({
            "object": "user",
            "id": self.bot_id,
            "name": self.user_name,
            "avatar_url": null,
            "type": "bot",
            "bot": {
                "owner": { "type": "workspace", "workspace": true },
                "workspace_name": self.workspace_name(),
            },
        })
    }

    /// A page object, as `GET /v1/pages/{id}` and search return it.
    pub fn page_json(&self, page: &Page) -> Value {
        let user = json!({ "object": "user", "id": self.bot_id });
        json!({
            "object": "page",
            "id": page.id,
            "created_time": page.created_time,
            "last_edited_time": page.created_time,
            "created_by": user,
            "last_edited_by": user,
            "cover": null,
            "icon": null,
            "parent": page.parent,
            "archived": false,
            "in_trash": false,
            "properties": {
                "title": {
                    "id": "title",
                    "type": "title",
                    "title": [{
                        "type": "text",
                        "text": { "content": page.title, "link": null },
                        "plain_text": page.title,
                        "href": null,
                    }],
                },
            },
            "url": format!("https://www.notion.so/{}", page.id.replace('-', "")),
            "public_url": null,
        })
    }
}

/// A page id in dashed lower-case form, from either accepted form; `None` if malformed.
pub fn normalize_id(text: &str) -> Option<String> {
    let hex: String = match text.len() {
        32 => text.to_owned(),
        36 if [8, 13, 18, 23].iter().all(|&i| text.as_bytes()[i] == b'-') => text.replace('-', ""),
        _ => return None,
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// A Notion error answer: status and the error object's `code` and `message`.
#[derive(Debug)]
pub struct NotionError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl NotionError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        NotionError {
            status,
            code,
            message: message.into(),
        }
    }

    /// A 400 `validation_error`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", message)
    }

    /// A 401 for a missing or unknown token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "API token is invalid.",
        )
    }

    /// A 404 for a page the integration cannot see.
    pub fn page_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "object_not_found",
            format!(
                "Could not find page with ID: {id}. Make sure the relevant pages and databases \
                 are shared with your integration."
            ),
        )
    }
}

impl IntoResponse for NotionError {
    fn into_response(self) -> Response {
        let body = json!({
            "object": "error",
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
            "request_id": "00000000-0000-4000-8000-fakefakefake",
        });
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_id;

    #[test]
    fn ids_in_both_forms() {
        let id = "00000000-0000-4000-8000-000000000001";
        assert_eq!(normalize_id(id).as_deref(), Some(id));
        assert_eq!(normalize_id(&id.replace('-', "")).as_deref(), Some(id));
        assert_eq!(normalize_id("../users/me"), None);
        assert_eq!(normalize_id("0000000g-0000-4000-8000-000000000001"), None);
    }
}
