//! Notion connector: search, read and create pages, with OAuth (a public integration) or an
//! internal integration secret.

mod blocks;
mod page_id;
mod summary;

use latchkey_sdk::TokenEndpointAuth;
use latchkey_sdk::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use page_id::PageId;

const API: &str = "https://api.notion.com/v1";
const AUTHORIZE_URL: &str = "https://api.notion.com/v1/oauth/authorize";
const TOKEN_URL: &str = "https://api.notion.com/v1/oauth/token";
const REVOKE_URL: &str = "https://api.notion.com/v1/oauth/revoke";
/// Token-response fields kept on the connection (never secrets).
const TOKEN_METADATA: [&str; 3] = ["workspace_name", "workspace_id", "bot_id"];
/// The API version this connector is written against (sent on every request).
const NOTION_VERSION: &str = "2022-06-28";

/// A request to Notion with the version header and the connection's credential.
fn notion(request: Request) -> Request {
    request
        .header("Notion-Version", NOTION_VERSION)
        .authenticated()
}

/// Which kind of object a search returns.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum ObjectKind {
    Page,
    Database,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Search {
    /// Words to find in titles; leave out to list everything shared with the integration.
    query: Option<String>,
    /// Only pages, or only databases.
    filter: Option<ObjectKind>,
    /// Results per call, 1 to 100 (default 100).
    #[schemars(range(min = 1, max = 100))]
    page_size: Option<u32>,
    /// `next_cursor` from a previous search, to get the results after it.
    start_cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RetrievePage {
    /// The page id: 32 hex digits, with or without dashes.
    page_id: PageId,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreatePage {
    /// Id of the parent page; it must be shared with the integration.
    parent_page_id: PageId,
    /// Title of the new page.
    #[schemars(length(min = 1, max = 2000))]
    title: String,
    /// Body text. Blank lines separate paragraphs; lines starting with `# `, `## ` or `### `
    /// become headings, lines starting with `- ` or `* ` bullets.
    content: Option<String>,
}

fn search(_: &Context, input: Search) -> Result<Value, CallError> {
    if input.page_size.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(CallError::invalid_input(
            "page_size must be between 1 and 100",
        ));
    }
    let mut body = json!({});
    if let Some(query) = input.query {
        body["query"] = query.into();
    }
    if let Some(kind) = input.filter {
        body["filter"] = json!({ "property": "object", "value": kind });
    }
    if let Some(size) = input.page_size {
        body["page_size"] = size.into();
    }
    if let Some(cursor) = input.start_cursor {
        body["start_cursor"] = cursor.into();
    }
    let answer: Value = notion(Request::post(format!("{API}/search")))
        .json(&body)?
        .send()?
        .json()?;
    Ok(summary::search_results(&answer))
}

fn retrieve_page(_: &Context, input: RetrievePage) -> Result<Value, CallError> {
    let url = format!("{API}/pages/{}", input.page_id);
    let mut page: Value = notion(Request::get(url)).send()?.json()?;
    page["title"] = summary::title(&page).into();
    Ok(page)
}

fn create_page(_: &Context, input: CreatePage) -> Result<Value, CallError> {
    let title = input.title.trim();
    if title.is_empty() {
        return Err(CallError::invalid_input("title must not be empty"));
    }
    let body = json!({
        "parent": { "page_id": input.parent_page_id.to_string() },
        "properties": { "title": { "title": blocks::rich_text(title) } },
        "children": blocks::from_text(input.content.as_deref().unwrap_or_default())?,
    });
    let page: Value = notion(Request::post(format!("{API}/pages")))
        .json(&body)?
        .send()?
        .json()?;
    Ok(summary::object(&page))
}

struct Notion;

impl Connector for Notion {
    fn manifest() -> Manifest {
        // Notion has no OAuth scopes: what the integration sees is the pages the user picks on
        // Notion's consent screen. Its token endpoint wants HTTP Basic client authentication.
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .revoke_url(REVOKE_URL)
            .extra_authorize_param("owner", "user")
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretBasic);
        Manifest::new("notion", "Notion", env!("CARGO_PKG_VERSION"))
            .description("Search, read and create Notion pages shared with an integration.")
            .auth(oauth)
            .auth(ApiKeyScheme::bearer("Internal integration secret"))
            .allow_host("https://api.notion.com")
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only(
                "search",
                "Find pages and databases shared with the integration by title; returns ids, \
                 titles and URLs.",
                &[],
                search,
            )
            .read_only(
                "retrieve_page",
                "Get one page's properties (not its content) by id, with its plain-text title.",
                &[],
                retrieve_page,
            )
            .tool(
                "create_page",
                "Create a page under a parent page, with a title and optional text content.",
                &[],
                create_page,
            )
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me: Value = notion(Request::get(format!("{API}/users/me")))
            .send()?
            .json()?;
        Ok(Identity::from_json(&me, "/id", "/name")?
            .metadata_from(&me, "workspace_name", "/bot/workspace_name")
            .metadata_from(&me, "workspace_id", "/bot/workspace_id"))
    }

    /// Keeps the workspace and bot of an OAuth authorization (Notion's token response carries
    /// them beside the tokens).
    fn connection_metadata(token_response: &Value) -> Result<Vec<(String, String)>, CallError> {
        Ok(TOKEN_METADATA
            .iter()
            .filter_map(|key| {
                let value = token_response.get(*key)?.as_str()?;
                (!value.is_empty()).then(|| ((*key).to_owned(), value.to_owned()))
            })
            .collect())
    }
}

