//! Atlassian's API gateway (`api.atlassian.com`) under `/atlassian`: the sites a token may use
//! (`GET /oauth/token/accessible-resources`) and Jira Cloud's REST API v3 of the one site,
//! `GET /ex/jira/{cloudId}/rest/api/3/myself`, `POST …/issue`, `GET` and `PUT …/issue/{key}`.
//! Tokens come from the Atlassian OAuth server of [`crate::oauth`] (under `/atlassian-auth`,
//! standing for `auth.atlassian.com`). Scopes are checked as the gateway does: a token without
//! the operation's scope gets a 401 `{"code": 401, "message": "Unauthorized; scope does not
//! match"}` with `X-Failure-Category: FAILURE_CLIENT_SCOPE_CHECK`, an unknown, expired or
//! revoked one a 401 `{"code": 401, "message": "Unauthorized"}`. Jira's own errors are
//! `{"errorMessages": […], "errors": {field: message}}`.

mod model;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

pub use model::{CLOUD_ID, Issue, JiraData, SITE_NAME, SITE_URL, account_id};
use model::{ISSUE_TYPES, projects};

use crate::oauth::{self, App};
use crate::people::Person;
use crate::state::{Inner, State};

/// Jira's classic scopes, as accessible-resources lists what a site grants.
const JIRA_SCOPES: &[&str] = &[
    "read:jira-work",
    "write:jira-work",
    "read:jira-user",
    "manage:jira-project",
    "manage:jira-configuration",
];
const READ_WORK: &str = "read:jira-work";
const WRITE_WORK: &str = "write:jira-work";
const READ_USER: &str = "read:jira-user";
/// Who reported the seeded issues.
const SITE_ADMIN: &str = "Site Admin";
/// Longest summary Jira takes.
const MAX_SUMMARY: usize = 255;

/// The routes, relative to `/atlassian`.
pub fn router() -> Router<State> {
    Router::new()
        .route(
            "/oauth/token/accessible-resources",
            get(accessible_resources),
        )
        .route("/ex/jira/{cloud_id}/rest/api/3/myself", get(myself))
        .route(
            "/ex/jira/{cloud_id}/rest/api/3/issue",
            axum::routing::post(create_issue),
        )
        .route(
            "/ex/jira/{cloud_id}/rest/api/3/issue/{key}",
            get(get_issue).put(update_issue),
        )
        .fallback(|| async { gateway_error(StatusCode::NOT_FOUND, "Not Found").into_response() })
}

/// An error answer: the gateway's `{"code", "message"}` or Jira's `{"errorMessages",
/// "errors"}`, with an optional header.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    body: Value,
    header: Option<(&'static str, &'static str)>,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some((name, value)) = self.header {
            response
                .headers_mut()
                .insert(name, axum::http::HeaderValue::from_static(value));
        }
        response
    }
}

/// The gateway's own error shape.
fn gateway_error(status: StatusCode, message: &str) -> Failure {
    Failure {
        status,
        body: json!({ "code": status.as_u16(), "message": message }),
        header: None,
    }
}

/// Jira's error shape.
fn jira_error(status: StatusCode, messages: &[&str], errors: &[(&str, &str)]) -> Failure {
    let errors: Map<String, Value> = errors
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    Failure {
        status,
        body: json!({ "errorMessages": messages, "errors": errors }),
        header: None,
    }
}

/// A token's caller and scopes.
struct Caller {
    person: Person,
    scopes: Vec<String>,
}

/// Checks the token (and, for Jira routes, the cloud id and the operation's scope).
fn admit(
    inner: &mut Inner,
    headers: &HeaderMap,
    cloud_id: Option<&str>,
    scope: Option<&str>,
) -> Result<Caller, Failure> {
    let unauthorized = || gateway_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    let token = oauth::access::bearer(headers).ok_or_else(unauthorized)?;
    let access =
        oauth::access::check(&inner.oauth, App::Atlassian, token).map_err(|_| unauthorized())?;
    if cloud_id.is_some_and(|id| id != CLOUD_ID) {
        return Err(gateway_error(StatusCode::NOT_FOUND, "Cloud id not found"));
    }
    if let Some(scope) = scope
        && !access.scopes.iter().any(|s| s == scope)
    {
        let mut failure = gateway_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized; scope does not match",
        );
        failure.header = Some(("x-failure-category", "FAILURE_CLIENT_SCOPE_CHECK"));
        return Err(failure);
    }
    let person = inner.people.get(&access.user);
    seed(inner);
    Ok(Caller {
        person,
        scopes: access.scopes,
    })
}

