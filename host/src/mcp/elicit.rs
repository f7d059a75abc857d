//! When a person must act before a call can succeed (connect an app, reconnect it, grant more
//! scopes): ask through URL-mode elicitation where the client declared it, otherwise answer
//! with the link as a tool error the model can relay.
//!
//! - 2025-11-25: the server sends `elicitation/create` (mode `url`, a fresh `elicitationId` per
//!   elicitation) on the call's stream. On `accept` it waits for the user to finish, sends
//!   `notifications/elicitation/complete`, and runs the call again.
//! - 2026-07-28 (no server-to-client requests): the call answers with an `InputRequiredResult`
//!   carrying the same elicitation; the client retries with `inputResponses`, and an `accept`
//!   there means the same wait and one more run.
//!
//! An answer in `inputResponses` grants nothing by itself: it only makes the call wait for the
//! user; whether the call then works is decided by the vault, as always. After one accepted
//! round the call answers with the link rather than asking again, so a client that accepts
//! blindly cannot loop.

use std::future::Future;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomNotification, ElicitationAction,
    InputRequiredResult, ProtocolVersion, ServerNotification,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use serde_json::{Value, json};

use super::gate::McpCaller;
use super::outcome::{self, Failure, UserAction};
use crate::api::problem::Problem;
use crate::app::App;
use crate::auth::connect;
use crate::toolcall::ToolOutput;

/// The key of the one input request the gateway makes.
pub const INPUT_KEY: &str = "latchkey_connect";

/// Whether the request speaks 2026-07-28 or later (per-request metadata, no sessions).
fn is_modern(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// Whether the client declared URL-mode elicitation.
fn supports_url_elicitation(context: &RequestContext<RoleServer>) -> bool {
    context
        .client_capabilities()
        .and_then(|c| c.elicitation)
        .is_some_and(|e| e.url.is_some())
}

fn input_required(action: &UserAction, id: &str) -> Result<InputRequiredResult, McpError> {
    serde_json::from_value(json!({
        "resultType": "input_required",
        "inputRequests": {
            INPUT_KEY: {
                "method": "elicitation/create",
                "params": {
                    "mode": "url",
                    "message": action.message,
                    "url": action.url,
                    "elicitationId": id,
                },
            },
        },
    }))
    .map_err(|e| McpError::internal_error(format!("cannot build the input request: {e}"), None))
}

/// What the client answered to the input request on a 2026-07-28 retry, if it did.
fn answered(request: &CallToolRequestParams) -> Option<String> {
    request
        .input_responses
        .as_ref()?
        .get(INPUT_KEY)
        .and_then(|r| r.get("action"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// One call that needs a person: what to ask, of whom, and how long to wait.
pub struct Ask<'a> {
    pub app: &'a App,
    pub context: &'a RequestContext<RoleServer>,
    pub request: &'a CallToolRequestParams,
    pub action: &'a UserAction,
    /// How long to wait for the user once the client accepted.
    pub wait: Duration,
    pub tool: &'a str,
    /// The caller (for the audit entry of a cancelled wait).
    pub who: &'a McpCaller,
}

/// What the wait for the user ended in.
enum Waited {
    /// Answer now (the link, or a 2026-07-28 input request).
    Answer(CallToolResponse),
    /// The user may have acted: run the call again.
    Retry,
}

impl Ask<'_> {
    /// Ask the user to act as the client allows; on acceptance wait (at most `wait`) for them,
    /// then run the call once more with `retry`. A cancelled request stops waiting at once
    /// and is audited as `cancelled`.
    pub async fn ask_user<F, Fut>(&self, retry: F) -> Result<CallToolResponse, McpError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<ToolOutput, Problem>>,
    {
        let waited = tokio::select! {
            biased;
            () = self.context.ct.cancelled() => {
                self.audit_cancelled().await;
                return Err(McpError::invalid_request("the call was cancelled", None));
            }
            waited = self.wait_for_user() => waited?,
        };
        if let Waited::Answer(answer) = waited {
            return Ok(answer);
        }
        match retry().await {
            Ok(out) => Ok(outcome::success(out).into()),
            Err(problem) => match outcome::classify(problem, self.tool) {
                Failure::NeedsUser(next) => Ok(outcome::link_result(&next).into()),
                Failure::Refused(e) => Err(e),
                Failure::Tool(result) => Ok(result.into()),
            },
        }
    }

    async fn wait_for_user(&self) -> Result<Waited, McpError> {
        let link = || Ok(Waited::Answer(outcome::link_result(self.action).into()));
        let context = self.context;
        if !supports_url_elicitation(context) {
            return link();
        }
        // Every elicitation gets its own id, even when it points at a connect link already
        // handed out (two calls waiting on one connection).
        let id = crate::ids::new_id("el");
        let modern = is_modern(context);
        if modern {
            match answered(self.request).as_deref() {
                None => return Ok(Waited::Answer(input_required(self.action, &id)?.into())),
                Some("accept") => {}
                Some(_) => return link(),
            }
        } else {
            let Ok(url) = url::Url::parse(&self.action.url) else {
                return link();
            };
            match context
                .peer
                .elicit_url_with_timeout(
                    self.action.message.clone(),
                    url,
                    id.clone(),
                    Some(self.wait),
                )
                .await
            {
                Ok(ElicitationAction::Accept) => {}
                Ok(_) => return link(),
                Err(e) => {
                    tracing::debug!(error = %e, "URL elicitation did not complete");
                    return link();
                }
            }
        }

        if let Some(session_id) = &self.action.authorization_id {
            match connect::wait(self.app, session_id, self.wait).await {
                Ok(Some(session)) if session.connection_id.is_some() && !modern => {
                    let done = CustomNotification::new(
                        "notifications/elicitation/complete",
                        Some(json!({ "elicitationId": id })),
                    );
                    if let Err(e) = context
                        .peer
                        .send_notification(ServerNotification::CustomNotification(done))
                        .await
                    {
                        tracing::debug!(error = %e, "cannot send elicitation/complete");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot read a connect session"),
            }
        }
        Ok(Waited::Retry)
    }

    /// The audit entry of a call cancelled while it waited for the user.
    async fn audit_cancelled(&self) {
        let who = self.who;
        let user = who.user.clone().or_else(|| who.caller.0.user_id.clone());
        let connector = self
            .app
            .registry
            .resolve_tool(self.tool)
            .map(|(p, _)| p.manifest.id.clone());
        crate::audit::record(
            self.app,
            crate::vault::audit::Event {
                event: "tool_call".into(),
                actor: Some(crate::policy::accountable_agent(&who.caller.0).to_string()),
                user_id: user,
                connector,
                tool: Some(self.tool.to_string()),
                outcome: "cancelled".into(),
                detail: Some("while waiting for the user".into()),
                ..Default::default()
            },
        )
        .await;
    }
}
