//! Where a kit gateway's alerts arrive: a Standard Webhooks receiver on loopback, so a case
//! checks that an alert was delivered to operators (signed, once), not only recorded.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;
use tokio::sync::oneshot;

use super::CheckError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// One alert the gateway delivered.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// `connection.needs_reauth` or `connection.reauthorized`.
    pub event: String,
    pub connection_id: String,
    pub reason: String,
    /// The `webhook-signature` matched the secret the gateway was given.
    pub signed: bool,
}

struct Inbox {
    /// The decoded secret: signatures are checked here, independently of the gateway's signer.
    key: Zeroizing<Vec<u8>>,
    received: Mutex<Vec<Delivered>>,
}

impl Inbox {
    /// Standard Webhooks: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`.
    fn expected(&self, id: &str, timestamp: &str, body: &str) -> Option<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
        Some(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ))
    }
}

/// The receiver, running until dropped.
pub struct AlertInbox {
    /// The URL the gateway's `[[alerts.webhooks]]` points at.
    pub url: String,
    inbox: Arc<Inbox>,
    _stop: oneshot::Sender<()>,
}

impl AlertInbox {
    /// Listen on loopback and write a fresh signing secret to `secret_file` for the gateway.
    pub async fn start(secret_file: &Path) -> Result<AlertInbox, CheckError> {
        let fail =
            |what: &str, e: String| CheckError::Setup(format!("alert receiver: {what}: {e}"));
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let text = Zeroizing::new(format!("whsec_{}", STANDARD.encode(bytes)));
        std::fs::write(secret_file, text.as_bytes())
            .map_err(|e| fail("writing the secret", e.to_string()))?;
        let inbox = Arc::new(Inbox {
            key: Zeroizing::new(bytes.to_vec()),
            received: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| fail("listening", e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| fail("listening", e.to_string()))?;
        let router = Router::new()
            .route("/alerts", post(receive))
            .with_state(inbox.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(AlertInbox {
            url: format!("http://{addr}/alerts"),
            inbox,
            _stop: stop,
        })
    }

    /// The deliveries of `event` for a connection so far.
    pub fn of(&self, connection_id: &str, event: &str) -> Vec<Delivered> {
        self.inbox
            .received
            .lock()
            .map(|r| {
                r.iter()
                    .filter(|d| d.connection_id == connection_id && d.event == event)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Wait up to `within` for a delivery of `event` for a connection, then return them all.
    pub async fn wait_for(
        &self,
        connection_id: &str,
        event: &str,
        within: Duration,
    ) -> Vec<Delivered> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let found = self.of(connection_id, event);
            if !found.is_empty() || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return StatusCode::BAD_REQUEST;
    };
    let signed = match (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    ) {
        (Some(id), Some(ts), Some(given)) => inbox
            .expected(id, ts, text)
            .is_some_and(|want| given.split(' ').any(|g| g == want)),
        _ => false,
    };
    let field = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let delivered = Delivered {
        event: field(&json["type"]),
        connection_id: field(&json["data"]["connection_id"]),
        reason: field(&json["data"]["reason"]),
        signed,
    };
    if let Ok(mut r) = inbox.received.lock() {
        r.push(delivered);
    }
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey::alerts::sign::SigningSecret;

    async fn post(url: &str, secret: &str, id: &str, body: &str, tamper: bool) {
        let ts = 1_795_000_000;
        let signed = SigningSecret::parse(secret)
            .expect("secret")
            .sign(id, ts, body);
        let mut signature = signed.expect("signature");
        if tamper {
            signature.push('x');
        }
        let status = reqwest::Client::new()
            .post(url)
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body.to_string())
            .send()
            .await
            .expect("delivered")
            .status();
        assert_eq!(status, 204);
    }

    #[tokio::test]
    async fn records_deliveries_and_whether_their_signature_verifies() {
        latchkey::egress::install_crypto_provider();
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = dir.path().join("secret");
        let inbox = AlertInbox::start(&file).await.expect("started");
        let secret = std::fs::read_to_string(&file).expect("secret written");
        assert!(secret.starts_with("whsec_"));
        let body = r#"{"type":"connection.needs_reauth","data":{"connection_id":"conn_1","reason":"revoked"}}"#;
        post(&inbox.url, &secret, "msg_1", body, false).await;
        post(&inbox.url, &secret, "msg_2", body, true).await;
        let got = inbox.of("conn_1", "connection.needs_reauth");
        assert_eq!(got.len(), 2);
        assert!(got[0].signed && got[0].reason == "revoked");
        assert!(!got[1].signed, "a wrong signature must not count as signed");
        assert!(inbox.of("conn_2", "connection.needs_reauth").is_empty());
        let none = inbox
            .wait_for(
                "conn_1",
                "connection.reauthorized",
                Duration::from_millis(100),
            )
            .await;
        assert!(none.is_empty());
    }
}
