//! The gateway under test, in-process: a temporary folder with its own SQLite vault and
//! master key, the one plugin, egress routed to the fake provider (private addresses allowed),
//! serving its real HTTP API on a loopback port, with an operator key, an agent key for every
//! tool and one limited to the tools under test (a pack, so one consent asks for all their
//! scopes). It is started through the gateway's one public constructor with the kit's egress
//! log as its outbound observer, and driven over HTTP from then on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use latchkey::app::StartOptions;
use latchkey::config::Config;
use latchkey::gateway::{Gateway, Workers};
use latchkey::plugin::LoadedPlugin;
use secrecy::SecretString;

use super::CheckError;
use super::alert_inbox::AlertInbox;
use super::client::Api;
use super::egress_log::EgressLog;

/// The pack of the tools under test.
pub const PACK: &str = "latchkey-check";

/// A running gateway for one connector.
pub struct Stack {
    /// The running gateway (for what its HTTP API does not offer: an on-demand refresh).
    pub running: Gateway,
    /// Its HTTP API, as the operator.
    pub gateway: Api,
    /// Allowed every tool: consent asks for the called tool's scopes only.
    pub agent_key: SecretString,
    /// Allowed the tools under test: consent asks for all their scopes.
    pub pack_key: SecretString,
    pub plugin: Arc<LoadedPlugin>,
    pub egress: Arc<EgressLog>,
    /// Where the gateway's alert webhooks arrive.
    pub alerts: AlertInbox,
    _dir: tempfile::TempDir,
}

fn toml_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The file (in the gateway's folder) holding the alert webhook's signing secret.
const ALERT_SECRET_FILE: &str = "alert-webhook.secret";

/// The configuration of a kit gateway, its alerts sent to `alerts_url`.
fn config_text(overrides: &BTreeMap<String, String>, tools: &[String], alerts_url: &str) -> String {
    let mut text = String::from(
        "data_dir = \"data\"\nplugins_dir = \"plugins\"\n\n[hotload]\npoll_interval_ms = 0\ncache = false\n\n[health]\nprobe_interval_seconds = 0\n\n[egress]\nallow_private_addresses = true\n\n[egress.overrides]\n",
    );
    for (from, to) in overrides {
        text.push_str(&format!("{} = {}\n", toml_string(from), toml_string(to)));
    }
    text.push_str(&format!("\n[packs.{PACK}]\ntools = ["));
    let list: Vec<String> = tools.iter().map(|t| toml_string(t)).collect();
    text.push_str(&list.join(", "));
    text.push_str("]\n");
    text.push_str(&format!(
        "\n[alerts]\nretry_base_ms = 100\nretry_max_ms = 1000\n\n[[alerts.webhooks]]\nname = \"latchkey-check\"\nurl = {}\nsecret_file = {}\n",
        toml_string(alerts_url),
        toml_string(ALERT_SECRET_FILE)
    ));
    text
}

fn setup(what: &str) -> impl Fn(String) -> CheckError + '_ {
    move |e| CheckError::Setup(format!("{what}: {e}"))
}

impl Stack {
    /// Start a gateway serving `plugin` (read from `plugin_file`), its egress routed by
    /// `overrides`, with `tools` (agent-facing names) in the kit's pack.
    pub async fn start(
        plugin_file: &Path,
        plugin: Arc<LoadedPlugin>,
        overrides: &BTreeMap<String, String>,
        tools: &[String],
    ) -> Result<Stack, CheckError> {
        latchkey::egress::install_crypto_provider();
        let connector_id = plugin.manifest.id.clone();
        let dir = tempfile::tempdir().map_err(|e| setup("temporary folder")(e.to_string()))?;
        let plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins).map_err(|e| setup("plugins folder")(e.to_string()))?;
        std::fs::copy(plugin_file, plugins.join(format!("{connector_id}.wasm")))
            .map_err(|e| setup("copying the plugin")(e.to_string()))?;
        let alerts = AlertInbox::start(&dir.path().join(ALERT_SECRET_FILE)).await?;
        let config = Config::parse(&config_text(overrides, tools, &alerts.url), dir.path())
            .map_err(|e| setup("gateway configuration")(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| setup("listening on loopback")(e.to_string()))?;
        let egress = Arc::new(EgressLog::default());
        let options = StartOptions {
            // Its own key: never the deployment's LATCHKEY_MASTER_KEY, and nothing to back up.
            master_key: Some(latchkey::vault::MasterKey::generate()),
            outbound_tap: Some(egress.clone()),
        };
        // Alerts are delivered as in production; probes and proactive refresh stay off, so
        // the scenarios decide when the provider is asked for tokens.
        let workers = Workers {
            alert_delivery: true,
            jobs: false,
            health: false,
        };
        let running = Gateway::start(config, listener, options, workers)
            .await
            .map_err(|e| setup("starting the gateway")(e.to_string()))?;
        let admin = running
            .create_admin_key("check-admin")
            .await
            .map_err(|e| setup("creating keys")(e.to_string()))?;
        let gateway =
            Api::new(running.base_url().to_string(), admin).map_err(|f| CheckError::Setup(f.0))?;
        let stack = async {
            gateway.expect_loaded(&connector_id).await?;
            let agent_key = gateway.agent_key("check-agent", None).await?;
            let pack_key = gateway.agent_key("check-pack", Some(PACK)).await?;
            Ok::<_, super::scenarios::Fail>((agent_key, pack_key))
        }
        .await;
        let (agent_key, pack_key) = match stack {
            Ok(keys) => keys,
            Err(f) => {
                let _ = running.shutdown().await;
                return Err(CheckError::Setup(f.0));
            }
        };
        Ok(Stack {
            running,
            gateway,
            agent_key,
            pack_key,
            plugin,
            egress,
            alerts,
            _dir: dir,
        })
    }

    /// Stop serving and wait for the server to end (the folder goes with the value).
    pub async fn shutdown(self) {
        let _ = self.running.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_routes_and_packs() {
        let overrides: BTreeMap<String, String> = [(
            "https://api.acme.test".to_string(),
            "http://127.0.0.1:9/generic/api.acme.test".to_string(),
        )]
        .into();
        let text = config_text(
            &overrides,
            &["acme_get".into(), "acme_put".into()],
            "http://127.0.0.1:9/alerts",
        );
        let config = Config::parse(&text, Path::new("/tmp/x")).expect("valid config");
        assert!(config.egress.allow_private_addresses);
        assert_eq!(config.egress.overrides.len(), 1);
        assert_eq!(config.packs[PACK].tools, ["acme_get", "acme_put"]);
        assert_eq!(config.hotload.poll_interval_ms, 0);
        assert_eq!(config.alerts.webhooks.len(), 1);
    }
}
