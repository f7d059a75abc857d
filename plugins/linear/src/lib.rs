//! Linear connector: issues over Linear's GraphQL API, with a personal API key.

use latchkey_sdk::prelude::*;
use serde_json::{Value, json};

const API: &str = "https://api.linear.app/graphql";
const VIEWER: &str = "query { viewer { id name email } teams { nodes { id key name } } }";
const ISSUES: &str = "query($first: Int!, $filter: IssueFilter) { issues(first: $first, filter: $filter) { nodes { id identifier title url state { name } team { id key } assignee { name } } } }";
const CREATE: &str = "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { issue { id identifier title url } } }";
const GET_VIEWER: &str = "Who the API key belongs to, and the teams (id, key, name) it can see.";
const LIST_ISSUES: &str = "Recent issues, newest first, optionally of one team.";
const NEW_ISSUE: &str = "Create an issue in a team; returns its identifier and URL.";

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ListIssues {
    /// Only issues of the team with this key, e.g. `ENG`.
    team_key: Option<String>,
    /// How many issues, 1 to 100 (default 25).
    first: Option<u32>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CreateIssue {
    /// Id of the team (see get_viewer).
    team_id: String,
    title: String,
    /// Markdown body.
    description: Option<String>,
}

fn list_issues(_: &Context, input: ListIssues) -> Result<Value, CallError> {
    let vars = json!({ "first": input.first.unwrap_or(25).clamp(1, 100),
        "filter": input.team_key.map(|key| json!({ "team": { "key": { "eq": key } } })) });
    Ok(graphql::query::<Value>(API, ISSUES, &vars)?["issues"]["nodes"].take())
}

fn create_issue(_: &Context, input: CreateIssue) -> Result<Value, CallError> {
    let vars = json!({ "input": { "teamId": input.team_id, "title": input.title,
        "description": input.description } });
    Ok(graphql::query::<Value>(API, CREATE, &vars)?["issueCreate"]["issue"].take())
}

struct Linear;

impl Connector for Linear {
    fn manifest() -> Manifest {
        Manifest::new("linear", "Linear", env!("CARGO_PKG_VERSION"))
            .description("Read and create issues in Linear.")
            .auth(ApiKeyScheme::header("API key", "Authorization", ""))
            .allow_host("https://api.linear.app")
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        let viewer = |_: &Context, _: NoInput| graphql::query::<Value>(API, VIEWER, &json!({}));
        Tools::new()
            .read_only("get_viewer", GET_VIEWER, &["read"], viewer)
            .read_only("list_issues", LIST_ISSUES, &["read"], list_issues)
            .tool("create_issue", NEW_ISSUE, &["issues:create"], create_issue)
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let data: Value = graphql::query(API, "query { viewer { id name email } }", &json!({}))?;
        let me = Identity::from_json(&data, "/viewer/id", "/viewer/name")?;
        Ok(me.metadata_from(&data, "email", "/viewer/email"))
    }
}

latchkey_sdk::export_connector!(Linear);
