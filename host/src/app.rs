//! The running gateway's shared state, and how it is assembled from the configuration.

use std::sync::Arc;

use crate::config::Config;
use crate::egress::{Egress, EgressSettings};
use crate::hotload::PluginManager;
use crate::plugin::{CacheSettings, EngineSettings, PluginRuntime, Registry};
use crate::vault::{MasterKey, Vault};

/// Why the gateway could not start; each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error("plugin runtime: {0}")]
    Runtime(#[from] crate::plugin::LoadError),
    #[error("egress: {0}")]
    Egress(String),
    #[error("cannot read the plugins folder {path}: {source}")]
    PluginsFolder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Everything a request handler needs.
pub struct App {
    pub config: Config,
    pub vault: Vault,
    pub runtime: Arc<PluginRuntime>,
    pub registry: Arc<Registry>,
    pub egress: Arc<Egress>,
    /// Loads, swaps and unloads plugins (the only writer of `registry`).
    pub plugins: Arc<PluginManager>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

/// Egress settings from the configuration file's `[egress]` table.
pub fn egress_settings(config: &Config) -> EgressSettings {
    let c = &config.egress;
    EgressSettings {
        allow_private_addresses: c.allow_private_addresses,
        overrides: c.overrides.clone(),
        default_timeout: std::time::Duration::from_millis(c.default_timeout_ms),
        max_timeout: std::time::Duration::from_millis(c.max_timeout_ms),
        max_request_body_bytes: c.max_request_bytes,
        max_response_body_bytes: c.max_response_bytes,
        max_redirects: c.max_redirects as usize,
        ..EgressSettings::default()
    }
}

/// Open the vault with the master key from the environment or its file.
pub async fn open_vault(config: &Config) -> Result<Vault, StartError> {
    let env_key = std::env::var("LATCHKEY_MASTER_KEY").ok();
    let (master, created) = MasterKey::load_or_create(env_key.as_deref(), &config.master_key_file)?;
    if created {
        tracing::warn!(
            path = %config.master_key_file.display(),
            key_id = master.id(),
            "created a new master key; back it up: without it the vault cannot be opened"
        );
    }
    Ok(Vault::open(&config.database, master).await?)
}

/// Where compiled plugins are cached, and the key (derived from the master key) that
/// authenticates the entries.
fn cache_settings(config: &Config) -> Result<CacheSettings, StartError> {
    let env_key = std::env::var("LATCHKEY_MASTER_KEY").ok();
    let (master, _) = MasterKey::load_or_create(env_key.as_deref(), &config.master_key_file)?;
    let key = crate::hotload::cache_key::derive(&master).ok_or_else(|| {
        StartError::Runtime(crate::plugin::LoadError::Compile(
            "cannot derive the artifact cache key".into(),
        ))
    })?;
    Ok(CacheSettings {
        dir: config.data_dir.join("plugin-cache"),
        key,
    })
}

impl App {
    /// Open the vault, build the plugin runtime, load the plugins folder.
    pub async fn start(config: Config) -> Result<Arc<App>, StartError> {
        crate::egress::install_crypto_provider();
        let vault = open_vault(&config).await?;
        let mut runtime = PluginRuntime::new(&EngineSettings {
            max_instances: config.engine.max_instances,
            max_memory_bytes: config.engine.max_memory_bytes,
            pooling: config.engine.pooling,
        })?;
        if config.hotload.cache {
            runtime = runtime.with_cache(cache_settings(&config)?)?;
        }
        let runtime = Arc::new(runtime);
        let egress = Arc::new(
            Egress::new(egress_settings(&config)).map_err(|e| StartError::Egress(e.to_string()))?,
        );
        let registry = Arc::new(Registry::new());
        let limits_config = config.clone();
        let plugins = Arc::new(
            PluginManager::new(
                runtime.clone(),
                registry.clone(),
                Arc::new(move |id: &str| limits_config.limits_for(id)),
                config.plugins_dir.clone(),
                Some(config.data_dir.join("plugin-state")),
            )
            .map_err(|source| StartError::PluginsFolder {
                path: config.data_dir.join("plugin-state"),
                source,
            })?,
        );
        if config.plugins_dir.exists() {
            let (loaded, refused) =
                plugins
                    .load_folder()
                    .await
                    .map_err(|source| StartError::PluginsFolder {
                        path: config.plugins_dir.clone(),
                        source,
                    })?;
            tracing::info!(
                loaded,
                refused,
                pooling = runtime.pooling(),
                "plugins ready"
            );
            if config.hotload.poll_interval_ms > 0 {
                crate::hotload::watch::spawn(
                    &plugins,
                    std::time::Duration::from_millis(config.hotload.poll_interval_ms),
                );
            }
        } else {
            tracing::warn!(path = %config.plugins_dir.display(), "plugins folder does not exist; no connectors loaded");
        }
        Ok(Arc::new(App {
            config,
            vault,
            runtime,
            registry,
            egress,
            plugins,
        }))
    }
}
