//! When a person must act before a call can succeed (connect an app, reconnect it, grant more
//! scopes): ask through URL-mode elicitation where the client declared it, otherwise answer
//! with the link as a tool error the model can relay.
//!
//! - 2025-11-25: the server sends `elicitation/create` (mode `url`, `elicitationId` = the
//!   connect session) on the call's stream. On `accept` it waits for the user to finish, sends
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

fn input_required(action: &UserAction) -> Result<InputRequiredResult, McpError> {
    serde_json::from_value(json!({
        "resultType": "input_required",
        "inputRequests": {
            INPUT_KEY: {
                "method": "elicitation/create",
                "params": {
                    "mode": "url",
                    "message": action.message,
                    "url": action.url,
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

/// Ask the user to act on `action` as the client allows; on acceptance wait (at most `wait`)
/// for them, then run the call once more with `retry`.
pub async fn ask_user<F, Fut>(
    app: &App,
    context: &RequestContext<RoleServer>,
    request: &CallToolRequestParams,
    action: &UserAction,
    wait: Duration,
    tool: &str,
    retry: F,
) -> Result<CallToolResponse, McpError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<ToolOutput, Problem>>,
{
    let link = || Ok(outcome::link_result(action).into());
    if !supports_url_elicitation(context) {
        return link();
    }
    let modern = is_modern(context);
    if modern {
        match answered(request).as_deref() {
            None => return Ok(input_required(action)?.into()),
            Some("accept") => {}
            Some(_) => return link(),
        }
    } else {
        let Ok(url) = url::Url::parse(&action.url) else {
            return link();
        };
        let id = action
            .authorization_id
            .clone()
            .unwrap_or_else(|| crate::ids::new_id("el"));
        match context
            .peer
            .elicit_url_with_timeout(action.message.clone(), url, id, Some(wait))
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

    if let Some(id) = &action.authorization_id {
        match connect::wait(app, id, wait).await {
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
    match retry().await {
        Ok(out) => Ok(outcome::success(out).into()),
        Err(problem) => match outcome::classify(problem, tool) {
            Failure::NeedsUser(next) => Ok(outcome::link_result(&next).into()),
            Failure::Refused(e) => Err(e),
            Failure::Tool(result) => Ok(result.into()),
        },
    }
}
