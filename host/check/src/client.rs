//! The kit's side of the gateway's HTTP API: tool calls as an agent, and the operator's views
//! (connections, alerts, providers).

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::scenarios::Fail;

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
pub struct Gateway {
    pub base: String,
    http: reqwest::Client,
    admin: SecretString,
}

fn failed(what: &str, e: reqwest::Error) -> Fail {
    Fail(format!("{what}: {}", e.without_url()))
}

impl Gateway {
    /// A client for the gateway at `base`.
    pub fn new(base: String, admin: SecretString) -> Result<Self, Fail> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| failed("cannot build an HTTP client", e))?;
        Ok(Gateway { base, http, admin })
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
}
