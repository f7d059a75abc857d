//! What every `/mcp` request passes before the MCP server sees it: the DNS-rebinding check
//! (403), bearer authentication with an RFC 9728 challenge (401), the `Latchkey-User` header,
//! the binding of legacy sessions to the principal that opened them, and JSON-RPC framing
//! (parse errors and bad `tools/call` params answered as JSON-RPC, never as plain text).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::guard::{GuardError, OriginPolicy};
use super::{MAX_MESSAGE_BYTES, SESSION_HEADER, USER_HEADER, jsonrpc, metadata};
use crate::api::caller::AgentCaller;
use crate::api::problem::Problem;
use crate::app::App;
use crate::vault::KeyKind;
use crate::vault::bindings::{Access, BindError, SessionBindings};

/// The authenticated caller of one MCP request, as the MCP server reads it.
#[derive(Debug, Clone)]
pub struct McpCaller {
    /// The agent key or user session presented as the bearer token.
    pub caller: AgentCaller,
    /// The user named by the agent's host app in `Latchkey-User` (agent keys), never by the model.
    pub user: Option<String>,
}

impl McpCaller {
    /// Who may use a legacy session this caller opens: the agent key, or the agent key and
    /// the user of a user session (so a renewed session token keeps its MCP session).
    pub fn principal(&self) -> String {
        let key = &self.caller.0;
        match (key.kind, key.user_id.as_deref()) {
            (KeyKind::Session, Some(user)) => {
                format!(
                    "agent:{}/user:{user}",
                    crate::policy::accountable_agent(key)
                )
            }
            _ => format!("agent:{}", key.id),
        }
    }
}

/// State of the gate.
#[derive(Debug)]
pub struct Gate {
    pub app: Arc<App>,
    pub policy: OriginPolicy,
    /// Which principal opened each legacy session (in memory by default; behind the store's
    /// trait so gateways can share them).
    pub bindings: Arc<dyn SessionBindings>,
}

fn refuse(status: StatusCode, code: &'static str, title: &'static str, detail: &str) -> Response {
    Problem::new(status, code, title, detail).into_response()
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| ()),
    }
}

/// The middleware in front of the MCP server.
pub async fn check(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = header_text(headers, header::HOST.as_str())
        .ok()
        .flatten()
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    // An Origin that is not even text is no origin we allow.
    let checked = match header_text(headers, header::ORIGIN.as_str()) {
        Ok(origin) => gate.policy.check(host, origin),
        Err(()) => Err(GuardError::ForeignOrigin),
    };
    if let Err(e) = checked {
        tracing::warn!(reason = %e, "refused an MCP request (DNS rebinding defence)");
        return match e {
            GuardError::BadHost => refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request is malformed",
                &e.to_string(),
            ),
            GuardError::ForeignHost | GuardError::ForeignOrigin => refuse(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "Cross-origin request refused",
                &e.to_string(),
            ),
        };
    }

    let presented = headers.contains_key(header::AUTHORIZATION);
    let (mut parts, body) = request.into_parts();
    let caller = match AgentCaller::from_request_parts(&mut parts, &gate.app).await {
        Ok(c) => c,
        Err(mut problem) => {
            if problem.status == StatusCode::UNAUTHORIZED {
                problem.challenge = Some(metadata::challenge(&gate.app, presented));
            }
            return problem.into_response();
        }
    };
    let user = match header_text(&parts.headers, USER_HEADER) {
        Ok(u) => u.map(str::to_string),
        Err(()) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request is malformed",
                "the Latchkey-User header is not valid text",
            );
        }
    };
    let who = McpCaller { caller, user };
    let principal = who.principal();
    let session = header_text(&parts.headers, SESSION_HEADER)
        .ok()
        .flatten()
        .map(str::to_string);
    let access = match &session {
        Some(id) => match gate.bindings.check(id, &principal).await {
            Ok(access) => access,
            Err(e) => return Problem::from(e).into_response(),
        },
        None => Access::Allowed,
    };
    if access == Access::Denied {
        tracing::warn!("refused an MCP session opened by another principal");
        return refuse(
            StatusCode::NOT_FOUND,
            "session_not_found",
            "No such session",
            "no MCP session with that id; initialize a new one",
        );
    }
    let method = parts.method.clone();
    parts.extensions.insert(who);
    let request =
        match jsonrpc::check_post(Request::from_parts(parts, body), MAX_MESSAGE_BYTES).await {
            Ok(r) => r,
            Err(refused) => return refused,
        };
    let response = jsonrpc::as_jsonrpc(next.run(request).await).await;

    if let Some(opened) = response
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        && session.as_deref() != Some(opened)
    {
        match gate.bindings.bind(opened, &principal).await {
            Ok(()) => {}
            Err(BindError::Full) => {
                tracing::error!("refused a new MCP session: too many open sessions");
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too_many_sessions",
                    "Too many MCP sessions",
                    "the gateway holds as many MCP sessions as it can; retry later",
                );
            }
            Err(BindError::Storage(e)) => return Problem::from(e).into_response(),
        }
    }
    if method == Method::DELETE
        && response.status().is_success()
        && let Some(id) = &session
        && let Err(e) = gate.bindings.forget(id).await
    {
        tracing::error!(error = %e, "cannot forget a closed MCP session's binding");
    }
    response
}
