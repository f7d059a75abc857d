//! A real OpenID provider for the end-to-end tests: panva's `oidc-provider` from npm, run by
//! `node tests/oidc/server.mjs` on loopback (see that file for its policy), killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::build;

/// How to start the server.
#[derive(Debug, Clone)]
pub struct OidcOptions {
    /// The logical issuer (e.g. `https://id.example.test`), routed to the server by the gateway.
    pub issuer: String,
    /// 0: the OS picks. Give a port from [`free_port`] when the gateway must know it first.
    pub port: u16,
    pub client_id: String,
    pub client_secret: String,
    /// The one redirect URI the client may use (matched exactly).
    pub redirect_uri: String,
    /// Access-token lifetime in seconds.
    pub access_token_ttl: u32,
    /// When the server issues refresh tokens.
    pub refresh_tokens: RefreshTokens,
}

/// The server's refresh-token policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokens {
    /// To confidential clients, whatever the scopes (as many hosted providers do).
    Confidential,
    /// oidc-provider's own default: only when `offline_access` was granted (which OpenID
    /// Connect allows only with `prompt=consent`).
    OfflineAccess,
}

impl RefreshTokens {
    fn arg(self) -> &'static str {
        match self {
            RefreshTokens::Confidential => "confidential",
            RefreshTokens::OfflineAccess => "offline-access",
        }
    }
}

/// A running `oidc-provider`; killed on drop.
pub struct RunningOidc {
    /// `http://127.0.0.1:PORT`, where the server really listens.
    pub base_url: String,
    child: Child,
    output: Arc<Mutex<String>>,
    http: reqwest::Client,
}

/// The Node project folder.
pub fn dir() -> PathBuf {
    build::root().join("tests").join("oidc")
}

/// Make sure the npm packages are installed (the harness's build step runs `xtask node-deps`).
pub fn ensure_installed() {
    build::ensure_built();
}

/// A loopback port that was free a moment ago (the OS picked it).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// Start the server and wait for its "listening" line.
pub async fn start(options: OidcOptions) -> RunningOidc {
    ensure_installed();
    crate::install_crypto_provider();
    let mut cmd = Command::new("node");
    cmd.current_dir(dir())
        .arg("server.mjs")
        .arg("--issuer")
        .arg(&options.issuer)
        .arg("--port")
        .arg(options.port.to_string())
        .arg("--client-id")
        .arg(&options.client_id)
        .arg("--client-secret")
        .arg(&options.client_secret)
        .arg("--redirect-uri")
        .arg(&options.redirect_uri)
        .arg("--access-token-ttl")
        .arg(options.access_token_ttl.to_string())
        .arg("--refresh-tokens")
        .arg(options.refresh_tokens.arg());
    let spawned = crate::process::spawn_until(
        cmd,
        "oidc-provider listening on ",
        "the OpenID provider (Node.js 20.19+ is needed)",
    )
    .await;
    RunningOidc {
        base_url: spawned.url,
        child: spawned.child,
        output: spawned.output,
        http: reqwest::Client::new(),
    }
}

impl RunningOidc {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in base_url")
    }

    /// What the server did so far (`GET /_test/events`): requests, grants, errors, revocations.
    pub async fn events(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/_test/events", self.base_url))
            .send()
            .await
            .expect("events request")
            .json()
            .await
            .expect("events json");
        body["events"].as_array().cloned().unwrap_or_default()
    }

    /// How many events of `kind` (and, when given, of that grant type) happened.
    pub async fn count(&self, kind: &str, grant_type: Option<&str>) -> usize {
        self.events()
            .await
            .iter()
            .filter(|e| e["kind"] == kind)
            .filter(|e| grant_type.is_none_or(|g| e["grant_type"] == g))
            .count()
    }

    /// Everything the server printed.
    pub fn logs(&self) -> String {
        self.output.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for RunningOidc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
