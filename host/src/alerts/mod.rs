//! "This connection needs re-authentication": one alert per incident, delivered to Standard
//! Webhooks receivers and Slack-compatible URLs, persisted and retried with backoff across
//! restarts, with a "resolved" event once the user reconnects.

pub mod deliver;
pub mod destinations;
pub mod sign;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::app::App;
use crate::auth::connect;
use crate::clock::now_ms;
use crate::vault::VaultError;
use crate::vault::alerts::{Alert, NewAlert, NewDelivery};

pub use destinations::{Destination, DestinationError};

/// The event an alert delivery announces.
pub const OPENED: &str = "connection.needs_reauth";
/// The event after the user reconnected.
pub const RESOLVED: &str = "connection.reauthorized";

const RECONNECT_PURPOSE: &str = "reconnect-link";

/// A link that stays valid while the alert is open: each visit starts a fresh connect session
/// for the connection's owner (connect sessions themselves expire in minutes).
pub fn reconnect_url(app: &App, alert_id: &str) -> Result<String, VaultError> {
    let token = URL_SAFE_NO_PAD.encode(connect::link_mac(app, RECONNECT_PURPOSE, alert_id)?);
    Ok(format!(
        "{}/reconnect/{alert_id}/{token}",
        app.public_base()
    ))
}

/// Check a reconnect link's MAC.
pub fn verify_reconnect(app: &App, alert_id: &str, token: &str) -> Result<bool, VaultError> {
    let Ok(presented) = URL_SAFE_NO_PAD.decode(token) else {
        return Ok(false);
    };
    Ok(connect::link_mac(app, RECONNECT_PURPOSE, alert_id)?
        .ct_eq(&presented)
        .into())
}

/// The JSON body of an alert event (Standard Webhooks shape: type, timestamp, data), as it is
/// stored until delivered. No secret, and no reconnect link: that is a capability, added only
/// when the event is sent ([`with_reconnect_link`]).
pub fn payload(app: &App, alert: &Alert, event: &str) -> Result<Value, VaultError> {
    let name = app
        .registry
        .get(&alert.connector_id)
        .map(|p| p.manifest.name.clone())
        .unwrap_or_else(|| alert.connector_id.clone());
    let data = json!({
        "alert_id": alert.id,
        "connection_id": alert.connection_id,
        "connector": { "id": alert.connector_id, "name": name },
        "owner": alert.owner,
        "reason": alert.reason,
        "missing_scopes": alert.missing_scopes,
        "detail": alert.detail,
        "opened_at": alert.opened_at,
        "resolved_at": alert.resolved_at,
    });
    Ok(json!({
        "type": event,
        "timestamp": crate::clock::rfc3339(now_ms()),
        "data": data,
    }))
}

/// The body to send for a stored `payload`: an opened alert gains its reconnect link (derived
/// from the alert id, so every retry sends the same body).
pub fn with_reconnect_link(
    app: &App,
    event: &str,
    alert_id: &str,
    payload: &str,
) -> Result<String, String> {
    if event != OPENED {
        return Ok(payload.to_string());
    }
    let mut body: Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
    let link = reconnect_url(app, alert_id).map_err(|e| e.to_string())?;
    body["data"]["reconnect_url"] = json!(link);
    Ok(body.to_string())
}

fn destination_names(app: &App) -> Vec<String> {
    app.alerts
        .destinations
        .iter()
        .map(|d| d.name().to_string())
        .collect()
}

/// Open an alert for an incident unless one is open already, with its deliveries queued in
/// the same step (an alert stored without them would never be delivered). Returns the alert
/// when a new incident was opened.
pub async fn open(app: &App, new: NewAlert) -> Result<Option<Alert>, VaultError> {
    let alert = new.opening(now_ms());
    let deliveries = deliveries(app, &alert, OPENED)?;
    if !app.vault.alerts().open_alert(&alert, &deliveries).await? {
        return Ok(None);
    }
    if !deliveries.is_empty() {
        app.alerts.wake.notify_one();
    }
    tracing::warn!(
        alert = %alert.id,
        connection = %alert.connection_id,
        connector = %alert.connector_id,
        owner = ?alert.owner,
        reason = %alert.reason,
        missing_scopes = ?alert.missing_scopes,
        "connection needs re-authentication: alert opened"
    );
    Ok(Some(alert))
}

/// Resolve a connection's open alerts and queue "resolved" events.
pub async fn resolve(app: &App, connection_id: &str) -> Result<Vec<Alert>, VaultError> {
    let resolved = app.vault.alerts().resolve_alerts(connection_id).await?;
    for alert in &resolved {
        let deliveries = deliveries(app, alert, RESOLVED)?;
        if !deliveries.is_empty() {
            app.vault.alerts().enqueue(&deliveries).await?;
            app.alerts.wake.notify_one();
        }
        tracing::info!(alert = %alert.id, connection = %alert.connection_id, "alert resolved");
    }
    Ok(resolved)
}

/// One delivery of `event` about `alert` per destination (none without destinations).
fn deliveries(app: &App, alert: &Alert, event: &str) -> Result<Vec<NewDelivery>, VaultError> {
    let destinations = destination_names(app);
    if destinations.is_empty() {
        return Ok(Vec::new());
    }
    let body = payload(app, alert, event)?.to_string();
    Ok(NewDelivery::each(&alert.id, event, &body, &destinations))
}

/// Alert destinations and the delivery machinery.
pub struct Alerts {
    pub destinations: Vec<Destination>,
    pub wake: tokio::sync::Notify,
    http: reqwest::Client,
    retry_base_ms: u64,
    retry_max_ms: u64,
    max_attempts: u32,
}

impl Alerts {
    /// Load destinations and build the delivery client.
    pub fn new(config: &crate::config::AlertsConfig) -> Result<Alerts, DestinationError> {
        let destinations = destinations::load(config)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DestinationError {
                name: "(client)".into(),
                reason: e.to_string(),
            })?;
        Ok(Alerts {
            destinations,
            wake: tokio::sync::Notify::new(),
            http,
            retry_base_ms: config.retry_base_ms.max(1),
            retry_max_ms: config.retry_max_ms.max(config.retry_base_ms),
            max_attempts: config.max_attempts.max(1),
        })
    }
}
