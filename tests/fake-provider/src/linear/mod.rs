//! The Linear GraphQL API under `/linear/graphql`. Requests need `Authorization: <API key>`
//! (the raw key, no `Bearer`). No GraphQL engine: the operation is chosen by the root fields
//! named in the query text (`viewer`, `teams`, `issues`, `issueCreate`), inputs come from
//! `variables`, and whole objects are returned (clients ignore fields they did not ask for).

mod model;

use std::collections::HashSet;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub use model::{Account, Accounts, LinearSeed};
use model::{Issue, Team, graphql_error};

use crate::clock;
use crate::state::{Inner, State};

/// Largest `first` Linear accepts.
const MAX_FIRST: u64 = 250;

/// The routes, relative to `/linear`.
pub fn router() -> Router<State> {
    Router::new().route("/graphql", post(graphql))
}

/// Adds an account for `key` with one team, `ENG` (idempotent).
pub fn add_key(inner: &mut Inner, key: &str, user_name: &str) -> LinearSeed {
    if let Some(existing) = inner.linear.get(key) {
        return existing.seed();
    }
    let account = Account {
        user_id: inner.new_id(),
        user_name: user_name.to_owned(),
        teams: vec![Team {
            id: inner.new_id(),
            key: "ENG".into(),
            name: "Engineering".into(),
            issue_count: 0,
        }],
        issues: Vec::new(),
    };
    let seed = account.seed();
    inner.linear.insert(key.to_owned(), account);
    seed
}

/// An answer: HTTP status and GraphQL body.
type Answer = (StatusCode, Value);

async fn graphql(AxumState(state): AxumState<State>, headers: HeaderMap, body: Bytes) -> Response {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, answer) = state.with(|inner| match inner.linear.contains_key(&key) {
        false => unauthenticated(),
        true => match serde_json::from_slice::<Value>(&body) {
            Ok(request) if request["query"].is_string() => execute(inner, &key, &request),
            _ => bad_request("Must provide query string."),
        },
    });
    (status, Json(answer)).into_response()
}

/// Linear's answer to a missing or unknown key.
fn unauthenticated() -> Answer {
    let error = graphql_error(
        "Authentication required, not authenticated",
        "authentication error",
        "AUTHENTICATION_ERROR",
        "You need to authenticate to access this operation.",
    );
    (StatusCode::UNAUTHORIZED, json!({ "errors": [error] }))
}

/// A query the fake (or GraphQL) cannot run.
fn bad_request(message: &str) -> Answer {
    let error = json!({
        "message": message,
        "extensions": { "code": "GRAPHQL_VALIDATION_FAILED", "type": "graphql error" },
    });
    (StatusCode::BAD_REQUEST, json!({ "errors": [error] }))
}

/// Runs the operation the query text names, for the account of `key`.
fn execute(inner: &mut Inner, key: &str, request: &Value) -> Answer {
    let query = request["query"].as_str().unwrap_or_default();
    let variables = &request["variables"];
    let fields = identifiers(query);
    if query.trim_start().starts_with("mutation") {
        return match fields.contains("issueCreate") {
            true => issue_create(inner, key, &variables["input"]),
            false => bad_request("The fake Linear supports only the issueCreate mutation."),
        };
    }
    let Some(account) = inner.linear.get(key) else {
        return unauthenticated();
    };
    let mut data = serde_json::Map::new();
    if fields.contains("viewer") {
        data.insert("viewer".into(), account.viewer_json());
    }
    if fields.contains("teams") {
        data.insert("teams".into(), account.teams_json());
    }
    if fields.contains("issues") {
        match issues(account, variables) {
            Ok(issues) => data.insert("issues".into(), issues),
            Err(answer) => return answer,
        };
    }
    if data.is_empty() {
        return bad_request(
            "Cannot query this field: the fake Linear knows viewer, teams, issues and issueCreate.",
        );
    }
    (StatusCode::OK, json!({ "data": data }))
}

/// `issues(first, filter: { team: { key: { eq } } })`, newest first.
fn issues(account: &Account, variables: &Value) -> Result<Value, Answer> {
    let first = match &variables["first"] {
        Value::Null => 50,
        n => n
            .as_u64()
            .filter(|n| (1..=MAX_FIRST).contains(n))
            .ok_or_else(|| bad_request("Argument \"first\" must be between 1 and 250."))?,
    };
    let team_key = variables["filter"]["team"]["key"]["eq"].as_str();
    let team_id = team_key.map(|key| {
        account
            .teams
            .iter()
            .find(|t| t.key.eq_ignore_ascii_case(key))
            .map(|t| t.id.clone())
    });
    let nodes: Vec<Value> = account
        .issues
        .iter()
        .rev()
        .filter(|issue| match &team_id {
            None => true,
            Some(id) => id.as_deref() == Some(issue.team_id.as_str()),
        })
        .take(usize::try_from(first).unwrap_or(50))
        .map(|issue| account.issue_json(issue))
        .collect();
    Ok(json!({ "nodes": nodes, "pageInfo": { "hasNextPage": false, "endCursor": null } }))
}

/// `issueCreate(input: { teamId, title, description })`.
fn issue_create(inner: &mut Inner, key: &str, input: &Value) -> Answer {
    if !input.is_object() {
        return bad_request(
            "Variable \"$input\" of required type \"IssueCreateInput!\" was not provided.",
        );
    }
    let title = input["title"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let team_id = input["teamId"].as_str().unwrap_or_default().to_owned();
    let id = inner.new_id();
    let Some(account) = inner.linear.get_mut(key) else {
        return unauthenticated();
    };
    let Some(team) = account.teams.iter_mut().find(|t| t.id == team_id) else {
        return input_error("Entity not found: Team", "Could not find referenced Team.");
    };
    if title.is_empty() {
        return input_error("Argument Validation Error", "Title must not be empty.");
    }
    team.issue_count += 1;
    let issue = Issue {
        id,
        identifier: format!("{}-{}", team.key, team.issue_count),
        title,
        description: input["description"].as_str().map(str::to_owned),
        team_id,
        created_at: clock::now(),
    };
    let json = account.issue_json(&issue);
    account.issues.push(issue);
    let data = json!({ "issueCreate": { "success": true, "lastSyncId": 1, "issue": json } });
    (StatusCode::OK, json!({ "data": data }))
}

/// Linear's answer to input it refuses: HTTP 200 with an `errors` array.
fn input_error(message: &str, user_message: &str) -> Answer {
    let error = graphql_error(message, "invalid input", "INPUT_ERROR", user_message);
    let mut error = error;
    error["path"] = json!(["issueCreate"]);
    (StatusCode::OK, json!({ "data": null, "errors": [error] }))
}

/// The names in a GraphQL document (field names, keywords, variables without `$`).
fn identifiers(query: &str) -> HashSet<&str> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::identifiers;

    #[test]
    fn identifiers_split_on_punctuation() {
        let words = identifiers("query($first: Int!) { issues(first: $first) { nodes { id } } }");
        assert!(words.contains("issues"));
        assert!(words.contains("first"));
        assert!(!words.contains("viewer"));
    }
}
