//! The running gateway's shared state, and how it is assembled from the configuration.

use std::sync::Arc;

use secrecy::ExposeSecret;

use crate::auth::oauth::refresh::Refresher;
use crate::config::Config;
use crate::egress::{Egress, EgressSettings};
use crate::hotload::PluginManager;
use crate::plugin::{CacheSettings, EngineSettings, PluginRuntime, Registry};
use crate::toolcall::tap::OutboundTap;
use crate::vault::sqlite::{SqliteBackend, SqliteOptions};
use crate::vault::{Backend, MasterKey, Vault};

/// What a program starting a gateway decides beyond the configuration file. The default is a
/// production gateway: the deployment's master key and no observer.
#[derive(Default)]
pub struct StartOptions {
    /// Use this master key instead of `LATCHKEY_MASTER_KEY` or the key file (a throwaway
    /// gateway, such as the auth test kit's, must never use the deployment's key).
    pub master_key: Option<MasterKey>,
    /// Told about every request a plugin makes (the auth test kit records egress with it).
    /// Given once, here: nothing can install one on a running gateway.
    pub outbound_tap: Option<Arc<dyn OutboundTap>>,
}

impl std::fmt::Debug for StartOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartOptions")
            .field("master_key", &self.master_key)
            .field("outbound_tap", &self.outbound_tap.is_some())
            .finish()
    }
}

