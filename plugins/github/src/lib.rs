//! GitHub connector: the signed-in user, their repositories, and issues (list and create),
//! with an OAuth app.

mod errors;
mod names;
mod summary;

use latchkey_sdk::prelude::*;
use latchkey_sdk::{TokenEndpointAuth, TokenResponseShape};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use names::{Owner, RepoName};

const API: &str = "https://api.github.com";
const AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
const TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
/// The REST API version this connector is written against (sent on every request).
const API_VERSION: &str = "2022-11-28";
/// GitHub refuses requests without a User-Agent.
const USER_AGENT: &str = "latchkey-github-connector";
/// Creating issues (and reading private repositories) needs `repo`.
const REPO: &str = "repo";

/// A request to GitHub with its headers and the connection's credential.
fn github(request: Request) -> Request {
    request
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION)
        .header("User-Agent", USER_AGENT)
        .authenticated()
}

/// Sends `request` and reads the JSON answer, with GitHub's scope errors recognised.
fn send(request: Request) -> Result<Value, CallError> {
    errors::checked(github(request).send()?)?.json()
}

/// Which repositories to list.
#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Visibility {
    All,
    Public,
    Private,
}

/// Which issues to list.
#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum IssueState {
    Open,
    Closed,
    All,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListRepos {
    /// `all` (default), `public` or `private` (private ones need the `repo` scope).
    visibility: Option<Visibility>,
    /// Results per page, 1 to 100 (default 30).
    #[schemars(range(min = 1, max = 100))]
    per_page: Option<u32>,
    /// Page number, from 1.
    #[schemars(range(min = 1))]
    page: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListIssues {
    owner: Owner,
    repo: RepoName,
    /// `open` (default), `closed` or `all`.
    state: Option<IssueState>,
    /// Results per page, 1 to 100 (default 30).
    #[schemars(range(min = 1, max = 100))]
    per_page: Option<u32>,
    /// Page number, from 1.
    #[schemars(range(min = 1))]
    page: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateIssue {
    owner: Owner,
    repo: RepoName,
    /// The issue's title.
    #[schemars(length(min = 1, max = 256))]
    title: String,
    /// Markdown body.
    body: Option<String>,
    /// Label names to add (labels the repository already has).
    labels: Option<Vec<String>>,
}

/// Adds `per_page` and `page` after checking their ranges.
fn paged(
    mut request: Request,
    per_page: Option<u32>,
    page: Option<u32>,
) -> Result<Request, CallError> {
    if let Some(n) = per_page {
        if !(1..=100).contains(&n) {
            return Err(CallError::invalid_input(
                "per_page must be between 1 and 100",
            ));
        }
        request = request.query("per_page", &n.to_string());
    }
    if let Some(n) = page {
        if n == 0 {
            return Err(CallError::invalid_input("page starts at 1"));
        }
        request = request.query("page", &n.to_string());
    }
    Ok(request)
}

fn get_user(_: &Context, _: NoInput) -> Result<Value, CallError> {
    Ok(summary::user(&send(Request::get(format!("{API}/user")))?))
}

fn list_repos(_: &Context, input: ListRepos) -> Result<Value, CallError> {
    let mut request = Request::get(format!("{API}/user/repos")).query("sort", "updated");
    if let Some(visibility) = input.visibility {
        let name = match visibility {
            Visibility::All => "all",
            Visibility::Public => "public",
            Visibility::Private => "private",
        };
        request = request.query("visibility", name);
    }
    let request = paged(request, input.per_page, input.page)?;
    Ok(json!(summary::each(&send(request)?, summary::repo)))
}

fn list_issues(_: &Context, input: ListIssues) -> Result<Value, CallError> {
    let url = format!("{API}/repos/{}/{}/issues", input.owner, input.repo);
    let mut request = Request::get(url);
    if let Some(state) = input.state {
        let name = match state {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
            IssueState::All => "all",
        };
        request = request.query("state", name);
    }
    let request = paged(request, input.per_page, input.page)?;
    Ok(json!(summary::each(&send(request)?, summary::issue)))
}

fn create_issue(_: &Context, input: CreateIssue) -> Result<Value, CallError> {
    let title = input.title.trim();
    if title.is_empty() {
        return Err(CallError::invalid_input("title must not be empty"));
    }
    let mut body = json!({ "title": title });
    if let Some(text) = input.body {
        body["body"] = text.into();
    }
    if let Some(labels) = input.labels {
        body["labels"] = labels.into();
    }
    let url = format!("{API}/repos/{}/{}/issues", input.owner, input.repo);
    let issue = send(Request::post(url).json(&body)?)?;
    Ok(summary::issue(&issue))
}

struct Github;

impl Connector for Github {
    fn manifest() -> Manifest {
        // GitHub accepts commas between requested scopes and joins granted ones with commas;
        // its token endpoint answers errors with HTTP 200 and an `error` field.
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .default_scopes(&["read:user"])
            .scope_separator(",")
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretPost)
            .token_response(TokenResponseShape {
                error: Some("/error".to_owned()),
                // GitHub's own names for a dead code or refresh token, and a bad client.
                error_aliases: [
                    ("bad_verification_code", "invalid_grant"),
                    ("bad_refresh_token", "invalid_grant"),
                    ("incorrect_client_credentials", "invalid_client"),
                ]
                .map(|(from, to)| (from.to_owned(), to.to_owned()))
                .to_vec(),
                ..TokenResponseShape::default()
            });
        Manifest::new("github", "GitHub", env!("CARGO_PKG_VERSION"))
            .description("Read your GitHub profile, repositories and issues, and open issues.")
            .auth(oauth)
            .allow_host(API)
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only(
                "get_user",
                "The signed-in GitHub user: login, name, e-mail, profile URL.",
                &[],
                get_user,
            )
            .read_only(
                "list_repos",
                "Repositories of the signed-in user, recently updated first (private ones only \
                 with the repo scope).",
                &[],
                list_repos,
            )
            .read_only(
                "list_issues",
                "Issues of a repository, newest first; pull requests are marked \
                 is_pull_request.",
                &[],
                list_issues,
            )
            .tool(
                "create_issue",
                "Open an issue in a repository, with a title, an optional Markdown body and \
                 labels; returns its number and URL.",
                &[REPO],
                create_issue,
            )
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me = send(Request::get(format!("{API}/user")))?;
        Ok(Identity::from_json(&me, "/id", "/name")?
            .metadata_from(&me, "login", "/login")
            .metadata_from(&me, "email", "/email"))
    }
}

latchkey_sdk::export_connector!(Github);

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::{AuthScheme, testing};

    #[test]
    fn manifest_declares_github_oauth() {
        let manifest = Github::manifest();
        let [AuthScheme::Oauth2(oauth)] = manifest.auth.as_slice() else {
            panic!("one OAuth scheme");
        };
        assert_eq!(oauth.authorize_url, AUTHORIZE_URL);
        assert_eq!(oauth.token_url, TOKEN_URL);
        assert_eq!(oauth.revoke_url, None, "GitHub has no RFC 7009 endpoint");
        assert_eq!(oauth.scope_separator.as_deref(), Some(","));
        assert_eq!(
            oauth.token_endpoint_auth,
            TokenEndpointAuth::ClientSecretPost
        );
        assert_eq!(oauth.token_response.error.as_deref(), Some("/error"));
        assert_eq!(manifest.allowed_hosts, [API]);
        assert!(
            manifest
                .setup_instructions
                .contains("/v1/oauth/callback/github")
        );
        let tools = Github::tools().list();
        let create = tools.iter().find(|t| t.name == "create_issue").unwrap();
        assert_eq!(create.required_scopes, [REPO]);
        assert!(!create.read_only);
    }

    #[test]
    fn create_issue_sends_github_headers_and_body() {
        testing::mock_http(|req| {
            assert_eq!(
                req.url,
                "https://api.github.com/repos/octocat/hello-world/issues"
            );
            assert!(req.authenticate);
            let has = |name: &str, value: &str| {
                req.headers
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case(name) && v == value)
            };
            assert!(has("accept", "application/vnd.github+json"));
            assert!(has("x-github-api-version", API_VERSION));
            assert!(has("user-agent", USER_AGENT));
            let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
            assert_eq!(
                body,
                json!({"title": "Bug", "body": "Steps", "labels": ["bug"]})
            );
            Ok(testing::response(
                201,
                r#"{"number": 7, "title": "Bug", "state": "open",
                    "html_url": "https://github.com/octocat/hello-world/issues/7",
                    "user": {"login": "octocat"}, "labels": [{"name": "bug"}]}"#,
            ))
        });
        let input = r#"{"owner": "octocat", "repo": "hello-world", "title": " Bug ",
                       "body": "Steps", "labels": ["bug"]}"#;
        let out = Github::tools()
            .call(&testing::context(&[REPO]), "create_issue", input)
            .unwrap();
        let out: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out["number"], 7);
        assert_eq!(
            out["html_url"],
            "https://github.com/octocat/hello-world/issues/7"
        );
        testing::clear_http();
    }

    #[test]
    fn bad_names_never_reach_the_network() {
        testing::clear_http();
        let input = r#"{"owner": "octocat", "repo": "../../user", "title": "x"}"#;
        let error = Github::tools()
            .call(&testing::context(&[REPO]), "create_issue", input)
            .unwrap_err();
        assert!(matches!(error, CallError::InvalidInput(_)));
    }

    #[test]
    fn list_issues_maps_hidden_private_repos_to_a_scope_request() {
        testing::mock_http(|req| {
            assert_eq!(
                req.url,
                "https://api.github.com/repos/ada/private-notes/issues?state=all&per_page=5"
            );
            Ok(
                latchkey_sdk::bindings::latchkey::connector::http::Response {
                    status: 404,
                    headers: vec![
                        ("x-oauth-scopes".into(), "read:user".into()),
                        ("x-accepted-oauth-scopes".into(), "repo".into()),
                    ],
                    body: br#"{"message": "Not Found"}"#.to_vec(),
                },
            )
        });
        let input = r#"{"owner": "ada", "repo": "private-notes", "state": "all", "per_page": 5}"#;
        let error = Github::tools()
            .call(&testing::context(&["read:user"]), "list_issues", input)
            .unwrap_err();
        assert_eq!(error, CallError::insufficient_scope([REPO]));
        let bad_page = r#"{"owner": "ada", "repo": "x", "per_page": 500}"#;
        assert!(matches!(
            Github::tools().call(&testing::context(&[]), "list_issues", bad_page),
            Err(CallError::InvalidInput(_))
        ));
        testing::clear_http();
    }

    #[test]
    fn verify_is_get_user() {
        testing::mock_http(|req| {
            assert_eq!(req.url, "https://api.github.com/user");
            Ok(testing::response(
                200,
                r#"{"login": "octocat", "id": 583231, "name": "The Octocat", "email": null}"#,
            ))
        });
        let me = Github::verify(&testing::context(&[])).unwrap();
        assert_eq!(me.subject, "583231");
        assert_eq!(me.display_name.as_deref(), Some("The Octocat"));
        assert_eq!(me.metadata, [("login".to_owned(), "octocat".to_owned())]);
        testing::clear_http();
    }
}