/// Seeds the site's issues (reported by its admin) on first use.
fn seed(inner: &mut Inner) {
    let admin = inner.people.get(SITE_ADMIN);
    inner.jira.seed(&admin);
}

/// Every issue of the site, as `GET /issue/{key}` shows it, oldest first.
pub fn issues(inner: &mut Inner) -> Vec<Value> {
    seed(inner);
    inner.jira.issues.iter().map(|i| i.json(None)).collect()
}

async fn accessible_resources(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    state.with(|inner| {
        let caller = match admit(inner, &headers, None, None) {
            Ok(caller) => caller,
            Err(failure) => return failure.into_response(),
        };
        let scopes: Vec<&String> = caller
            .scopes
            .iter()
            .filter(|s| JIRA_SCOPES.contains(&s.as_str()))
            .collect();
        if scopes.is_empty() {
            return Json(json!([])).into_response();
        }
        Json(json!([{
            "id": CLOUD_ID,
            "url": SITE_URL,
            "name": SITE_NAME,
            "scopes": scopes,
            "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
        }]))
        .into_response()
    })
}

async fn myself(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(cloud_id): Path<String>,
) -> Response {
    state.with(
        |inner| match admit(inner, &headers, Some(&cloud_id), Some(READ_USER)) {
            Ok(caller) => Json(model::user_json(&caller.person)).into_response(),
            Err(failure) => failure.into_response(),
        },
    )
}

