//! Whether an end user can connect a connector by themselves: by pasting a key or password,
//! or by OAuth once the operator has configured the app's client. A link to a page the user
//! cannot use is a dead end, so callers ask this before they mint one.

use crate::app::App;
use crate::auth::oauth::provider::{self, ProviderError};
use crate::plugin::{AuthScheme, LoadedPlugin};

/// Why no end user can connect a connector yet; the message is for the agent and the operator.
#[derive(Debug, thiserror::Error)]
pub enum NotConnectable {
    /// The connector takes OAuth only and its client is not configured.
    #[error(transparent)]
    Provider(ProviderError),
    /// The connector takes only credentials an operator sets (a service account).
    #[error("{0} is connected by an operator (a service account), not by its users")]
    OperatorOnly(String),
}

/// `Ok` when a user following a connect link for `plugin` can finish it.
pub async fn check(app: &App, plugin: &LoadedPlugin) -> Result<(), NotConnectable> {
    let auth = &plugin.manifest.auth;
    if auth
        .iter()
        .any(|s| matches!(s, AuthScheme::ApiKey(_) | AuthScheme::Basic(_)))
    {
        return Ok(());
    }
    if provider::scheme_of(plugin).is_some() {
        return provider::resolve_config(app, plugin)
            .await
            .map(|_| ())
            .map_err(NotConnectable::Provider);
    }
    Err(NotConnectable::OperatorOnly(plugin.manifest.name.clone()))
}
