//! Connector plugins: WebAssembly components run by wasmtime, one fresh instance per call.
//! All of wasmtime's API lives behind this module; the rest of the host sees `types`.

mod bindings;
mod cache;
pub mod engine;
pub mod error;
mod host;
mod invoke;
pub mod limits;
pub mod manifest;
pub mod metrics;
pub mod registry;
pub mod types;
mod version;

pub mod hotload;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use latchkey_egress::AllowList;

pub use cache::CacheSettings;
pub use engine::EngineSettings;
pub use error::{CallFailure, LoadError};
pub use host::{NoOutbound, Outbound};
pub use limits::PluginLimits;
pub use metrics::{MetricsSnapshot, Outcome, PluginMetrics};
pub use registry::Registry;
pub use types::*;

use bindings::{Connector, ConnectorPre};
use cache::{ArtifactCache, Lookup};
use host::CallState;

/// How a plugin's native code was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeOrigin {
    /// Compiled from the module bytes now.
    Compiled,
    /// Deserialized from an authenticated entry of the artifact cache.
    Cache,
}

/// What `PluginRuntime::load_with` needs besides the bytes.
pub struct LoadOptions<'a> {
    /// The file the plugin came from, if any.
    pub source: Option<PathBuf>,
    /// Limits for a connector id (known only after `describe`).
    pub limits_for: &'a (dyn Fn(&str) -> PluginLimits + Send + Sync),
    /// The metrics a connector id's calls are counted in (shared across its versions).
    pub metrics_for: &'a (dyn Fn(&str) -> Arc<PluginMetrics> + Send + Sync),
}

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
    /// Where the native code came from (compiled now, or the cache).
    pub code_origin: CodeOrigin,
    /// Calls into this connector id, across versions.
    pub metrics: Arc<PluginMetrics>,
    in_flight: AtomicUsize,
    pre: ConnectorPre<CallState>,
    permits: Arc<Semaphore>,
}

/// Counts an instance as live on one plugin version until dropped: it travels with the store
/// onto the blocking thread, so the count is what runs, not what an agent still waits for.
struct InFlight(Arc<LoadedPlugin>);

