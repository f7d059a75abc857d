//! The operator's configuration file (TOML). Unknown keys are errors: a typo must not silently
//! turn a security setting off.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::plugin::PluginLimits;

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Top-level configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The externally visible base URL, used in connect links. Defaults to `http://<listen>`.
    pub public_url: Option<url::Url>,
    /// Directory for the database and the master key file (relative to the config file).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// SQLite database file (relative to `data_dir`).
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// Master key file (relative to `data_dir`); `LATCHKEY_MASTER_KEY` takes precedence.
    #[serde(default = "default_master_key_file")]
    pub master_key_file: PathBuf,
    /// Folder of connector plugins (`*.wasm`), relative to the config file.
    #[serde(default = "default_plugins_dir")]
    pub plugins_dir: PathBuf,
    /// Outgoing HTTP policy for plugins.
    #[serde(default)]
    pub egress: EgressConfig,
    /// Wasm engine settings.
    #[serde(default)]
    pub engine: EngineConfig,
    /// Default limits for every plugin.
    #[serde(default)]
    pub limits: PluginLimits,
    /// Connect links.
    #[serde(default)]
    pub connect: ConnectConfig,
    /// Per-connector settings, by connector id.
    #[serde(default)]
    pub connectors: BTreeMap<String, ConnectorConfig>,
    /// Watching the plugins folder and caching compiled plugins.
    #[serde(default)]
    pub hotload: HotloadConfig,
    /// Tool packs, by name (also manageable through the admin API).
    #[serde(default)]
    pub packs: BTreeMap<String, PackConfig>,
    /// Re-authentication alerts.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// Asynchronous jobs.
    #[serde(default)]
    pub jobs: JobsConfig,
    /// Connection health probes.
    #[serde(default)]
    pub health: HealthConfig,
    /// The MCP endpoint (`/mcp`).
    #[serde(default)]
    pub mcp: crate::mcp::McpSettings,
    /// The database itself.
    #[serde(default)]
    pub vault: VaultConfig,
}

/// Database settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaultConfig {
    /// Largest size the database may grow to, in bytes (0: no cap). Past it, writes are refused
    /// as on a full disk (`storage_unavailable`) and nothing stored is lost: a cap keeps a
    /// runaway (an audit flood, say) from filling the disk other services share. Never below
    /// the database's current size.
    pub max_size_bytes: u64,
}

/// Hot-loading settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HotloadConfig {
    /// How often the plugins folder is checked for changes; 0 turns watching off.
    pub poll_interval_ms: u64,
    /// Keep compiled plugins under `<data_dir>/plugin-cache` for fast restarts.
    pub cache: bool,
}

impl Default for HotloadConfig {
    fn default() -> Self {
        HotloadConfig {
            poll_interval_ms: 1000,
            cache: true,
        }
    }
}

/// A tool pack defined in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackConfig {
    #[serde(default)]
    pub description: String,
    /// Agent-facing tool names (`<connector>_<tool>`).
    pub tools: Vec<String>,
}

/// Connect-link settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectConfig {
    /// Minutes a connect link stays valid (at most 30).
    pub session_ttl_minutes: u32,
    /// Origins a connect flow may send the user back to (`return_to`); nothing else.
    pub allowed_return_origins: Vec<String>,
    /// Who runs this gateway, as end users know them ("Acme IT"): named on the connect pages.
    pub operator_name: Option<String>,
}

impl Default for ConnectConfig {
    fn default() -> Self {
        ConnectConfig {
            session_ttl_minutes: 30,
            allowed_return_origins: Vec::new(),
            operator_name: None,
        }
    }
}

impl ConnectConfig {
    /// The link lifetime in milliseconds.
    pub fn session_ttl_ms(&self) -> i64 {
        i64::from(self.session_ttl_minutes) * 60_000
    }
}

/// The operator's OAuth client for a connector. The secret comes from the environment or a
/// file, never from the config file itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientConfig {
    pub client_id: String,
    /// Environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// File holding the client secret (relative to the config file).
    pub client_secret_file: Option<PathBuf>,
    /// Scopes to ask for instead of the connector's defaults.
    pub scopes: Option<Vec<String>>,
    /// Expected `iss` (RFC 9207) instead of the connector's declared issuer.
    pub issuer: Option<String>,
}

/// Egress policy settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EgressConfig {
    /// Let plugins reach loopback and private addresses (tests and the local demo only).
    pub allow_private_addresses: bool,
    /// Route an allowed origin to another base URL, e.g. the local fake provider.
    pub overrides: BTreeMap<String, String>,
    pub default_timeout_ms: u64,
    pub max_timeout_ms: u64,
    pub max_request_bytes: usize,
    pub max_response_bytes: usize,
    pub max_redirects: u32,
    /// Requests a single tool call may make.
    pub max_requests_per_call: u32,
}

