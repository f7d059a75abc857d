//! The MCP face: `/mcp` over Streamable HTTP for any standard MCP client, with the same least
//! privilege as the HTTP API.
//!
//! - Transport and protocol: the official Rust SDK (`rmcp`), a dual-era server: 2025-11-25
//!   (`initialize`, `Mcp-Session-Id`, server-to-client requests) and 2026-07-28 (stateless,
//!   per-request version and capabilities, `server/discover`, multi round-trip requests).
//! - Inbound authorization ([`gate`]): an agent key or a user session as `Authorization:
//!   Bearer`; otherwise 401 with an RFC 9728 challenge ([`metadata`]). A foreign `Host` or
//!   `Origin` is refused first ([`guard`]).
//! - The user an agent key acts for comes from the `Latchkey-User` header, set by the agent's
//!   host app; a user session brings its own user. Never from tool arguments.
//! - A call that needs a person (connect, reconnect, more scopes) asks through URL-mode
//!   elicitation where the client supports it, and otherwise answers with the link
//!   ([`elicit`], [`outcome`]).

pub mod changes;
pub mod elicit;
pub mod gate;
pub mod guard;
pub mod jsonrpc;
pub mod metadata;
pub mod outcome;
pub mod server;
pub mod settings;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::tower::StreamableHttpService;

pub use settings::McpSettings;

use crate::app::App;

/// The MCP endpoint's path.
pub const ENDPOINT: &str = "/mcp";

/// The header naming the user an agent key acts for (set by the agent's host app).
pub const USER_HEADER: &str = "latchkey-user";

/// The legacy (2025-11-25) session header.
pub const SESSION_HEADER: &str = "mcp-session-id";

/// Largest JSON-RPC message accepted.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// `/mcp` and its protected-resource metadata (nothing when `[mcp] enabled = false`).
pub fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    if !app.config.mcp.enabled {
        return Router::new();
    }
    let settings = &app.config.mcp;
    let gate = Arc::new(gate::Gate {
        app: app.clone(),
        policy: guard::OriginPolicy::new(
            app.public_base(),
            &settings.allowed_hosts,
            &settings.allowed_origins,
        ),
        bindings: Arc::new(crate::vault::bindings::MemoryBindings::default()),
    });
    // Host and Origin are checked by the gate (before authentication), so the SDK's own
    // checks are off rather than configured twice.
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .disable_allowed_origins()
        .with_max_request_body_bytes(MAX_MESSAGE_BYTES);
    let for_service = app.clone();
    let service = StreamableHttpService::new(
        move || Ok(server::McpServer::new(for_service.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(ENDPOINT, service)
        .route_layer(middleware::from_fn_with_state(gate, gate::check))
        .route(metadata::ROOT_PATH, get(metadata::root))
        .route(
            &format!("{}{ENDPOINT}", metadata::ROOT_PATH),
            get(metadata::mcp),
        )
}
