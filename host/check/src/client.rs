//! The kit's side of the gateway's HTTP API: tool calls as an agent, and the operator's
//! actions and views (agent keys, loaded plugins, providers, connections, alerts).

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::scenarios::Fail;
use super::view::{self, Alert, Connection};

/// What a call answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// `ok` for a success, else the problem code (or `http_<status>`).
    pub fn code(&self) -> String {
        if (200..300).contains(&self.status) {
            return "ok".into();
        }
        self.body["code"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("http_{}", self.status))
    }

    /// One line for a report: the code and the problem's detail.
    pub fn summary(&self) -> String {
        match self.body["detail"].as_str() {
            Some(d) if self.code() != "ok" => format!("{} ({d})", self.code()),
            _ => self.code(),
        }
    }

    /// `upstream_status` of an `upstream_error`.
    pub fn upstream_status(&self) -> Option<u64> {
        self.body["upstream_status"].as_u64()
    }
}

/// The gateway's API at `base`, with the operator's key.
pub struct Api {
    pub base: String,
    http: reqwest::Client,
    admin: SecretString,
}

fn failed(what: &str, e: reqwest::Error) -> Fail {
    Fail(format!("{what}: {}", e.without_url()))
}

impl Api {
    /// A client for the gateway at `base`.
    pub fn new(base: String, admin: SecretString) -> Result<Self, Fail> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| failed("cannot build an HTTP client", e))?;
        Ok(Api { base, http, admin })
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    /// `POST /v1/tools/{tool}/call` as the agent holding `key`.
    pub async fn call(
        &self,
        key: &SecretString,
        tool: &str,
        user: &str,
        input: &Value,
    ) -> Result<Answer, Fail> {
        let response = self
            .http
            .post(format!("{}/v1/tools/{tool}/call", self.base))
            .bearer_auth(key.expose_secret())
            .json(&json!({ "user_id": user, "input": input }))
            .send()
            .await
            .map_err(|e| failed(&format!("calling {tool}"), e))?;
        Ok(Self::answer(response).await)
    }

    /// An operator request.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Fail> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.admin.expose_secret());
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request
            .send()
            .await
            .map_err(|e| failed(&format!("operator request {path}"), e))?;
        Ok(Self::answer(response).await)
    }

    /// An operator request that must answer `want`, its JSON body read as `T`.
    async fn admin_json<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        want: u16,
    ) -> Result<T, Fail> {
        let answer = self.admin(method, path, body).await?;
        if answer.status != want {
            return Err(Fail(format!("{path} answered {}", answer.summary())));
        }
        serde_json::from_value(answer.body)
            .map_err(|e| Fail(format!("{path} answered an unexpected shape: {e}")))
    }

    /// A new agent key allowed every tool, or only `pack`'s.
    pub async fn agent_key(&self, name: &str, pack: Option<&str>) -> Result<SecretString, Fail> {
        #[derive(serde::Deserialize)]
        struct Created {
            key: String,
        }
        let body = match pack {
            Some(p) => json!({ "name": name, "packs": [p] }),
            None => json!({ "name": name, "all_tools": true }),
        };
        let created: Created = self
            .admin_json(
                reqwest::Method::POST,
                "/v1/admin/agent-keys",
                Some(&body),
                201,
            )
            .await?;
        Ok(SecretString::from(created.key))
    }

    /// Fails unless the gateway serves connector `id`.
    pub async fn expect_loaded(&self, id: &str) -> Result<(), Fail> {
        let list: Value = self
            .admin_json(reqwest::Method::GET, "/v1/admin/plugins", None, 200)
            .await?;
        let active = list["plugins"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["id"] == id && p["state"] == "active"));
        if active {
            Ok(())
        } else {
            Err(Fail(format!(
                "the gateway did not load connector {id:?}: {}",
                list["rejected_files"]
            )))
        }
    }

    /// The connection of `user` to `connector`, if one is stored.
    pub async fn connection(
        &self,
        connector: &str,
        user: &str,
    ) -> Result<Option<Connection>, Fail> {
        let mut url = url::Url::parse("http://gateway/v1/admin/connections")?;
        url.query_pairs_mut().append_pair("user_id", user);
        let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
        let list: view::Connections = self
            .admin_json(reqwest::Method::GET, &path, None, 200)
            .await?;
        Ok(list
            .connections
            .into_iter()
            .find(|c| c.connector_id == connector))
    }

    /// Every alert (open or resolved) of `connection_id`.
    pub async fn alerts_of(&self, connection_id: &str) -> Result<Vec<Alert>, Fail> {
        let list: view::Alerts = self
            .admin_json(reqwest::Method::GET, "/v1/alerts", None, 200)
            .await?;
        Ok(list
            .alerts
            .into_iter()
            .filter(|a| a.connection_id == connection_id)
            .collect())
    }
}