/// Why the gateway could not start; each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error("plugin runtime: {0}")]
    Runtime(#[from] crate::plugin::LoadError),
    #[error("egress: {0}")]
    Egress(String),
    #[error(transparent)]
    Alerts(#[from] crate::alerts::DestinationError),
    #[error("provider config for {connector}: {reason}")]
    Provider { connector: String, reason: String },
    #[error("cannot read the listening address: {source}")]
    Listen { source: std::io::Error },
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
    /// Single-flight locks and backoff for token refresh.
    pub refresher: Refresher,
    /// Wakes agents waiting on a connect session.
    pub sessions_changed: tokio::sync::Notify,
    /// Alert destinations and delivery.
    pub alerts: crate::alerts::Alerts,
    /// Wakes job workers (new or resumed jobs) and agents waiting on a job.
    pub jobs_wake: tokio::sync::Notify,
    pub jobs_changed: tokio::sync::Notify,
    /// Observer of plugins' outgoing requests, given at start ([`StartOptions::outbound_tap`]).
    pub(crate) outbound_tap: Option<Arc<dyn OutboundTap>>,
    /// Moves when the tools on offer may have changed (MCP `tools/list_changed`).
    pub tool_changes: Arc<crate::mcp::changes::ToolChanges>,
    /// Authorization-server metadata per issuer (RFC 8414 / OpenID discovery).
    pub discovery: crate::auth::oauth::discovery::MetadataCache,
    public_base: String,
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

/// The master key from `LATCHKEY_MASTER_KEY` or its file (created, mode 0600, on first run).
pub fn load_master_key(config: &Config) -> Result<MasterKey, StartError> {
    let env_key = crate::secret_env::var("LATCHKEY_MASTER_KEY");
    let (master, created) = MasterKey::load_or_create(
        env_key.as_ref().map(|k| k.expose_secret()),
        &config.master_key_file,
    )?;
    if created {
        tracing::warn!(
            path = %config.master_key_file.display(),
            key_id = master.id(),
            "created a new master key; back it up: without it the vault cannot be opened"
        );
    }
    Ok(master)
}

/// Open the vault with the master key from the environment or its file.
pub async fn open_vault(config: &Config) -> Result<Vault, StartError> {
    open_vault_with(config, load_master_key(config)?).await
}

/// The storage backend the configuration names: SQLite (the embedded default), with the
/// database settings applied.
pub async fn open_backend(config: &Config) -> Result<Arc<dyn Backend>, StartError> {
    Ok(SqliteBackend::open_shared(
        &config.database,
        SqliteOptions {
            max_size_bytes: config.vault.max_size_bytes,
            plugin_dir: config.data_dir.join("plugin-state"),
        },
    )
    .await?)
}

/// Open the vault with `master` over the configured backend.
async fn open_vault_with(config: &Config, master: MasterKey) -> Result<Vault, StartError> {
    let vault = Vault::open(open_backend(config).await?, master).await?;
    // The umask keeps new files private; files an older version left readable are narrowed.
    if let Err(e) = crate::hardening::restrict_database(&config.database) {
        tracing::warn!(error = %e, "cannot narrow the database files to mode 0600");
    }
    Ok(vault)
}

/// Where compiled plugins are cached, and the key (derived from the master key) that
/// authenticates the entries.
fn cache_settings(config: &Config, master: &MasterKey) -> Result<CacheSettings, StartError> {
    let key = crate::hotload::cache_key::derive(master).ok_or_else(|| {
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
    /// The externally visible base URL, for links handed to users.
    pub fn public_base(&self) -> &str {
        &self.public_base
    }

    /// Open the vault, build the plugin runtime, load the plugins folder, replay the token
    /// journal. `bound` is the address actually listened on (links use it when no
    /// `public_url` is configured).
    pub async fn start(
        config: Config,
        bound: Option<std::net::SocketAddr>,
    ) -> Result<Arc<App>, StartError> {
        App::start_with(config, bound, StartOptions::default()).await
    }

    /// [`App::start`] with the choices of the program starting it.
    pub async fn start_with(
        config: Config,
        bound: Option<std::net::SocketAddr>,
        options: StartOptions,
    ) -> Result<Arc<App>, StartError> {
        let master = match options.master_key {
            Some(key) => key,
            None => load_master_key(&config)?,
        };
        crate::egress::install_crypto_provider();
        let cache = if config.hotload.cache {
            Some(cache_settings(&config, &master)?)
        } else {
            None
        };
        let vault = open_vault_with(&config, master).await?;
        let mut runtime = PluginRuntime::new(&EngineSettings {
            max_instances: config.engine.max_instances,
            max_memory_bytes: config.engine.max_memory_bytes,
            pooling: config.engine.pooling,
        })?;
        if let Some(cache) = cache {
            runtime = runtime.with_cache(cache)?;
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
                Some(vault.plugins()),
            )
            .await?,
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
        for dir in ["plugin-state", "plugin-cache"] {
            if let Err(e) = crate::hardening::restrict(&config.data_dir.join(dir), 0o700) {
                tracing::warn!(folder = dir, error = %e, "cannot narrow a data folder to mode 0700");
            }
        }
        let alerts = crate::alerts::Alerts::new(&config.alerts)?;
        sync_provider_configs(&config, &vault).await?;
        sync_packs(&config, &vault, &registry).await?;
        let public_base = match (&config.public_url, bound) {
            (Some(u), _) => u.as_str().trim_end_matches('/').to_string(),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => config.public_base(),
        };
        let app = Arc::new(App {
            config,
            vault,
            runtime,
            registry,
            egress,
            plugins,
            refresher: Refresher::default(),
            sessions_changed: tokio::sync::Notify::new(),
            alerts,
            jobs_wake: tokio::sync::Notify::new(),
            jobs_changed: tokio::sync::Notify::new(),
            outbound_tap: options.outbound_tap,
            discovery: Default::default(),
            tool_changes: Default::default(),
            public_base,
        });
        let replayed = crate::auth::oauth::refresh::replay_journal(&app).await?;
        if replayed > 0 {
            tracing::warn!(replayed, "applied token responses journaled before a crash");
        }
        Ok(app)
    }
}

/// Write the config file's OAuth clients into the vault (secrets sealed), so one table is the
/// source of truth; clients added through the admin API are kept.
async fn sync_provider_configs(config: &Config, vault: &Vault) -> Result<(), StartError> {
    use crate::vault::catalog::ProviderConfig;
    use secrecy::SecretString;
    for (id, c) in &config.connectors {
        let Some(o) = &c.oauth else { continue };
        let fail = |reason: String| StartError::Provider {
            connector: id.clone(),
            reason,
        };
        let secret = match (&o.client_secret_env, &o.client_secret_file) {
            (Some(var), None) => Some(
                crate::secret_env::var(var)
                    .map(|s| s.expose_secret().to_string())
                    .ok_or_else(|| fail(format!("environment variable {var} is not set")))?,
            ),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?
                    .trim()
                    .to_string(),
            ),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(fail(
                    "give client_secret_env or client_secret_file, not both".into(),
                ));
            }
        };
        let provider = ProviderConfig {
            connector_id: id.clone(),
            client_id: o.client_id.clone(),
            client_secret: secret.map(SecretString::from),
            scopes: o.scopes.clone(),
            issuer: o.issuer.clone(),
            updated_at: crate::clock::now_ms(),
        };
        vault.catalog().put_provider(provider).await?;
    }
    Ok(())
}

/// Write the config file's packs into the vault; a tool no loaded connector provides is
/// reported (it may be loaded later) rather than refused.
async fn sync_packs(config: &Config, vault: &Vault, registry: &Registry) -> Result<(), StartError> {
    use crate::vault::catalog::Pack;
    for (name, p) in &config.packs {
        for tool in &p.tools {
            if registry.resolve_tool(tool).is_none() {
                tracing::warn!(pack = %name, tool = %tool, "pack names a tool no loaded connector provides");
            }
        }
        let pack = Pack {
            name: name.clone(),
            description: p.description.clone(),
            tools: p.tools.clone(),
        };
        vault.catalog().put_pack(&pack).await?;
    }
    Ok(())
}
