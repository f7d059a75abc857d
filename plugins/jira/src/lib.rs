//! Jira Cloud connector: read, create and edit issues of the user's Jira site, with Atlassian's
//! OAuth 2.0 (3LO).
//!
//! 3LO tokens only work through Atlassian's API gateway, addressed by the site's cloud id:
//! `https://api.atlassian.com/ex/jira/{cloudId}/rest/api/3/…`. `verify` (run by the host right
//! after consent) finds the site with `GET /oauth/token/accessible-resources` and returns its
//! `cloud_id`, `site_url` and `site_name` as identity metadata, which the host keeps on the
//! connection; tools read them from the call context, and only ask accessible-resources again
//! when they are missing.

mod adf;
mod errors;
mod keys;
mod summary;

use latchkey_sdk::prelude::*;
use latchkey_sdk::{TokenEndpointAuth, TokenResponseShape};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use keys::{IssueKey, ProjectKey};

/// Atlassian's API gateway, the only origin 3LO tokens work on.
const GATEWAY: &str = "https://api.atlassian.com";
const AUTHORIZE_URL: &str = "https://auth.atlassian.com/authorize";
const TOKEN_URL: &str = "https://auth.atlassian.com/oauth/token";
/// Read issues, projects, search.
const READ_WORK: &str = "read:jira-work";
/// Create and edit issues.
const WRITE_WORK: &str = "write:jira-work";
/// Read users (the signed-in user, for `verify`).
const READ_USER: &str = "read:jira-user";
/// A refresh token (Atlassian issues one only with this scope).
const OFFLINE: &str = "offline_access";
/// Longest summary Jira takes.
const MAX_SUMMARY: usize = 255;
/// The fields `get_issue` asks for.
const ISSUE_FIELDS: &str = "summary,description,status,issuetype,project,priority,assignee,reporter,labels,created,updated";

/// The Jira site a connection works on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Site {
    cloud_id: String,
    /// `https://<name>.atlassian.net`, for browse links, when known and well-formed.
    url: Option<String>,
    name: Option<String>,
}

impl Site {
    /// `https://api.atlassian.com/ex/jira/{cloudId}/rest/api/3/{path}`.
    fn api(&self, path: &str) -> String {
        format!("{GATEWAY}/ex/jira/{}/rest/api/3/{path}", self.cloud_id)
    }

    /// The issue's page on the site.
    fn browse(&self, key: &str) -> Option<String> {
        self.url.as_ref().map(|url| format!("{url}/browse/{key}"))
    }
}

/// A site URL fit for links: `https://host` with a plain host name.
fn site_url(text: &str) -> Option<String> {
    let host = text.strip_prefix("https://")?.trim_end_matches('/');
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok.then(|| format!("https://{host}"))
}

/// Sends `request` with the connection's token and reads errors the Jira way.
fn send(request: Request, scope: Option<&str>) -> Result<Response, CallError> {
    let response = request
        .header("Accept", "application/json")
        .authenticated()
        .send()?;
    errors::checked(response, scope)
}

/// The sites the token may use (`GET /oauth/token/accessible-resources`).
fn accessible_resources() -> Result<Value, CallError> {
    send(
        Request::get(format!("{GATEWAY}/oauth/token/accessible-resources")),
        None,
    )?
    .json()
}

