//! Recording to the audit log from anywhere in the gateway. A failed write is logged loudly
//! but does not fail the action it describes (the chain stays verifiable either way).

use crate::app::App;
use crate::vault::audit::{self, Event};

/// Append `event` to the audit log.
pub async fn record(app: &App, event: Event) {
    let keyring = app.vault.keyring().clone();
    let kind = event.event.clone();
    if let Err(e) = app
        .vault
        .db()
        .write(move |c| audit::append(c, &keyring, &event))
        .await
    {
        tracing::error!(event = %kind, error = %e, "cannot write to the audit log");
    }
}
