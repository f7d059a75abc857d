//! The auth test kit (`latchkey check`): before a connector reaches production, drive it
//! through the auth behaviours that break in production, against the fake provider, and say
//! what a connector author or operator must fix.
//!
//! A crate of its own (binary `latchkey-check`, which `latchkey check` runs), so the gateway
//! never links the fake provider. For each plugin the kit starts a fake provider and a
//! gateway in-process through the gateway's one public constructor (a temporary folder, its
//! own SQLite vault and master key, egress routed to the fake with private addresses allowed,
//! the kit's egress log as the outbound observer), and acts as agent, user and operator over
//! the gateway's real HTTP API on loopback: tool calls as an agent, consent through the
//! connect page and the provider's authorize endpoint as a browser would ([`scripted_browser`]),
//! the operator API for keys, connect links, service accounts, connections and alerts.
//! Bundled connectors meet the fake's realistic apps ([`bundled`]); any other connector meets
//! its generic app, which every origin it declares is routed to ([`upstream`]).
//!
//! Scenarios by auth scheme ([`scenarios`]):
//!
//! | scheme | cases |
//! | --- | --- |
//! | OAuth 2.0 | the first call asks to connect; consent grants the tools' scopes; each tool's sample call works; refresh; an expired access token refreshed transparently; rotation and single-flight; clock skew ahead and behind; `invalid_grant` → `needs_reauth` + one alert; a removed scope → `insufficient_scope` + a drift alert; 429 at the token endpoint → back off, no alert |
//! | API key, basic | the first call asks to connect; the connect page checks the credential with the app; the calls work; a revoked key → `needs_reauth` + one alert |
//! | service account | a token from a signed assertion (or client credentials), reused; a new one after expiry |
//!
//! Plus the scenario files' sequences ([`scenario_file`]) and the mistake checks
//! ([`lints`]). Results: [`report`] (terminal and JSON) and [`junit`].

pub mod alert_inbox;
pub mod bundled;
pub mod client;
pub mod egress_log;
pub mod junit;
pub mod lints;
pub mod report;
pub mod sample;
pub mod scenario_file;
pub mod scenarios;
pub mod stack;
pub mod upstream;
pub mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use latchkey::plugin::{AuthScheme, EngineSettings, LoadedPlugin, PluginLimits, PluginRuntime};
use report::{ConnectorReport, Report, millis};
use scenario_file::{ScenarioFile, ScenarioFileError};
use scenarios::Run;
use scenarios::static_keys::Kind;
use stack::Stack;
use upstream::Upstream;

/// Why a plugin could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} was refused: {reason}")]
    Refused { path: PathBuf, reason: String },
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Scenarios(#[from] ScenarioFileError),
}

/// What to check besides the built-in scenarios.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The teams' scenario files, merged.
    pub scenarios: ScenarioFile,
    /// Only these tools (agent-facing `<connector>_<tool>` names, e.g. a pack's); all when
    /// `None`. A plugin with none of them is not checked.
    pub tools: Option<Vec<String>>,
}

/// Compile `file` and ask it to describe itself (no gateway yet).
async fn describe(runtime: &PluginRuntime, file: &Path) -> Result<Arc<LoadedPlugin>, CheckError> {
    let bytes = std::fs::read(file).map_err(|source| CheckError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    runtime
        .load(bytes, Some(file.to_path_buf()), |_| PluginLimits::default())
        .await
        .map_err(|e| CheckError::Refused {
            path: file.to_path_buf(),
            reason: e.to_string(),
        })
}

/// The runtime used to read manifests.
fn inspector() -> Result<PluginRuntime, CheckError> {
    PluginRuntime::new(&EngineSettings {
        pooling: false,
        ..EngineSettings::default()
    })
    .map_err(|e| CheckError::Setup(format!("the Wasm runtime: {e}")))
}

/// Check every plugin in `files`; a plugin that cannot be checked is reported as an error.
pub async fn check_files(files: &[PathBuf], options: &Options) -> Report {
    let mut report = Report::default();
    let runtime = match inspector() {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(e.to_string());
            return report;
        }
    };
    for file in files {
        match check_with(&runtime, file, options).await {
            Ok(Some(c)) => report.connectors.push(c),
            Ok(None) => {}
            Err(e) => report.errors.push(e.to_string()),
        }
    }
    report
}

/// Check one plugin file.
pub async fn check_file(file: &Path, options: &Options) -> Result<Report, CheckError> {
    let runtime = inspector()?;
    let mut report = Report::default();
    if let Some(c) = check_with(&runtime, file, options).await? {
        report.connectors.push(c);
    }
    Ok(report)
}