impl InFlight {
    fn enter(plugin: &Arc<LoadedPlugin>) -> Self {
        plugin.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(plugin.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
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
    /// Calls running on this version right now (a replaced version drains to zero).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

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

/// The component for `bytes`: an authenticated cache entry if there is one, else compiled
/// now (and stored). A cache entry that fails authentication or deserialization is deleted,
/// never trusted.
fn component_for(
    engine: &Engine,
    cache: Option<&ArtifactCache>,
    module_hash: &str,
    bytes: &[u8],
) -> Result<(Component, CodeOrigin), LoadError> {
    if let Some(cache) = cache {
        match cache.get(module_hash) {
            Lookup::Hit(artifact) => {
                // SAFETY: the entry carries a valid HMAC under a key only this gateway holds, so
                // this gateway serialized it from a component it compiled itself; wasmtime
                // checks that the artifact matches this engine's version and settings.
                match unsafe { Component::deserialize(engine, &artifact) } {
                    Ok(component) => return Ok((component, CodeOrigin::Cache)),
                    Err(e) => {
                        tracing::warn!(module = %module_hash, error = %e, "cached artifact did not load; recompiling");
                        cache.remove(module_hash);
                    }
                }
            }
            Lookup::Miss => {}
            Lookup::Rejected(why) => {
                tracing::warn!(module = %module_hash, reason = %why, "cache entry refused and deleted; recompiling");
            }
        }
    }
    let component =
        Component::new(engine, bytes).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
    if let Some(cache) = cache {
        match component.serialize() {
            Ok(artifact) => {
                if let Err(e) = cache.put(module_hash, &artifact) {
                    tracing::warn!(module = %module_hash, error = %e, "cannot write the artifact cache");
                }
            }
            Err(e) => {
                tracing::warn!(module = %module_hash, error = %e, "cannot serialize a compiled plugin")
            }
        }
    }
    Ok((component, CodeOrigin::Compiled))
}

/// The wasmtime engine, the linker every plugin is linked with, and the instance budget.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    instances: Arc<Semaphore>,
    pooling: bool,
    cache: Option<Arc<ArtifactCache>>,
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
            cache: None,
        })
    }

    /// Keep compiled artifacts in `settings.dir`, authenticated with `settings.key`.
    pub fn with_cache(mut self, settings: CacheSettings) -> Result<Self, LoadError> {
        let engine_hash = cache::engine_hash(self.engine.precompile_compatibility_hash());
        let dir = settings.dir.clone();
        let cache = ArtifactCache::open(settings, engine_hash)
            .map_err(|source| LoadError::Io { path: dir, source })?;
        self.cache = Some(Arc::new(cache));
        Ok(self)
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// Compile, check and describe a plugin, with fresh metrics.
    /// `limits_for` picks the limits once the connector's id is known.
    pub async fn load(
        &self,
        bytes: Vec<u8>,
        source: Option<PathBuf>,
        limits_for: impl Fn(&str) -> PluginLimits + Send + Sync,
    ) -> Result<Arc<LoadedPlugin>, LoadError> {
        let fresh = |_: &str| Arc::new(PluginMetrics::default());
        self.load_with(
            bytes,
            LoadOptions {
                source,
                limits_for: &limits_for,
                metrics_for: &fresh,
            },
        )
        .await
    }

    /// Compile (or take from the cache), check and describe a plugin. Compilation runs off
    /// the async workers.
    pub async fn load_with(
        &self,
        bytes: Vec<u8>,
        options: LoadOptions<'_>,
    ) -> Result<Arc<LoadedPlugin>, LoadError> {
        let LoadOptions {
            source,
            limits_for,
            metrics_for,
        } = options;
        let hash = hex::encode(Sha256::digest(&bytes));
        let engine = self.engine.clone();
        let linker = self.linker.clone();
        let cache = self.cache.clone();
        let module_hash = hash.clone();
        let (pre, code_origin) = tokio::task::spawn_blocking(
            move || -> Result<(ConnectorPre<CallState>, CodeOrigin), LoadError> {
                let (component, origin) =
                    component_for(&engine, cache.as_deref(), &module_hash, &bytes)?;
                version::check(&engine, &component)?;
                let instance_pre = linker
                    .instantiate_pre(&component)
                    .map_err(|e| LoadError::Link(format!("{e:#}")))?;
                let pre = ConnectorPre::new(instance_pre)
                    .map_err(|e| LoadError::Link(format!("{e:#}")))?;
                Ok((pre, origin))
            },
        )
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
            code_origin,
            metrics: Arc::new(PluginMetrics::default()),
            in_flight: AtomicUsize::new(0),
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
            metrics: metrics_for(&manifest.id),
            permits: Arc::new(Semaphore::new(limits.max_concurrent_calls.max(1))),
            manifest,
            hash,
            source,
            limits,
            allow: Arc::new(allow),
            validators,
            code_origin,
            in_flight: AtomicUsize::new(0),
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
        let started = Instant::now();
        let wit_ctx = bindings::latchkey::connector::types::CallContext::from(ctx);
        let name = tool.to_string();
        let max_output = plugin.limits.max_output_bytes;
        let raw = invoke::run(plugin, &self.instances, outbound, tool, move |store, c| {
            c.latchkey_connector_plugin()
                .call_call_tool(store, &wit_ctx, &name, &input)
        })
        .await;
        let result = match raw {
            Err(failure) => Err(failure),
            Ok(Err(e)) => Ok(Err(CallError::from(e))),
            Ok(Ok(text)) if text.len() > max_output => Err(CallFailure::OutputTooLarge(max_output)),
            // serde_json stops at 128 levels of nesting: deep output is an error, not a crash.
            Ok(Ok(text)) => serde_json::from_str(&text)
                .map(Ok)
                .map_err(|e| CallFailure::InvalidOutput(e.to_string())),
        };
        record(plugin, started, &result);
        result
    }

    /// Ask the connector who the credential belongs to.
    pub async fn verify(
        &self,
        plugin: &Arc<LoadedPlugin>,
        ctx: &CallContext,
        outbound: Arc<dyn Outbound>,
    ) -> Result<Result<Identity, CallError>, CallFailure> {
        let started = Instant::now();
        let wit_ctx = bindings::latchkey::connector::types::CallContext::from(ctx);
        let raw = invoke::run(
            plugin,
            &self.instances,
            outbound,
            "verify",
            move |store, c| c.latchkey_connector_plugin().call_verify(store, &wit_ctx),
        )
        .await;
        let result = raw.map(|r| r.map(Identity::from).map_err(CallError::from));
        record(plugin, started, &result);
        result
    }

    /// Let the connector pick non-secret metadata out of a token response (secrets removed).
    pub async fn connection_metadata(
        &self,
        plugin: &Arc<LoadedPlugin>,
        token_response: String,
    ) -> Result<Result<Vec<(String, String)>, CallError>, CallFailure> {
        let started = Instant::now();
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
        .await;
        let result = raw.map(|r| r.map_err(CallError::from));
        record(plugin, started, &result);
        result
    }
}

/// Count one finished invocation in the connector's metrics.
fn record<T>(
    plugin: &LoadedPlugin,
    started: Instant,
    result: &Result<Result<T, CallError>, CallFailure>,
) {
    let outcome = match result {
        Ok(Ok(_)) => Outcome::Ok,
        Ok(Err(_)) => Outcome::ToolError,
        Err(failure) => Outcome::of_failure(failure),
    };
    plugin.metrics.record(outcome, started.elapsed());
}
