//! Least privilege: which tools a caller may use (its packs), which user it acts for (a
//! session's user, never the request body's), and which scopes each connector is asked for
//! (what the pack's tools need, not everything the connector could ask).

use std::collections::{BTreeMap, BTreeSet};

use crate::app::App;
use crate::plugin::Registry;
use crate::vault::catalog::Pack;
use crate::vault::{ApiKeyRecord, KeyKind, VaultError};

/// The tools a caller may use.
#[derive(Debug, Clone)]
pub enum ToolScope {
    /// An agent key created with `--all-tools`.
    All,
    /// The union of the caller's packs.
    Only(BTreeSet<String>),
}

impl ToolScope {
    /// Whether `tool` (`<connector>_<tool>`) is allowed.
    pub fn allows(&self, tool: &str) -> bool {
        match self {
            ToolScope::All => true,
            ToolScope::Only(set) => set.contains(tool),
        }
    }
}

/// Load the packs named by `names` (unknown names contribute nothing).
pub async fn load_packs(app: &App, names: &[String]) -> Result<Vec<Pack>, VaultError> {
    app.vault.catalog().get_packs(names).await
}

/// What `key` (an agent key or a session) may call.
pub async fn tool_scope(app: &App, key: &ApiKeyRecord) -> Result<ToolScope, VaultError> {
    match &key.packs {
        None => Ok(ToolScope::All),
        Some(names) => Ok(ToolScope::Only(
            load_packs(app, names)
                .await?
                .into_iter()
                .flat_map(|p| p.tools)
                .collect(),
        )),
    }
}

/// The user a tool call acts for: a session's own user; an agent key names one in the body.
pub fn acting_user(key: &ApiKeyRecord, from_body: Option<&str>) -> Result<String, &'static str> {
    match key.kind {
        KeyKind::Session => {
            let bound = key
                .user_id
                .as_deref()
                .ok_or("this session is not bound to a user")?;
            match from_body {
                Some(other) if other != bound => Err("a user session acts only for its own user"),
                _ => Ok(bound.to_string()),
            }
        }
        _ => from_body
            .map(str::to_string)
            .ok_or("user_id is required (or call with a user session)"),
    }
}

/// Whether `key` may see a connect or pack flow of `owner` (its status and links, which
/// let whoever holds them connect an account as that owner). A user session sees only its own
/// user's; an agent key acts for the users it names, so it sees theirs.
pub fn may_see_flow_of(key: &ApiKeyRecord, owner: &crate::vault::Owner) -> bool {
    match key.kind {
        KeyKind::Session => matches!(
            (owner, key.user_id.as_deref()),
            (crate::vault::Owner::User(u), Some(bound)) if u == bound
        ),
        _ => true,
    }
}

/// The agent key accountable for `key` (a session's minting key, or the key itself).
pub fn accountable_agent(key: &ApiKeyRecord) -> &str {
    key.parent_id.as_deref().unwrap_or(&key.id)
}

/// For each connector of `tools`, the union of the scopes those tools require.
pub fn scopes_by_connector<'a>(
    registry: &Registry,
    tools: impl IntoIterator<Item = &'a String>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in tools {
        if let Some((plugin, spec)) = registry.resolve_tool(name) {
            out.entry(plugin.manifest.id.clone())
                .or_default()
                .extend(spec.required_scopes.iter().cloned());
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect()
}

/// Scopes to request for `connector` on behalf of a caller with `scope`: every scope its
/// allowed tools of that connector need (so one consent covers the pack), or just
/// `fallback` (the tool at hand) for unrestricted keys.
pub fn consent_scopes(
    registry: &Registry,
    scope: &ToolScope,
    connector: &str,
    fallback: &[String],
) -> Vec<String> {
    match scope {
        ToolScope::All => fallback.to_vec(),
        ToolScope::Only(tools) => scopes_by_connector(registry, tools.iter())
            .remove(connector)
            .unwrap_or_default(),
    }
}