async fn check_with(
    runtime: &PluginRuntime,
    file: &Path,
    options: &Options,
) -> Result<Option<ConnectorReport>, CheckError> {
    let started = Instant::now();
    let described = describe(runtime, file).await?;
    let manifest = described.manifest.clone();
    let tools: Vec<_> = manifest
        .tools
        .iter()
        .filter(|t| {
            options.tools.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|n| *n == format!("{}_{}", manifest.id, t.name))
            })
        })
        .cloned()
        .collect();
    if tools.is_empty() && options.tools.is_some() {
        return Ok(None);
    }
    let mut scenarios = options.scenarios.for_connector(&manifest.id);
    let upstream = Upstream::start(&manifest, &scenarios).await?;
    if let Some(builtin) = upstream.builtin_samples() {
        let mut merged = builtin.clone();
        merged.merge(ScenarioFile {
            connectors: [(manifest.id.clone(), scenarios)].into(),
        });
        scenarios = merged.for_connector(&manifest.id);
    }
    let names: Vec<String> = tools
        .iter()
        .map(|t| format!("{}_{}", manifest.id, t.name))
        .collect();
    let stack = match Stack::start(file, described, &upstream.overrides, &names).await {
        Ok(s) => s,
        Err(e) => {
            upstream.shutdown().await;
            return Err(e);
        }
    };
    let result = drive(&stack, &upstream, scenarios, tools).await;
    let notes = upstream.notes.clone();
    let provider = upstream.provider.clone();
    stack.shutdown().await;
    upstream.shutdown().await;
    let cases = result?;
    Ok(Some(ConnectorReport {
        id: manifest.id.clone(),
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        source: Some(file.display().to_string()),
        provider,
        notes,
        cases,
        duration_ms: millis(started.elapsed()),
    }))
}

/// Configure the gateway's OAuth client, then run every scenario that applies.
async fn drive(
    stack: &Stack,
    upstream: &Upstream,
    scenarios: scenario_file::ConnectorScenarios,
    tools: Vec<latchkey::plugin::ToolSpec>,
) -> Result<Vec<report::Case>, CheckError> {
    let manifest = &stack.plugin.manifest;
    let oauth = manifest.auth.iter().find_map(|s| match s {
        AuthScheme::Oauth2(o) => Some(o.as_ref()),
        _ => None,
    });
    if let Some(oauth) = oauth {
        let redirect = stack.running.redirect_uri(&manifest.id);
        let (client_id, secret) = upstream.register_client(oauth, &redirect)?;
        let answer = stack
            .gateway
            .admin(
                reqwest::Method::PUT,
                &format!("/v1/admin/providers/{}", manifest.id),
                Some(&json!({"client_id": client_id, "client_secret": secret})),
            )
            .await
            .map_err(|f| CheckError::Setup(f.0))?;
        if answer.status != 200 {
            return Err(CheckError::Setup(format!(
                "configuring the OAuth client answered {}",
                answer.summary()
            )));
        }
    }
    let run = Run::new(stack, upstream, scenarios, tools);
    // User-facing schemes first (the first declared leads), service accounts last: the
    // leading scheme's connection runs the per-tool cases and the sequences.
    let mut schemes: Vec<&AuthScheme> = manifest.auth.iter().collect();
    schemes.sort_by_key(|s| matches!(s, AuthScheme::ServiceAccount(_)));
    let mut deferred_failures = false;
    for (i, scheme) in schemes.into_iter().enumerate() {
        let primary = i == 0;
        let connected = match scheme {
            AuthScheme::Oauth2(_) => {
                let c = scenarios::oauth::all(&run, primary).await;
                if primary {
                    deferred_failures = true;
                } else {
                    scenarios::failures::all(&run).await;
                }
                c
            }
            AuthScheme::ApiKey(_) => scenarios::static_keys::all(&run, Kind::ApiKey, primary).await,
            AuthScheme::Basic(_) => scenarios::static_keys::all(&run, Kind::Basic, primary).await,
            AuthScheme::ServiceAccount(sa) => {
                scenarios::service_account::all(&run, sa, primary).await
            }
        };
        if primary {
            // The sequences run on the main connection before any scenario can withdraw a
            // scope from the person it belongs to.
            let (user, vars) = match &connected {
                Some((u, v)) => (Some(u.as_str()), v.clone()),
                None => (None, sample::Vars::new()),
            };
            scenarios::sequences::all(&run, user, &vars).await;
            if deferred_failures {
                scenarios::failures::all(&run).await;
            }
        }
    }
    lints::all(&run).await;
    Ok(run.cases())
}
