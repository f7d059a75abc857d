//! The delivery worker: sends due deliveries, signs webhooks, formats Slack messages, and
//! retries failures with exponential backoff (jittered), persisted so a restart loses nothing.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Alerts, Destination, OPENED};
use crate::app::App;
use crate::clock::now_ms;
use crate::vault::alerts::Delivery;

/// Run deliveries until the process ends (or the handle is aborted).
pub fn spawn(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let sent = match round(&app).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "alert delivery round failed");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            let next = app.vault.alerts().next_delivery_at().await.ok().flatten();
            let wait = next
                .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)))
                .unwrap_or(Duration::from_secs(60))
                .min(Duration::from_secs(60));
            tokio::select! {
                _ = app.alerts.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

async fn round(app: &App) -> Result<usize, crate::vault::VaultError> {
    let due = app.vault.alerts().due_deliveries(now_ms(), 32).await?;
    let n = due.len();
    for d in due {
        let outcome = match super::with_reconnect_link(app, &d.event, &d.alert_id, &d.payload) {
            Ok(body) => send(&app.alerts, &d, &body).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                app.vault.alerts().delivered(&d.id).await?;
                tracing::info!(delivery = %d.id, destination = %d.destination, event = %d.event, "alert delivered");
            }
            Err(reason) => {
                let attempts = d.attempts + 1;
                let next = (attempts < i64::from(app.alerts.max_attempts))
                    .then(|| now_ms() + backoff_ms(&app.alerts, attempts));
                tracing::warn!(delivery = %d.id, destination = %d.destination, attempts, %reason, retry = next.is_some(), "alert delivery failed");
                app.vault
                    .alerts()
                    .delivery_failed(&d.id, &reason, next)
                    .await?;
            }
        }
    }
    Ok(n)
}

fn backoff_ms(alerts: &Alerts, attempts: i64) -> i64 {
    let attempt = u32::try_from(attempts.clamp(0, 32)).unwrap_or(32) + 1;
    crate::retry_delay::jittered_ms(alerts.retry_base_ms, alerts.retry_max_ms, attempt)
}

fn slack_text(payload: &Value) -> String {
    let d = &payload["data"];
    let app_name = d["connector"]["name"].as_str().unwrap_or("an app");
    let owner = d["owner"]["id"].as_str().unwrap_or("someone");
    if payload["type"] == OPENED {
        let mut text = format!(
            ":warning: Latchkey: *{app_name}* for *{owner}* needs re-authentication ({}).",
            d["reason"].as_str().unwrap_or("unknown")
        );
        if let Some(scopes) = d["missing_scopes"].as_array().filter(|s| !s.is_empty()) {
            let list: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
            text.push_str(&format!(" Missing scopes: {}.", list.join(", ")));
        }
        if let Some(url) = d["reconnect_url"].as_str() {
            text.push_str(&format!(" Reconnect: <{url}|reconnect {app_name}>"));
        }
        text
    } else {
        format!(":white_check_mark: Latchkey: *{app_name}* for *{owner}* is connected again.")
    }
}

async fn send(alerts: &Alerts, d: &Delivery, body: &str) -> Result<(), String> {
    let Some(dest) = alerts
        .destinations
        .iter()
        .find(|x| x.name() == d.destination)
    else {
        return Err("the destination is no longer configured".into());
    };
    let request = match dest {
        Destination::Webhook { url, secret, .. } => {
            let ts = now_ms() / 1000;
            let signature = secret
                .sign(&d.message_id, ts, body)
                .map_err(|e| e.to_string())?;
            alerts
                .http
                .post(url.clone())
                .header("content-type", "application/json")
                .header("webhook-id", &d.message_id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", signature)
                .body(body.to_string())
        }
        Destination::Slack { url, .. } => {
            let payload: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
            alerts
                .http
                .post(url.expose_secret())
                .json(&json!({ "text": slack_text(&payload) }))
        }
    };
    // Errors are described without the URL: a Slack webhook URL is itself a secret.
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection failed".to_string()
        } else {
            "request failed".to_string()
        }
    })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", status.as_u16()))
    }
}