/// The first Jira site among accessible resources.
fn first_jira_site(resources: &Value) -> Option<Site> {
    resources.as_array()?.iter().find_map(|resource| {
        let id = resource["id"].as_str().filter(|id| keys::is_cloud_id(id))?;
        let jira = resource["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|scope| scope.contains("jira"));
        jira.then(|| Site {
            cloud_id: id.to_owned(),
            url: resource["url"].as_str().and_then(site_url),
            name: resource["name"].as_str().map(str::to_owned),
        })
    })
}

/// The connection's site: from its metadata, else from accessible-resources.
fn site(ctx: &Context) -> Result<Site, CallError> {
    if let Some(id) = ctx.metadata("cloud_id").filter(|id| keys::is_cloud_id(id)) {
        return Ok(Site {
            cloud_id: id.to_owned(),
            url: ctx.metadata("site_url").and_then(site_url),
            name: ctx.metadata("site_name").map(str::to_owned),
        });
    }
    first_jira_site(&accessible_resources()?).ok_or_else(|| {
        CallError::invalid_credential(
            "the connection gives access to no Jira site: reconnect and pick a Jira site",
        )
    })
}

/// A summary as Jira takes it: trimmed, one line, 1 to 255 characters.
fn checked_summary(text: &str) -> Result<String, CallError> {
    let summary = text.trim();
    if summary.is_empty() {
        return Err(CallError::invalid_input("summary must not be empty"));
    }
    if summary.contains(['\n', '\r']) {
        return Err(CallError::invalid_input("summary must be a single line"));
    }
    if summary.chars().count() > MAX_SUMMARY {
        return Err(CallError::invalid_input(
            "summary must be at most 255 characters",
        ));
    }
    Ok(summary.to_owned())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateIssue {
    /// The project to create the issue in.
    project: ProjectKey,
    /// One line saying what the issue is about.
    #[schemars(length(min = 1, max = 255))]
    summary: String,
    /// Plain text; blank lines separate paragraphs.
    description: Option<String>,
    /// The issue type's name, e.g. `Task` (default), `Bug` or `Story`.
    #[schemars(length(min = 1, max = 60))]
    issue_type: Option<String>,
    /// Labels to set (no spaces in a label).
    labels: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UpdateIssue {
    issue: IssueKey,
    /// A new summary.
    #[schemars(length(min = 1, max = 255))]
    summary: Option<String>,
    /// A new description, in plain text (an empty text clears it).
    description: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetIssue {
    issue: IssueKey,
}

fn create_issue(ctx: &Context, input: CreateIssue) -> Result<Value, CallError> {
    let summary = checked_summary(&input.summary)?;
    let issue_type = input.issue_type.as_deref().map_or("Task", str::trim);
    if issue_type.is_empty() || issue_type.chars().count() > 60 {
        return Err(CallError::invalid_input(
            "issue_type must be 1 to 60 characters",
        ));
    }
    let mut fields = json!({
        "project": { "key": input.project.to_string() },
        "summary": summary,
        "issuetype": { "name": issue_type },
    });
    if let Some(text) = input.description.filter(|t| !t.trim().is_empty()) {
        fields["description"] = adf::from_text(&text);
    }
    if let Some(labels) = input.labels {
        if labels
            .iter()
            .any(|l| l.is_empty() || l.contains(char::is_whitespace))
        {
            return Err(CallError::invalid_input(
                "labels must be non-empty and contain no spaces",
            ));
        }
        fields["labels"] = labels.into();
    }
    let site = site(ctx)?;
    let request = Request::post(site.api("issue")).json(&json!({ "fields": fields }))?;
    let created: Value = send(request, Some(WRITE_WORK))?.json()?;
    let key = created["key"].as_str().unwrap_or_default();
    Ok(json!({
        "key": key,
        "id": created["id"],
        "url": site.browse(key),
    }))
}

fn update_issue(ctx: &Context, input: UpdateIssue) -> Result<Value, CallError> {
    let mut fields = serde_json::Map::new();
    if let Some(text) = &input.summary {
        fields.insert("summary".into(), checked_summary(text)?.into());
    }
    if let Some(text) = &input.description {
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            adf::from_text(text)
        };
        fields.insert("description".into(), value);
    }
    if fields.is_empty() {
        return Err(CallError::invalid_input(
            "nothing to change: give a summary, a description, or both",
        ));
    }
    let updated: Vec<String> = fields.keys().cloned().collect();
    let site = site(ctx)?;
    let key = input.issue.to_string();
    let request =
        Request::put(site.api(&format!("issue/{key}"))).json(&json!({ "fields": fields }))?;
    send(request, Some(WRITE_WORK))?;
    Ok(json!({ "key": key, "updated": updated, "url": site.browse(&key) }))
}

fn get_issue(ctx: &Context, input: GetIssue) -> Result<Value, CallError> {
    let site = site(ctx)?;
    let request =
        Request::get(site.api(&format!("issue/{}", input.issue))).query("fields", ISSUE_FIELDS);
    let issue: Value = send(request, Some(READ_WORK))?.json()?;
    let key = issue["key"].as_str().unwrap_or_default().to_owned();
    Ok(summary::issue(&issue, site.browse(&key)))
}

struct Jira;

impl Connector for Jira {
    fn manifest() -> Manifest {
        // `audience` selects the API gateway; `prompt=consent` lets the user pick the site
        // again on every consent. Refresh tokens rotate and come only with `offline_access`,
        // asked for on every consent (a base scope) whatever the tools need.
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .default_scopes(&[READ_WORK, WRITE_WORK, READ_USER])
            .base_scopes(&[OFFLINE])
            .extra_authorize_param("audience", "api.atlassian.com")
            .extra_authorize_param("prompt", "consent")
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretPost)
            .token_response(TokenResponseShape {
                // A rotated refresh token that is no longer valid has been seen answered as
                // 403 `unauthorized_client` "refresh_token is invalid": the grant is gone.
                error_aliases: vec![("unauthorized_client".into(), "invalid_grant".into())],
                ..TokenResponseShape::default()
            });
        Manifest::new("jira", "Jira", env!("CARGO_PKG_VERSION"))
            .description("Read, create and edit issues in your Jira Cloud site.")
            .auth(oauth)
            .allow_host(GATEWAY)
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only(
                "get_issue",
                "One Jira issue by key (e.g. ENG-42): summary, description as text, status, \
                 type, priority, assignee, reporter, labels, dates and link.",
                &[READ_WORK],
                get_issue,
            )
            .tool(
                "create_issue",
                "Create a Jira issue in a project (by key, e.g. ENG) with a summary, an \
                 optional plain-text description, an issue type (Task unless given) and \
                 labels; returns its key and link.",
                &[WRITE_WORK],
                create_issue,
            )
            .tool(
                "update_issue",
                "Change a Jira issue's summary and/or description (plain text; empty clears \
                 it); returns which fields changed.",
                &[WRITE_WORK],
                update_issue,
            )
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        let resources = accessible_resources()?;
        let site = first_jira_site(&resources).ok_or_else(|| {
            CallError::invalid_credential("the connection gives access to no Jira site")
        })?;
        // Who the user is needs `read:jira-user`; without it the site stands for them.
        let me = if ctx.has_scope(READ_USER) {
            match send(Request::get(site.api("myself")), Some(READ_USER)) {
                Ok(response) => Some(response.json::<Value>()?),
                Err(CallError::Auth(AuthError::InsufficientScope(_))) => None,
                Err(other) => return Err(other),
            }
        } else {
            None
        };
        let mut identity = match &me {
            Some(me) => Identity::from_json(me, "/accountId", "/displayName")?
                .metadata_from(me, "account_id", "/accountId")
                .metadata_from(me, "email", "/emailAddress"),
            None => {
                let identity = Identity::new(format!("site:{}", site.cloud_id));
                match &site.name {
                    Some(name) => identity.display_name(format!("Jira site {name}")),
                    None => identity,
                }
            }
        };
        identity = identity.metadata("cloud_id", site.cloud_id.clone());
        if let Some(url) = &site.url {
            identity = identity.metadata("site_url", url.clone());
        }
        if let Some(name) = &site.name {
            identity = identity.metadata("site_name", name.clone());
        }
        Ok(identity)
    }
}

latchkey_sdk::export_connector!(Jira);

#[cfg(test)]
mod tests;
