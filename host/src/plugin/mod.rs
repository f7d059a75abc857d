//! Connector plugins: WebAssembly components run by wasmtime, one fresh instance per call.
//! All of wasmtime's API lives behind this module; the rest of the host sees `types`.

mod bindings;
pub mod engine;
pub mod error;
mod host;
mod invoke;
pub mod limits;
pub mod manifest;
pub mod registry;
pub mod types;
mod version;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use crate::egress::AllowList;

pub use engine::EngineSettings;
pub use error::{CallFailure, LoadError};
pub use host::{NoOutbound, Outbound};
pub use limits::PluginLimits;
pub use registry::Registry;
pub use types::*;

use bindings::{Connector, ConnectorPre};
use host::CallState;

/// A compiled, validated plugin, ready to instantiate. Immutable: a new version is a new value.
pub struct LoadedPlugin {
    pub manifest: Manifest,
    /// SHA-256 of the component bytes.
    pub hash: String,
    pub source: Option<PathBuf>,
    pub limits: PluginLimits,
    /// Where the connector may send requests, parsed from its manifest.
    pub allow: Arc<AllowList>,
    validators: HashMap<String, jsonschema::Validator>,
    pre: ConnectorPre<CallState>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    /// The tool named `name`, if the connector declares it.
    pub fn tool(&self, name: &str) -> Option<&ToolSpec> {
        self.manifest.tools.iter().find(|t| t.name == name)
    }

    /// Validate `input` against the tool's JSON Schema; the messages say where and why.
    pub fn validate_input(&self, tool: &str, input: &serde_json::Value) -> Result<(), Vec<String>> {
        let Some(validator) = self.validators.get(tool) else {
            return Err(vec![format!("unknown tool {tool:?}")]);
        };
        let errors: Vec<String> = validator
            .iter_errors(input)
            .take(10)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The wasmtime engine, the linker every plugin is linked with, and the instance budget.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    instances: Arc<Semaphore>,
    pooling: bool,
}

impl PluginRuntime {
    /// Build the engine (pooling if possible), the linker (our imports plus an empty WASI),
    /// and start the epoch ticker.
    pub fn new(settings: &EngineSettings) -> Result<PluginRuntime, LoadError> {
        let (engine, pooling) =
            engine::build(settings).map_err(|e| LoadError::Link(e.to_string()))?;
        let mut linker = Linker::<CallState>::new(&engine);
        // A std Rust guest imports a few WASI interfaces even when it uses none: link them all
        // against an empty context (no files, env, sockets) rather than a hand-picked subset.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| LoadError::Link(e.to_string()))?;
        Connector::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)
            .map_err(|e| LoadError::Link(e.to_string()))?;
        engine::start_epoch_ticker(&engine)
            .map_err(|e| LoadError::Link(format!("epoch ticker: {e}")))?;
        Ok(PluginRuntime {
            engine,
            linker,
            instances: Arc::new(Semaphore::new(settings.max_instances as usize)),
            pooling,
        })
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// Compile, check and describe a plugin. Compilation runs off the async workers.
    /// `limits_for` picks the limits once the connector's id is known.
    pub async fn load(
        &self,
        bytes: Vec<u8>,
        source: Option<PathBuf>,
        limits_for: impl Fn(&str) -> PluginLimits,
    ) -> Result<Arc<LoadedPlugin>, LoadError> {
        let hash = hex::encode(Sha256::digest(&bytes));
        let engine = self.engine.clone();
        let linker = self.linker.clone();
        let pre =
            tokio::task::spawn_blocking(move || -> Result<ConnectorPre<CallState>, LoadError> {
                let component = Component::new(&engine, &bytes)
                    .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
                version::check(&engine, &component)?;
                let instance_pre = linker
                    .instantiate_pre(&component)
                    .map_err(|e| LoadError::Link(format!("{e:#}")))?;
                ConnectorPre::new(instance_pre).map_err(|e| LoadError::Link(format!("{e:#}")))
            })
            .await
            .map_err(|_| LoadError::Compile("compilation panicked".into()))??;

        // Describe with default limits and no network, then re-label with the real limits.
        let probe = Arc::new(LoadedPlugin {
            manifest: Manifest {
                id: "(loading)".into(),
                name: String::new(),
                version: String::new(),
                description: String::new(),
                auth: vec![],
                allowed_hosts: vec![],
                setup_instructions: String::new(),
                tools: vec![],
            },
            hash: hash.clone(),
            source: source.clone(),
            limits: PluginLimits::default(),
            allow: Arc::new(AllowList::default()),
            validators: HashMap::new(),
            pre: pre.clone(),
            permits: Arc::new(Semaphore::new(1)),
        });
        let raw = invoke::run(
            &probe,
            &self.instances,
            Arc::new(NoOutbound),
            "describe",
            |store, c| c.latchkey_connector_plugin().call_describe(store),
        )
        .await
        .map_err(LoadError::Describe)?;
        let manifest = Manifest::from_wit(raw).map_err(LoadError::InvalidManifest)?;
        manifest::validate(&manifest).map_err(LoadError::InvalidManifest)?;
        let allow = AllowList::parse(&manifest.allowed_hosts)
            .map_err(|e| LoadError::InvalidManifest(e.to_string()))?;

        let mut validators = HashMap::new();
        for tool in &manifest.tools {
            let v = jsonschema::validator_for(&tool.input_schema)
                .map_err(|e| LoadError::InvalidManifest(format!("tool {:?}: {e}", tool.name)))?;
            validators.insert(tool.name.clone(), v);
        }
        let limits = limits_for(&manifest.id);
        Ok(Arc::new(LoadedPlugin {
            permits: Arc::new(Semaphore::new(limits.max_concurrent_calls.max(1))),
            manifest,
            hash,
            source,
            limits,
            allow: Arc::new(allow),
            validators,
            pre,
        }))
    }

