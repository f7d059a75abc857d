//! A Standard Webhooks receiver for the alert tests: `node tests/webhook-receiver/receiver.mjs`
//! verifies every delivery with the reference `standardwebhooks` library from npm (not our
//! signer) and reports what it got. Killed on drop.

use std::process::{Child, Command};
use std::time::Duration;

use serde_json::Value;

use crate::build;

/// A running receiver.
pub struct Receiver {
    pub base_url: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start a receiver on `port` (0: any) verifying with `secret` (`whsec_…`).
pub async fn start(port: u16, secret: &str) -> Receiver {
    build::ensure_built();
    crate::install_crypto_provider();
    let mut cmd = Command::new("node");
    cmd.current_dir(build::root().join("tests").join("webhook-receiver"))
        .arg("receiver.mjs")
        .arg("--port")
        .arg(port.to_string())
        .arg("--secret")
        .arg(secret);
    let spawned = crate::process::spawn_until(
        cmd,
        "webhook-receiver listening on ",
        "the webhook receiver (Node.js is needed)",
    )
    .await;
    Receiver {
        base_url: spawned.url,
        child: spawned.child,
        http: reqwest::Client::new(),
    }
}

impl Receiver {
    /// Every delivery so far: `{verified, id, payload}` (or `{verified: false, error}`).
    pub async fn received(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/received", self.base_url))
            .send()
            .await
            .expect("received")
            .json()
            .await
            .expect("json");
        body.as_array().cloned().unwrap_or_default()
    }

    /// Wait (up to `timeout`) until `pred` holds for what was received; returns it then.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received().await;
            if pred(&got) || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
