//! The MCP server: `tools/list` shows the caller's pack, `tools/call` runs through the same
//! policy, vault and plugin path as `POST /v1/tools/{tool}/call` (`call_as`), and stops when
//! the client cancels it. When what a caller sees changes (a hot load, a pack edit), a legacy
//! session is sent `notifications/tools/list_changed`, and so is a 2026-07-28 client listening
//! with `subscriptions/listen`.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, SubscriptionFilter,
    Tool, ToolAnnotations,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};

use super::elicit;
use super::gate::McpCaller;
use super::outcome::{self, Failure};
use crate::api::problem::Problem;
use crate::api::tools::{call_as, scope_of, visible_tools};
use crate::app::App;
use crate::vault::KeyKind;

/// The protocol revisions served: 2026-07-28 (stateless) and 2025-11-25 (initialize,
/// `Mcp-Session-Id`). An `initialize` naming another version is answered with 2025-11-25.
pub const SUPPORTED_VERSIONS: &[ProtocolVersion] =
    &[ProtocolVersion::V_2026_07_28, ProtocolVersion::V_2025_11_25];

const INSTRUCTIONS: &str = "Latchkey runs these tools with the credentials of the user this agent acts for. \
When a tool answers that an app must be connected (or reconnected, or granted more permissions), \
show the user the link it gives, then call the tool again.";

/// One MCP server instance: one per legacy session, or one per stateless request.
#[derive(Debug, Clone)]
pub struct McpServer {
    app: Arc<App>,
    /// How long a call waits for the user after the client accepted a URL elicitation.
    wait: Duration,
}

impl McpServer {
    /// A server over the gateway's shared state.
    pub fn new(app: Arc<App>) -> Self {
        let wait = Duration::from_secs(app.config.mcp.elicitation_wait_seconds);
        McpServer { app, wait }
    }
}

/// The caller the gate authenticated for the HTTP request behind `extensions`.
fn caller_in(extensions: &rmcp::model::Extensions) -> Result<McpCaller, McpError> {
    extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<McpCaller>())
        .cloned()
        .ok_or_else(|| McpError::internal_error("the request was not authenticated", None))
}

/// The caller the gate authenticated for this request.
fn caller_of(context: &RequestContext<RoleServer>) -> Result<McpCaller, McpError> {
    caller_in(&context.extensions)
}

/// The names of the tools `who` sees now (`None` when that cannot be read).
async fn tool_names(app: &App, who: &McpCaller) -> Option<Vec<String>> {
    let scope = scope_of(app, &who.caller).await.ok()?;
    let mut names: Vec<String> = visible_tools(app, &scope)
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    Some(names)
}

/// Call `notify` each time the tools `who` sees change, until it fails (the client is gone)
/// or `stop` resolves.
async fn on_tool_changes<N, NF>(
    app: Arc<App>,
    who: McpCaller,
    stop: impl Future<Output = ()>,
    notify: N,
) where
    N: Fn() -> NF,
    NF: Future<Output = bool>,
{
    let mut changes = app.tool_changes.subscribe();
    let mut seen = tool_names(&app, &who).await;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
        let now = tool_names(&app, &who).await;
        if now.is_some() && now != seen {
            seen = now;
            if !notify().await {
                return;
            }
        }
    }
}

/// An agent-facing tool (as `GET /v1/tools` lists it) as an MCP tool.
fn to_mcp_tool(tool: &Value) -> Option<Tool> {
    let name = tool["name"].as_str()?.to_string();
    let schema = match &tool["input_schema"] {
        Value::Object(map) => map.clone(),
        _ => {
            let mut m = Map::new();
            m.insert("type".into(), json!("object"));
            m
        }
    };
    let description = tool["description"]
        .as_str()
        .map(|d| Cow::Owned(d.to_string()));
    let mut out = Tool::new_with_raw(name, description, Arc::new(schema));
    let title = tool["title"].as_str().map(str::to_string);
    out.title = title.clone();
    // The manifest says only whether a tool reads: a tool that writes may change or remove
    // what is there and is not known to be safe to repeat, so it is annotated as such.
    let read_only = tool["read_only"].as_bool() == Some(true);
    let mut annotations = ToolAnnotations::new().read_only(read_only);
    if !read_only {
        annotations = annotations.destructive(true).idempotent(false);
    }
    annotations.title = title;
    out.annotations = Some(annotations);
    Some(out)
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        );
        info.server_info = Implementation::new("latchkey", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(INSTRUCTIONS.into());
        info
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(SUPPORTED_VERSIONS)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // A legacy session: its client hears of changes on the session's stream.
        let Ok(who) = caller_in(&context.extensions) else {
            return;
        };
        let peer = context.peer.clone();
        let closed = context.peer.clone();
        tokio::spawn(on_tool_changes(
            self.app.clone(),
            who,
            async move {
                while !closed.is_transport_closed() {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            },
            move || {
                let peer = peer.clone();
                async move { peer.notify_tool_list_changed().await.is_ok() }
            },
        ));
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        (requested.tools_list_changed == Some(true))
            .then(|| SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        let who = caller_in(&context.request_context().extensions)?;
        let sink = context.sink().clone();
        on_tool_changes(self.app.clone(), who, context.cancelled(), move || {
            let sink = sink.clone();
            async move { sink.notify_tool_list_changed().await.is_ok() }
        })
        .await;
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let who = caller_of(&context)?;
        let scope = scope_of(&self.app, &who.caller)
            .await
            .map_err(|p| McpError::internal_error(p.detail, None))?;
        let mut tools: Vec<Tool> = visible_tools(&self.app, &scope)
            .iter()
            .filter_map(to_mcp_tool)
            .collect();
        // A deterministic order keeps clients' caches and prompts stable.
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        let mut result = ListToolsResult::with_all_items(tools);
        // What a caller sees depends on its token: never cache it for anyone else.
        result.cache_scope = Some(rmcp::model::CacheScope::Private);
        result.ttl_ms = Some(0);
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let who = caller_of(&context)?;
        let tool = request.name.to_string();
        if who.caller.0.kind != KeyKind::Session && who.user.is_none() {
            // The model must not choose the user: only the host app's header or a session can.
            let problem = Problem::invalid_request(
                "this agent key acts for no user: the agent's host application must name one in the \
                 Latchkey-User header, or connect with a user session token",
            );
            return Ok(outcome::tool_error(problem.detail.clone(), problem.body()).into());
        }
        let input = Value::Object(request.arguments.clone().unwrap_or_default());
        // `notifications/cancelled` (or the client going away) cancels `context.ct`.
        let cancel = context.ct.clone();
        let first = call_as(
            &self.app,
            &who.caller,
            tool.clone(),
            who.user.as_deref(),
            input.clone(),
            cancel.clone(),
        )
        .await;
        let problem = match first {
            Ok(out) => return Ok(outcome::success(out).into()),
            Err(p) => p,
        };
        match outcome::classify(problem, &tool) {
            Failure::Refused(e) => Err(e),
            Failure::Tool(result) => Ok(result.into()),
            Failure::NeedsUser(action) => {
                let retry = || async {
                    call_as(
                        &self.app,
                        &who.caller,
                        tool.clone(),
                        who.user.as_deref(),
                        input.clone(),
                        cancel.clone(),
                    )
                    .await
                };
                let ask = elicit::Ask {
                    app: &self.app,
                    context: &context,
                    request: &request,
                    action: &action,
                    wait: self.wait,
                    tool: &tool,
                    who: &who,
                };
                ask.ask_user(retry).await
            }
        }
    }
}
