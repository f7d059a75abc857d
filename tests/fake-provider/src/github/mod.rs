//! The GitHub REST API (2022-11-28) under `/github` (api.github.com): the authenticated user,
//! their repositories, and a repository's issues (list and create). Tokens come from the
//! GitHub OAuth server of [`crate::oauth`]; scopes are checked as GitHub does: a private
//! repository without `repo` is a 404, creating an issue in a public one without `repo` or
//! `public_repo` a 403; answers carry `X-OAuth-Scopes` and `X-Accepted-OAuth-Scopes`.

mod gate;
mod model;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use gate::{Answer, Caller};
pub use model::GithubData;
use model::{API, Issue, Repo};

use crate::clock;
use crate::state::{Inner, State};

/// GitHub's default and largest `per_page`.
const DEFAULT_PER_PAGE: usize = 30;
const MAX_PER_PAGE: usize = 100;

const DOCS_ISSUES: &str = "https://docs.github.com/rest/issues/issues#list-repository-issues";
const DOCS_CREATE: &str = "https://docs.github.com/rest/issues/issues#create-an-issue";

/// The routes, relative to `/github`.
pub fn router() -> Router<State> {
    Router::new()
        .route("/user", get(user))
        .route("/user/repos", get(user_repos))
        .route(
            "/repos/{owner}/{repo}/issues",
            get(list_issues).post(create_issue),
        )
        .fallback(|| async {
            Answer::error(
                StatusCode::NOT_FOUND,
                "Not Found",
                "https://docs.github.com/rest",
            )
        })
}

/// Runs `f` for an admitted caller.
fn with_caller(
    state: &State,
    headers: &HeaderMap,
    f: impl FnOnce(&mut Inner, &Caller) -> Answer,
) -> Response {
    state
        .with(|inner| match gate::admit(inner, headers) {
            Ok(caller) => f(inner, &caller),
            Err(answer) => answer,
        })
        .into_response()
}

async fn user(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    with_caller(&state, &headers, |inner, caller| {
        let own = inner
            .github
            .repos
            .iter()
            .filter(|r| r.owner.id == caller.person.id);
        let (private, public): (Vec<&Repo>, Vec<&Repo>) = own.partition(|r| r.private);
        let body = model::private_user(&caller.person, public.len(), private.len());
        Answer::ok(caller, "", body)
    })
}

async fn user_repos(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = Query::parse(query.as_deref());
    with_caller(&state, &headers, |inner, caller| {
        let see_private = caller.has_any(&["repo"]);
        let visibility = query.get("visibility").unwrap_or("all");
        let mut repos: Vec<&Repo> = inner
            .github
            .repos
            .iter()
            .filter(|r| r.owner.id == caller.person.id)
            .filter(|r| !r.private || see_private)
            .filter(|r| match visibility {
                "public" => !r.private,
                "private" => r.private,
                _ => true,
            })
            .collect();
        repos.sort_by_key(|r| r.full_name().to_lowercase());
        let items: Vec<Value> = repos.iter().map(|r| r.json(&caller.person)).collect();
        paginate(caller, "", &format!("{API}/user/repos"), &query, items)
    })
}

async fn list_issues(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = Query::parse(query.as_deref());
    with_caller(&state, &headers, |inner, caller| {
        let Some(repo) = visible_repo(inner, caller, &owner, &name) else {
            return Answer::error(StatusCode::NOT_FOUND, "Not Found", DOCS_ISSUES)
                .for_caller(caller, "repo");
        };
        let wanted = query.get("state").unwrap_or("open");
        let items: Vec<Value> = repo
            .issues
            .iter()
            .rev()
            .filter(|i| match wanted {
                "closed" => !i.open,
                "all" => true,
                _ => i.open,
            })
            .map(|i| repo.issue_json(i))
            .collect();
        let url = format!("{API}/repos/{}/issues", repo.full_name());
        paginate(caller, "repo", &url, &query, items)
    })
}