impl Default for EgressConfig {
    fn default() -> Self {
        EgressConfig {
            allow_private_addresses: false,
            overrides: BTreeMap::new(),
            default_timeout_ms: 10_000,
            max_timeout_ms: 30_000,
            max_request_bytes: 1 << 20,
            max_response_bytes: 8 << 20,
            max_redirects: 5,
            max_requests_per_call: 50,
        }
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub max_instances: u32,
    pub max_memory_bytes: usize,
    pub pooling: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let d = crate::plugin::EngineSettings::default();
        EngineConfig {
            max_instances: d.max_instances,
            max_memory_bytes: d.max_memory_bytes,
            pooling: d.pooling,
        }
    }
}

/// Settings for one connector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorConfig {
    /// Limits for this connector's plugin, replacing the defaults.
    pub limits: Option<PluginLimits>,
    /// The OAuth client to use with this connector's provider.
    pub oauth: Option<OAuthClientConfig>,
    /// Seconds between health probes of this connector's connections (0: never); replaces
    /// `[health] probe_interval_seconds`.
    pub probe_interval_seconds: Option<u64>,
    /// The deployment this connector talks to (a GitHub Enterprise server, an Okta or
    /// Keycloak tenant, a Salesforce sandbox): replaces `{base}` in the connector's URLs.
    pub base_url: Option<url::Url>,
}

/// Where "needs re-authentication" alerts go, and how deliveries are retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Standard Webhooks receivers.
    pub webhooks: Vec<WebhookConfig>,
    /// Slack-compatible incoming-webhook URLs.
    pub slack: Vec<SlackConfig>,
    /// First retry delay; doubles per attempt up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// Attempts before a delivery is given up (and logged).
    pub max_attempts: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            webhooks: Vec::new(),
            slack: Vec::new(),
            retry_base_ms: 1000,
            retry_max_ms: 600_000,
            max_attempts: 20,
        }
    }
}

/// A Standard Webhooks receiver; the signing secret (`whsec_…`) comes from the environment or a
/// file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub name: Option<String>,
    pub url: url::Url,
    pub secret_env: Option<String>,
    pub secret_file: Option<PathBuf>,
}

/// A Slack incoming webhook; its URL is a secret, so it comes from the environment or a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    pub name: Option<String>,
    pub url_env: Option<String>,
    pub url_file: Option<PathBuf>,
}

/// Asynchronous jobs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Jobs run at once.
    pub workers: usize,
    /// Attempts for transient failures before a job fails.
    pub max_attempts: u32,
    /// First retry delay after a transient failure.
    pub retry_base_ms: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 4,
            max_attempts: 8,
            retry_base_ms: 1000,
        }
    }
}

/// Connection health checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Seconds between `verify` probes of each connection (0: never).
    pub probe_interval_seconds: u64,
    /// How often the scheduler looks for work (probes due, tokens to refresh ahead).
    pub tick_seconds: u64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            probe_interval_seconds: 6 * 3600,
            tick_seconds: 30,
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_data_dir() -> PathBuf {
    PathBuf::from(".latchkey")
}
fn default_database() -> PathBuf {
    PathBuf::from("latchkey.db")
}
fn default_master_key_file() -> PathBuf {
    PathBuf::from("master.key")
}
fn default_plugins_dir() -> PathBuf {
    PathBuf::from("plugins")
}

impl Config {
    /// The configuration a command runs with: `path` when given, else `./latchkey.toml` when
    /// present, else the built-in defaults (`latchkey` and `latchkey-check` find it alike).
    pub fn discover(path: Option<&Path>) -> Result<Config, ConfigError> {
        let default = Path::new("latchkey.toml");
        match path {
            Some(p) => Config::load(p),
            None if default.exists() => Config::load(default),
            None => Config::parse("", Path::new(".")),
        }
    }

