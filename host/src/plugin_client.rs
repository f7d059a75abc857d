//! The admin API's plugin endpoints from the command line (`latchkey plugin …`): a thin
//! HTTP client, so the CLI acts on the running gateway through the same one place.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// Why a plugin command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the gateway at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{status}: {detail}")]
    Refused { status: u16, detail: String },
}

/// A client for one gateway, with an admin key.
pub struct PluginClient {
    base: String,
    key: SecretString,
    http: reqwest::Client,
}

/// What to do.
#[derive(Debug, Clone)]
pub enum PluginAction {
    List,
    Upload(Vec<u8>),
    Approve(String),
    Reject(String),
    Rollback(String),
    Unload(String),
}

impl PluginClient {
    /// A client for the gateway at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str, key: SecretString) -> Self {
        latchkey_egress::install_crypto_provider();
        PluginClient {
            base: base.trim_end_matches('/').to_string(),
            key,
            http: reqwest::Client::new(),
        }
    }

    /// Perform `action`; the gateway's JSON answer (`null` for an unload).
    pub async fn run(&self, action: PluginAction) -> Result<Value, ClientError> {
        let url = |path: &str| format!("{}/v1/admin/plugins{path}", self.base);
        let request = match action {
            PluginAction::List => self.http.get(url("")),
            PluginAction::Upload(bytes) => self
                .http
                .post(url(""))
                .header("content-type", "application/wasm")
                .body(bytes),
            PluginAction::Approve(id) => self.http.post(url(&format!("/{id}/approve"))),
            PluginAction::Reject(id) => self.http.post(url(&format!("/{id}/reject"))),
            PluginAction::Rollback(id) => self.http.post(url(&format!("/{id}/rollback"))),
            PluginAction::Unload(id) => self.http.delete(url(&format!("/{id}"))),
        };
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base.clone(),
            message: e.without_url().to_string(),
        };
        let response = request
            .bearer_auth(self.key.expose_secret())
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            Ok(body)
        } else {
            Err(ClientError::Refused {
                status: status.as_u16(),
                detail: body["detail"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| body.to_string()),
            })
        }
    }
}

/// `latchkey plugin list` as a table: one line per connector.
pub fn table(list: &Value) -> String {
    let mut out = String::from("ID\tSTATE\tVERSION\tHASH\tTOOLS\tHOSTS\tLAST ERROR\n");
    for p in list["plugins"].as_array().into_iter().flatten() {
        let join = |v: &Value| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default()
        };
        let mut state = p["state"].as_str().unwrap_or("?").to_string();
        if let Some(v) = p["pending"]["version"]["version"].as_str() {
            state.push_str(&format!(
                " ({v} waits: {})",
                join(&p["pending"]["widening"])
            ));
        }
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            p["id"].as_str().unwrap_or("?"),
            state,
            p["version"].as_str().unwrap_or("-"),
            p["hash"]
                .as_str()
                .map(|h| &h[..h.len().min(12)])
                .unwrap_or("-"),
            join(&p["tools"]),
            join(&p["allowed_hosts"]),
            p["last_error"]["message"].as_str().unwrap_or("-"),
        ));
    }
    for f in list["rejected_files"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "-\trejected file {}\t-\t-\t-\t-\t{}\n",
            f["file"].as_str().unwrap_or("?"),
            f["error"].as_str().unwrap_or("?")
        ));
    }
    out
}