latchkey_sdk::export_connector!(Notion);

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::{AuthScheme, Placement, testing};

    #[test]
    fn oauth_first_then_the_internal_secret() {
        let manifest = Notion::manifest();
        let AuthScheme::Oauth2(oauth) = &manifest.auth[0] else {
            panic!("OAuth is preferred");
        };
        assert_eq!(oauth.authorize_url, AUTHORIZE_URL);
        assert_eq!(oauth.token_url, TOKEN_URL);
        assert_eq!(oauth.revoke_url.as_deref(), Some(REVOKE_URL));
        assert!(oauth.default_scopes.is_empty(), "Notion has no scopes");
        assert_eq!(
            oauth.extra_authorize_params,
            [("owner".to_owned(), "user".to_owned())]
        );
        assert_eq!(
            oauth.token_endpoint_auth,
            TokenEndpointAuth::ClientSecretBasic
        );
        assert_eq!(oauth.placement, Placement::Bearer);
        assert!(matches!(manifest.auth[1], AuthScheme::ApiKey(_)));
        assert_eq!(manifest.allowed_hosts, ["https://api.notion.com"]);
        assert!(
            manifest
                .setup_instructions
                .contains("/v1/oauth/callback/notion")
        );
    }

    #[test]
    fn metadata_keeps_workspace_and_bot_only() {
        let response = json!({
            "token_type": "bearer", "bot_id": "b1", "workspace_id": "w1",
            "workspace_name": "Ada's Workspace", "workspace_icon": null,
            "owner": {"type": "user", "user": {"id": "u1"}}, "duplicated_template_id": null,
        });
        let mut metadata = Notion::connection_metadata(&response).unwrap();
        metadata.sort();
        assert_eq!(
            metadata,
            [
                ("bot_id".to_owned(), "b1".to_owned()),
                ("workspace_id".to_owned(), "w1".to_owned()),
                ("workspace_name".to_owned(), "Ada's Workspace".to_owned()),
            ]
        );
        assert!(
            Notion::connection_metadata(&json!({"workspace_name": 3}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn verify_reads_the_bot_user() {
        testing::mock_http(|req| {
            assert_eq!(req.url, "https://api.notion.com/v1/users/me");
            assert!(req.authenticate);
            assert!(
                req.headers
                    .contains(&("Notion-Version".into(), NOTION_VERSION.into()))
            );
            Ok(testing::response(
                200,
                r#"{"object":"user","id":"b1","name":"Latchkey","type":"bot",
                   "bot":{"workspace_name":"Ada's Workspace","workspace_id":"w1"}}"#,
            ))
        });
        let me = Notion::verify(&testing::context(&[])).unwrap();
        assert_eq!(me.subject, "b1");
        assert_eq!(me.display_name.as_deref(), Some("Latchkey"));
        assert!(
            me.metadata
                .contains(&("workspace_id".to_owned(), "w1".to_owned()))
        );
        testing::clear_http();
    }
}
