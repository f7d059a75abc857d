//! Connectors whose app lives at a per-deployment address (`{base}` in their OAuth URLs): a
//! call sees the operator's base URL as the metadata `base_url`, and may reach its origin on
//! top of the hosts the connector declared. Nothing changes for other connectors.

use std::sync::Arc;

use crate::app::App;
use crate::auth::oauth::provider::{per_deployment, scheme_of};
use crate::egress::AllowList;
use crate::plugin::{CallContext, LoadedPlugin};

/// The metadata key a call finds the deployment's base URL under.
pub const BASE_URL_KEY: &str = "base_url";

/// The operator's base URL for `plugin`, when its endpoints are per deployment.
fn base_url<'a>(app: &'a App, plugin: &LoadedPlugin) -> Option<&'a str> {
    let scheme = scheme_of(plugin)?;
    if !per_deployment(scheme) {
        return None;
    }
    app.config.base_url_for(&plugin.manifest.id)
}

/// `ctx` with the deployment's base URL added (for per-deployment connectors).
pub fn context(app: &App, plugin: &LoadedPlugin, ctx: &CallContext) -> CallContext {
    let mut ctx = ctx.clone();
    if let Some(base) = base_url(app, plugin) {
        ctx.metadata
            .insert(BASE_URL_KEY.to_string(), base.to_string());
    }
    ctx
}

/// Where a call may send requests: the declared hosts, plus the deployment's origin.
pub fn allow(app: &App, plugin: &LoadedPlugin) -> Arc<AllowList> {
    let Some(origin) = base_url(app, plugin)
        .and_then(|b| url::Url::parse(b).ok())
        .map(|u| u.origin().ascii_serialization())
    else {
        return plugin.allow.clone();
    };
    let mut entries = plugin.manifest.allowed_hosts.clone();
    entries.push(origin);
    match AllowList::parse(&entries) {
        Ok(list) => Arc::new(list),
        Err(e) => {
            tracing::warn!(connector = %plugin.manifest.id, error = %e, "the deployment's base URL is not a usable origin");
            plugin.allow.clone()
        }
    }
}