    /// Read and check `path`; relative paths inside are resolved against its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            ConfigError::Invalid { message, .. } => ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parse TOML text; `base` anchors relative paths.
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        config.data_dir = base.join(&config.data_dir);
        config.database = config.data_dir.join(&config.database);
        config.master_key_file = config.data_dir.join(&config.master_key_file);
        config.plugins_dir = base.join(&config.plugins_dir);
        for w in &mut config.alerts.webhooks {
            if let Some(f) = &w.secret_file {
                w.secret_file = Some(base.join(f));
            }
        }
        for sl in &mut config.alerts.slack {
            if let Some(f) = &sl.url_file {
                sl.url_file = Some(base.join(f));
            }
        }
        for c in config.connectors.values_mut() {
            if let Some(o) = &mut c.oauth
                && let Some(f) = &o.client_secret_file
            {
                o.client_secret_file = Some(base.join(f));
            }
        }
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: PathBuf::new(),
            message,
        };
        for (id, c) in &self.connectors {
            if !crate::plugin::manifest::valid_connector_id(id) {
                return Err(invalid(format!(
                    "[connectors.{id}]: not a valid connector id"
                )));
            }
            if let Some(b) = &c.base_url
                && (!matches!(b.scheme(), "http" | "https")
                    || b.query().is_some()
                    || !b.username().is_empty())
            {
                return Err(invalid(format!(
                    "[connectors.{id}] base_url must be an http(s) URL without query or credentials"
                )));
            }
            if let Some(l) = &c.limits
                && l.memory_bytes > self.engine.max_memory_bytes
            {
                return Err(invalid(format!(
                    "[connectors.{id}.limits] memory_bytes exceeds engine.max_memory_bytes"
                )));
            }
        }
        let max_minutes = crate::auth::connect::MAX_TTL_MS / 60_000;
        if self.connect.session_ttl_minutes == 0
            || i64::from(self.connect.session_ttl_minutes) > max_minutes
        {
            return Err(invalid(format!(
                "connect.session_ttl_minutes must be 1..{max_minutes}"
            )));
        }
        for origin in &self.connect.allowed_return_origins {
            let ok = url::Url::parse(origin)
                .map(|u| u.origin().ascii_serialization() == origin.trim_end_matches('/'))
                .unwrap_or(false);
            if !ok {
                return Err(invalid(format!(
                    "connect.allowed_return_origins: {origin:?} is not an origin like https://app.example.com"
                )));
            }
        }
        if self.limits.memory_bytes > self.engine.max_memory_bytes {
            return Err(invalid(
                "limits.memory_bytes exceeds engine.max_memory_bytes".into(),
            ));
        }
        if self.egress.default_timeout_ms > self.egress.max_timeout_ms {
            return Err(invalid(
                "egress.default_timeout_ms exceeds egress.max_timeout_ms".into(),
            ));
        }
        if let Some(u) = &self.public_url
            && !matches!(u.scheme(), "http" | "https")
        {
            return Err(invalid("public_url must be http(s)".into()));
        }
        Ok(())
    }

    /// The base URL for links the gateway hands out.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// The deployment base URL for `connector_id` (no trailing slash), if the operator set one.
    pub fn base_url_for(&self, connector_id: &str) -> Option<&str> {
        self.connectors
            .get(connector_id)
            .and_then(|c| c.base_url.as_ref())
            .map(|u| u.as_str().trim_end_matches('/'))
    }

    /// Seconds between probes of `connector_id`'s connections (0: never).
    pub fn probe_interval_for(&self, connector_id: &str) -> u64 {
        self.connectors
            .get(connector_id)
            .and_then(|c| c.probe_interval_seconds)
            .unwrap_or(self.health.probe_interval_seconds)
    }

    /// The limits for `connector_id`: its own, or the defaults.
    pub fn limits_for(&self, connector_id: &str) -> PluginLimits {
        self.connectors
            .get(connector_id)
            .and_then(|c| c.limits.clone())
            .unwrap_or_else(|| self.limits.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_relative_paths() {
        let c = Config::parse("", Path::new("/etc/latchkey")).expect("empty config is valid");
        assert_eq!(
            c.database,
            PathBuf::from("/etc/latchkey/.latchkey/latchkey.db")
        );
        assert_eq!(c.plugins_dir, PathBuf::from("/etc/latchkey/plugins"));
        assert!(!c.egress.allow_private_addresses);
        assert_eq!(c.public_base(), "http://127.0.0.1:8080");
    }

    #[test]
    fn typos_and_junk_are_refused_with_a_location() {
        let err = Config::parse("[egress]\nallow_private_adresses = true\n", Path::new("."))
            .expect_err("typo");
        assert!(err.to_string().contains("allow_private_adresses"), "{err}");
        let err = Config::parse("listen = [[[", Path::new(".")).expect_err("junk");
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = Config::parse("[limits]\nmemory_bytes = 99999999999\n", Path::new("."))
            .expect_err("too big");
        assert!(err.to_string().contains("memory_bytes"), "{err}");
    }

    #[test]
    fn per_connector_limits() {
        let c = Config::parse(
            "[connectors.notion.limits]\ncpu_time = 500\n",
            Path::new("."),
        )
        .expect("valid");
        assert_eq!(
            c.limits_for("notion").cpu_time,
            std::time::Duration::from_millis(500)
        );
        assert_eq!(c.limits_for("linear"), PluginLimits::default());
    }
}