    /// Run a tool. The outer error is a failure of the plugin itself; the inner one is the
    /// tool's own error report.
    pub async fn call_tool(
        &self,
        plugin: &Arc<LoadedPlugin>,
        ctx: &CallContext,
        tool: &str,
        input: String,
        outbound: Arc<dyn Outbound>,
    ) -> Result<Result<serde_json::Value, CallError>, CallFailure> {
        let wit_ctx = bindings::latchkey::connector::types::CallContext::from(ctx);
        let name = tool.to_string();
        let max_output = plugin.limits.max_output_bytes;
        let raw = invoke::run(plugin, &self.instances, outbound, tool, move |store, c| {
            c.latchkey_connector_plugin()
                .call_call_tool(store, &wit_ctx, &name, &input)
        })
        .await?;
        match raw {
            Ok(text) => {
                if text.len() > max_output {
                    return Err(CallFailure::OutputTooLarge(max_output));
                }
                serde_json::from_str(&text)
                    .map(Ok)
                    .map_err(|e| CallFailure::InvalidOutput(e.to_string()))
            }
            Err(e) => Ok(Err(CallError::from(e))),
        }
    }

    /// Ask the connector who the credential belongs to.
    pub async fn verify(
        &self,
        plugin: &Arc<LoadedPlugin>,
        ctx: &CallContext,
        outbound: Arc<dyn Outbound>,
    ) -> Result<Result<Identity, CallError>, CallFailure> {
        let wit_ctx = bindings::latchkey::connector::types::CallContext::from(ctx);
        let raw = invoke::run(
            plugin,
            &self.instances,
            outbound,
            "verify",
            move |store, c| c.latchkey_connector_plugin().call_verify(store, &wit_ctx),
        )
        .await?;
        Ok(raw.map(Identity::from).map_err(CallError::from))
    }

    /// Let the connector pick non-secret metadata out of a token response (secrets removed).
    pub async fn connection_metadata(
        &self,
        plugin: &Arc<LoadedPlugin>,
        token_response: String,
    ) -> Result<Result<Vec<(String, String)>, CallError>, CallFailure> {
        let raw = invoke::run(
            plugin,
            &self.instances,
            Arc::new(NoOutbound),
            "connection-metadata",
            move |store, c| {
                c.latchkey_connector_plugin()
                    .call_connection_metadata(store, &token_response)
            },
        )
        .await?;
        Ok(raw.map_err(CallError::from))
    }
}
