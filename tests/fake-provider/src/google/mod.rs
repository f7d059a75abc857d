//! The Google Drive API v3 under `/google` (www.googleapis.com): `files.list` (a subset of
//! `q`, `pageSize`, `pageToken`, `fields`), `files.get` and `about.get`. Tokens come from the
//! Google OAuth server of [`crate::oauth`] (user grants or service accounts); a token needs one
//! of the Drive read scopes, else 403 with an `insufficient_scope` challenge.

mod error;
mod model;
mod query;

use axum::Router;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Value, json};

use error::GoogleError;
pub use model::DriveData;
use model::{DriveFile, Fields, root_id};
use query::Term;

use crate::oauth::{self, App};
use crate::people::Person;
use crate::state::{Inner, State};

/// Scopes that may read file metadata, most powerful first.
const READ_SCOPES: [&str; 5] = [
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
    "https://www.googleapis.com/auth/drive.metadata",
    "https://www.googleapis.com/auth/drive.file",
];
/// Only files the app created: the seeded files stay invisible with it alone.
const APP_FILES_ONLY: &str = "https://www.googleapis.com/auth/drive.file";
const MAX_PAGE_SIZE: usize = 1000;
const DEFAULT_PAGE_SIZE: usize = 100;

/// The routes, relative to `/google`.
pub fn router() -> Router<State> {
    Router::new()
        .route("/drive/v3/files", get(list_files))
        .route("/drive/v3/files/{id}", get(get_file))
        .route("/drive/v3/about", get(about))
        .fallback(|| async { GoogleError::no_such_method() })
}

/// The caller of a Drive request.
struct Caller {
    person: Person,
    /// Sees the seeded files (any read scope beyond `drive.file`).
    sees_files: bool,
}

/// Checks the token and its scopes, and seeds the caller's files.
fn admit(inner: &mut Inner, headers: &HeaderMap) -> Result<Caller, GoogleError> {
    let token = oauth::access::bearer(headers).ok_or_else(GoogleError::missing_credentials)?;
    let access = oauth::access::check(&inner.oauth, App::Google, token)
        .map_err(|_| GoogleError::invalid_credentials())?;
    let granted = |scope: &str| access.scopes.iter().any(|s| s == scope);
    if !READ_SCOPES.iter().any(|s| granted(s)) {
        return Err(GoogleError::insufficient_scope(READ_SCOPES.to_vec()));
    }
    let person = inner.people.get(&access.user);
    inner.google.seed(&person);
    Ok(Caller {
        sees_files: READ_SCOPES
            .iter()
            .any(|s| *s != APP_FILES_ONLY && granted(s)),
        person,
    })
}

/// Query parameters.
fn params(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The caller's files, in name order.
fn visible<'a>(inner: &'a Inner, caller: &Caller) -> Vec<&'a DriveFile> {
    let mut files: Vec<&DriveFile> = inner
        .google
        .files
        .iter()
        .filter(|f| caller.sees_files && f.owner.id == caller.person.id)
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

async fn list_files(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query.as_deref());
    state
        .with(|inner| {
            let caller = admit(inner, &headers)?;
            let terms = match param(&params, "q") {
                None => Vec::new(),
                Some(q) => query::parse(q)
                    .ok_or_else(|| GoogleError::invalid_parameter("Invalid Value", "q"))?,
            };
            let root = root_id(&caller.person);
            let terms: Vec<Term> = terms
                .into_iter()
                .map(|t| match t {
                    Term::InParent(id) if id == "root" => Term::InParent(root.clone()),
                    other => other,
                })
                .collect();
            let page_size = match param(&params, "pageSize") {
                None => DEFAULT_PAGE_SIZE,
                Some(text) => text
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| {
                        GoogleError::invalid_parameter(
                            format!(
                                "Invalid value '{text}'. Values must be within the range: [1, \
                             {MAX_PAGE_SIZE}]"
                            ),
                            "pageSize",
                        )
                    })?,
            };
            let start = match param(&params, "pageToken") {
                None => 0,
                Some(token) => token
                    .strip_prefix("fake-page-")
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| GoogleError::invalid_parameter("Invalid Value", "pageToken"))?,
            };
            let fields = Fields::for_list(param(&params, "fields"));
            let matching: Vec<&DriveFile> = visible(inner, &caller)
                .into_iter()
                .filter(|f| query::matches(&terms, f))
                .collect();
            let files: Vec<Value> = matching
                .iter()
                .skip(start)
                .take(page_size)
                .map(|f| f.json(&fields))
                .collect();
            let mut body = json!({
                "kind": "drive#fileList",
                "incompleteSearch": false,
                "files": files,
            });
            let next = start.saturating_add(page_size);
            if next < matching.len() {
                body["nextPageToken"] = format!("fake-page-{next}").into();
            }
            Ok::<_, GoogleError>(Json(body))
        })
        .into_response()
}

async fn get_file(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query.as_deref());
    state
        .with(|inner| {
            let caller = admit(inner, &headers)?;
            let fields = Fields::for_file(param(&params, "fields"));
            visible(inner, &caller)
                .into_iter()
                .find(|f| f.id == id)
                .map(|f| Json(f.json(&fields)))
                .ok_or_else(|| GoogleError::file_not_found(&id))
        })
        .into_response()
}

async fn about(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query.as_deref());
    state
        .with(|inner| {
            let caller = admit(inner, &headers)?;
            let Some(fields) = param(&params, "fields") else {
                return Err(GoogleError::required_parameter(
                    "The 'fields' parameter is required for this method.",
                    "fields",
                ));
            };
            let everything = fields.split(',').any(|f| f.trim() == "*");
            let mut body = json!({});
            if everything {
                body["kind"] = "drive#about".into();
            }
            if everything || fields.contains("user") {
                body["user"] = model::user_json(&caller.person);
            }
            if everything || fields.contains("storageQuota") {
                body["storageQuota"] = json!({
                    "limit": "16106127360", "usage": "231417", "usageInDrive": "231417",
                    "usageInDriveTrash": "0",
                });
            }
            if body.as_object().is_some_and(|o| o.is_empty()) {
                return Err(GoogleError::invalid_parameter(
                    format!("Invalid field selection {fields}"),
                    "fields",
                ));
            }
            Ok(Json(body))
        })
        .into_response()
}