async fn get_issue(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((cloud_id, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let fields: Option<Vec<String>> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "fields")
            .map(|(_, v)| v.split(',').map(|f| f.trim().to_owned()).collect())
            .filter(|f: &Vec<String>| !f.iter().any(|x| x == "*all" || x == "*navigable"));
    state
        .with(|inner| {
            admit(inner, &headers, Some(&cloud_id), Some(READ_WORK))?;
            match inner.jira.find_mut(&key) {
                Some(issue) => Ok(Json(issue.json(fields.as_deref()))),
                None => Err(not_found()),
            }
        })
        .into_response()
}

fn not_found() -> Failure {
    jira_error(
        StatusCode::NOT_FOUND,
        &["Issue does not exist or you do not have permission to see it."],
        &[],
    )
}

/// The `fields` object of a create or edit body.
fn fields_of(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    let parsed: Value = serde_json::from_slice(body).map_err(|e| {
        jira_error(
            StatusCode::BAD_REQUEST,
            &[&format!("Unexpected character in the request body: {e}")],
            &[],
        )
    })?;
    match parsed.get("fields") {
        Some(Value::Object(fields)) => Ok(fields.clone()),
        None if parsed.is_object() => Ok(Map::new()),
        _ => Err(jira_error(
            StatusCode::BAD_REQUEST,
            &["Can not deserialize the request body: `fields` must be an object."],
            &[],
        )),
    }
}

/// A checked summary.
fn summary_of(value: Option<&Value>) -> Result<String, Failure> {
    match value {
        Some(Value::String(s)) if s.trim().is_empty() => Err(jira_error(
            StatusCode::BAD_REQUEST,
            &[],
            &[("summary", "You must specify a summary of the issue.")],
        )),
        Some(Value::String(s)) if s.chars().count() > MAX_SUMMARY => Err(jira_error(
            StatusCode::BAD_REQUEST,
            &[],
            &[("summary", "Summary must be less than 255 characters.")],
        )),
        Some(Value::String(s)) if s.contains('\n') => Err(jira_error(
            StatusCode::BAD_REQUEST,
            &[],
            &[(
                "summary",
                "The summary is invalid because it contains newline characters.",
            )],
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(jira_error(
            StatusCode::BAD_REQUEST,
            &[],
            &[("summary", "You must specify a summary of the issue.")],
        )),
    }
}

/// A checked description: ADF or `null`.
fn description_of(value: Option<&Value>) -> Result<Value, Failure> {
    match value {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(doc) if model::is_adf(doc) => Ok(doc.clone()),
        Some(_) => Err(jira_error(
            StatusCode::BAD_REQUEST,
            &[],
            &[(
                "description",
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
            )],
        )),
    }
}

/// Checked labels: strings without spaces.
fn labels_of(value: Option<&Value>) -> Result<Vec<String>, Failure> {
    let bad = || {
        jira_error(
            StatusCode::BAD_REQUEST,
            &[],
            &[("labels", "Labels are strings without spaces.")],
        )
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|l| match l.as_str() {
                Some(s) if !s.is_empty() && !s.contains(' ') => Ok(s.to_owned()),
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

async fn create_issue(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(cloud_id): Path<String>,
    body: Bytes,
) -> Response {
    state
        .with(|inner| {
            let caller = admit(inner, &headers, Some(&cloud_id), Some(WRITE_WORK))?;
            let fields = fields_of(&body)?;
            let project_key = fields
                .get("project")
                .and_then(|p| p.get("key").or_else(|| p.get("id")))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    jira_error(
                        StatusCode::BAD_REQUEST,
                        &[],
                        &[("project", "Specify a valid project ID or key")],
                    )
                })?;
            let project = projects()
                .into_iter()
                .find(|p| p.key == project_key || p.id.to_string() == project_key)
                .ok_or_else(|| {
                    jira_error(
                        StatusCode::BAD_REQUEST,
                        &[],
                        &[("project", "valid project is required")],
                    )
                })?;
            let type_name = fields
                .get("issuetype")
                .and_then(|t| t.get("name").or_else(|| t.get("id")))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    jira_error(
                        StatusCode::BAD_REQUEST,
                        &[],
                        &[("issuetype", "Specify an issue type")],
                    )
                })?;
            let issue_type = ISSUE_TYPES
                .iter()
                .copied()
                .find(|(id, name)| *id == type_name || name.eq_ignore_ascii_case(type_name))
                .ok_or_else(|| {
                    jira_error(
                        StatusCode::BAD_REQUEST,
                        &[],
                        &[("issuetype", "The issue type selected is invalid.")],
                    )
                })?;
            let summary = summary_of(fields.get("summary"))?;
            let description = description_of(fields.get("description"))?;
            let labels = labels_of(fields.get("labels"))?;
            if let Some(unknown) = fields.keys().find(|k| {
                !["project", "issuetype", "summary", "description", "labels"].contains(&k.as_str())
            }) {
                return Err(unknown_field(unknown));
            }
            let issue = inner.jira.create(
                project,
                summary,
                description,
                issue_type,
                labels,
                &caller.person,
            );
            let body =
                json!({ "id": issue.id.to_string(), "key": issue.key, "self": issue.self_url() });
            Ok((StatusCode::CREATED, Json(body)))
        })
        .into_response()
}

/// A field Jira cannot set here.
fn unknown_field(name: &str) -> Failure {
    jira_error(
        StatusCode::BAD_REQUEST,
        &[],
        &[(
            name,
            &format!(
                "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            ),
        )],
    )
}

async fn update_issue(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((cloud_id, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    state
        .with(|inner| {
            admit(inner, &headers, Some(&cloud_id), Some(WRITE_WORK))?;
            let fields = fields_of(&body)?;
            if inner.jira.find_mut(&key).is_none() {
                return Err(not_found());
            }
            let mut summary = None;
            let mut description = None;
            let mut labels = None;
            for (name, value) in &fields {
                match name.as_str() {
                    "summary" => summary = Some(summary_of(Some(value))?),
                    "description" => description = Some(description_of(Some(value))?),
                    "labels" => labels = Some(labels_of(Some(value))?),
                    other => return Err(unknown_field(other)),
                }
            }
            let issue = inner.jira.find_mut(&key).ok_or_else(not_found)?;
            if let Some(s) = summary {
                issue.summary = s;
            }
            if let Some(d) = description {
                issue.description = d;
            }
            if let Some(l) = labels {
                issue.labels = l;
            }
            issue.updated = model::now();
            Ok(StatusCode::NO_CONTENT)
        })
        .into_response()
}