async fn create_issue(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    with_caller(&state, &headers, |inner, caller| {
        const ACCEPTED: &str = "public_repo, repo";
        let Some(repo) = visible_repo(inner, caller, &owner, &name) else {
            return Answer::error(StatusCode::NOT_FOUND, "Not Found", DOCS_CREATE)
                .for_caller(caller, ACCEPTED);
        };
        if !repo.private && !caller.has_any(&["repo", "public_repo"]) {
            return Answer::error(
                StatusCode::FORBIDDEN,
                "Resource not accessible by integration",
                DOCS_CREATE,
            )
            .for_caller(caller, ACCEPTED);
        }
        let input = match new_issue(&body) {
            Ok(input) => input,
            Err(answer) => return answer.for_caller(caller, ACCEPTED),
        };
        let id = inner.github.new_id();
        let Some(repo) = inner.github.repo_mut(&owner, &name) else {
            return Answer::error(StatusCode::NOT_FOUND, "Not Found", DOCS_CREATE);
        };
        let issue = Issue {
            id,
            number: repo.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1,
            title: input.title,
            body: input.body,
            open: true,
            author: caller.person.clone(),
            labels: input.labels,
            created_at: model::seconds(&clock::now()),
        };
        let json = repo.issue_json(&issue);
        let location = format!("{API}/repos/{}/issues/{}", repo.full_name(), issue.number);
        repo.issues.push(issue);
        let mut answer = Answer::ok(caller, ACCEPTED, json).header(header::LOCATION, location);
        answer.status = StatusCode::CREATED;
        answer
    })
}

/// The repository if the caller may see it: public, or private with `repo` for its owner.
fn visible_repo<'a>(
    inner: &'a mut Inner,
    caller: &Caller,
    owner: &str,
    name: &str,
) -> Option<&'a Repo> {
    let repo = inner.github.repo_mut(owner, name)?;
    let allowed = !repo.private || (repo.owner.id == caller.person.id && caller.has_any(&["repo"]));
    allowed.then_some(&*repo)
}

/// A validated issue-creation body.
struct NewIssue {
    title: String,
    body: Option<String>,
    labels: Vec<String>,
}

/// Parses `{"title", "body"?, "labels"?}` with GitHub's 400 and 422 answers.
fn new_issue(body: &[u8]) -> Result<NewIssue, Answer> {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(body) else {
        return Err(Answer::error(
            StatusCode::BAD_REQUEST,
            "Problems parsing JSON",
            DOCS_CREATE,
        ));
    };
    let invalid = |why: &str| {
        Answer::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Invalid request.\n\n{why}"),
            DOCS_CREATE,
        )
    };
    let title = match input.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err(invalid("\"title\" wasn't supplied.")),
        Some(_) => {
            return Err(invalid(
                "For 'properties/title', the value is not a string.",
            ));
        }
    };
    let body = match input.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(b)) => Some(b.clone()),
        Some(_) => return Err(invalid("For 'properties/body', the value is not a string.")),
    };
    let labels = match input.get("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|l| l.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("For 'items', the value is not a string."))?,
        Some(_) => {
            return Err(invalid(
                "For 'properties/labels', the value is not an array.",
            ));
        }
    };
    Ok(NewIssue {
        title,
        body,
        labels,
    })
}

/// Query parameters.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A positive integer parameter; anything else gives `default` (GitHub ignores junk).
    fn number(&self, name: &str, default: usize) -> usize {
        self.get(name)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default)
    }
}

/// One page of `items` (`per_page`, `page`), with a `Link` header to the others.
fn paginate(
    caller: &Caller,
    accepted: &'static str,
    url: &str,
    query: &Query,
    items: Vec<Value>,
) -> Answer {
    let per_page = query.number("per_page", DEFAULT_PER_PAGE).min(MAX_PER_PAGE);
    let page = query.number("page", 1);
    let last = items.len().div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page);
    let body: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();
    let mut answer = Answer::ok(caller, accepted, Value::Array(body));
    let link = |n: usize, rel: &str| format!("<{url}?per_page={per_page}&page={n}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    if !links.is_empty() {
        answer = answer.header(header::LINK, links.join(", "));
    }
    answer
}
