//! Recording to the audit log from anywhere in the gateway. A failed write is logged loudly
//! but does not fail the action it describes (the chain stays verifiable either way).

use crate::app::App;
use crate::vault::audit::Event;

/// Append `event` to the audit log.
pub async fn record(app: &App, event: Event) {
    if let Err(e) = app.vault.audit().append(&event).await {
        tracing::error!(event = %event.event, error = %e, "cannot write to the audit log");
    }
}
