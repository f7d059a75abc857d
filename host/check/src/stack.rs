//! The gateway under test, in-process: a temporary folder with its own SQLite vault, the one
//! plugin, egress routed to the fake provider (private addresses allowed), serving its real
//! HTTP API on a loopback port, with an operator key, an agent key for every tool and one
//! limited to the tools under test (a pack, so one consent asks for all their scopes).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::CheckError;
use super::alert_inbox::AlertInbox;
use super::client::Gateway;
use super::egress_log::EgressLog;
use crate::app::App;
use crate::auth::api_keys::{self, Grant};
use crate::config::Config;
use crate::plugin::LoadedPlugin;
use crate::vault::KeyKind;

/// The pack of the tools under test.
pub const PACK: &str = "latchkey-check";

/// A running gateway for one connector.
pub struct Stack {
    pub app: Arc<App>,
    pub gateway: Gateway,
    /// Allowed every tool: consent asks for the called tool's scopes only.
    pub agent_key: SecretString,
    /// Allowed the tools under test: consent asks for all their scopes.
    pub pack_key: SecretString,
    pub plugin: Arc<LoadedPlugin>,
    pub egress: Arc<EgressLog>,
    /// Where the gateway's alert webhooks arrive.
    pub alerts: AlertInbox,
    alert_worker: JoinHandle<()>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
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
    /// Start a gateway serving `plugin_file` (connector `connector_id`), its egress routed by
    /// `overrides`, with `tools` (agent-facing names) in the kit's pack.
    pub async fn start(
        plugin_file: &Path,
        connector_id: &str,
        overrides: &BTreeMap<String, String>,
        tools: &[String],
    ) -> Result<Stack, CheckError> {
        crate::egress::install_crypto_provider();
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
        let addr = listener
            .local_addr()
            .map_err(|e| setup("listening on loopback")(e.to_string()))?;
        // Its own key: never the deployment's LATCHKEY_MASTER_KEY, and nothing to back up.
        let master = crate::vault::MasterKey::generate();
        let app = App::start_with_master(config, Some(addr), master)
            .await
            .map_err(|e| setup("starting the gateway")(e.to_string()))?;
        let plugin = app.registry.get(connector_id).ok_or_else(|| {
            CheckError::Setup(format!(
                "the gateway did not load connector {connector_id:?}"
            ))
        })?;
        // Alerts are delivered as in production; probes and proactive refresh stay off, so
        // the scenarios decide when the provider is asked for tokens.
        let alert_worker = crate::alerts::deliver::spawn(app.clone());
        let egress = Arc::new(EgressLog::default());
        let _ = app.outbound_tap.set(egress.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let router = crate::api::router(app.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        let key = |kind, name: &'static str, packs: Option<Vec<String>>| {
            let app = app.clone();
            async move {
                api_keys::create(
                    &app.vault,
                    kind,
                    name,
                    Grant {
                        packs,
                        ..Grant::default()
                    },
                )
                .await
                .map(|(_, k)| k)
                .map_err(|e| setup("creating keys")(e.to_string()))
            }
        };
        let admin = key(KeyKind::Admin, "check-admin", None).await?;
        let agent_key = key(KeyKind::Agent, "check-agent", None).await?;
        let pack_key = key(KeyKind::Agent, "check-pack", Some(vec![PACK.to_string()])).await?;
        let gateway = Gateway::new(app.public_base().to_string(), admin)
            .map_err(|f| CheckError::Setup(f.0))?;
        Ok(Stack {
            app,
            gateway,
            agent_key,
            pack_key,
            plugin,
            egress,
            alerts,
            alert_worker,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        })
    }

    /// Stop serving and wait for the server to end (the folder goes with the value).
    pub async fn shutdown(mut self) {
        self.alert_worker.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
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
