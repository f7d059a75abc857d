//! Alerts ("this connection needs re-authentication") and their per-destination deliveries:
//! an outbox, so what is opened is delivered, across restarts.

use async_trait::async_trait;
use serde::Serialize;

use super::connections::Owner;
use super::error::VaultError;
use crate::ids::new_id;

/// One incident on one connection.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: String,
    pub connection_id: String,
    pub connector_id: String,
    pub owner: Owner,
    pub reason: String,
    pub missing_scopes: Vec<String>,
    pub detail: Option<String>,
    pub status: String,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
}

/// A new incident to open.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub connection_id: String,
    pub connector_id: String,
    pub owner: Owner,
    pub reason: String,
    pub missing_scopes: Vec<String>,
    pub detail: Option<String>,
}

impl NewAlert {
    /// The alert this incident becomes if it is opened at `now` (a fresh id): its deliveries
    /// can be built from it before it is stored, and stored with it.
    pub fn opening(self, now: i64) -> Alert {
        Alert {
            id: new_id("al"),
            connection_id: self.connection_id,
            connector_id: self.connector_id,
            owner: self.owner,
            reason: self.reason,
            missing_scopes: self.missing_scopes,
            detail: self.detail,
            status: "open".into(),
            opened_at: now,
            resolved_at: None,
        }
    }
}

/// A message to queue for one destination.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: String,
    pub alert_id: String,
    pub event: String,
    pub destination: String,
    /// Stable across retries (Standard Webhooks `webhook-id`).
    pub message_id: String,
    pub payload: String,
}

impl NewDelivery {
    /// One delivery of the same message (one `message_id`) per destination.
    pub fn each(alert_id: &str, event: &str, payload: &str, destinations: &[String]) -> Vec<Self> {
        let message_id = new_id("msg");
        destinations
            .iter()
            .map(|d| NewDelivery {
                id: new_id("dl"),
                alert_id: alert_id.to_string(),
                event: event.to_string(),
                destination: d.clone(),
                message_id: message_id.clone(),
                payload: payload.to_string(),
            })
            .collect()
    }
}

/// A message waiting to reach one destination.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub alert_id: String,
    pub event: String,
    pub destination: String,
    /// Stable across retries (Standard Webhooks `webhook-id`).
    pub message_id: String,
    pub payload: String,
    pub attempts: i64,
}

/// Where one delivery stands, for the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryState {
    pub event: String,
    pub destination: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// Storage of alerts and their deliveries. Every method is one transaction.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Open `alert` with its `deliveries`, together, unless an alert is already open for its
    /// (connection, reason): then nothing is stored and the answer is false (one incident,
    /// however many calls fail). If any delivery cannot be stored, neither is the alert.
    async fn open_alert(
        &self,
        alert: &Alert,
        deliveries: &[NewDelivery],
    ) -> Result<bool, VaultError>;
    /// An alert by id.
    async fn get_alert(&self, id: &str) -> Result<Option<Alert>, VaultError>;
    /// Alerts, oldest first; only open ones when `open_only`.
    async fn list_alerts(&self, open_only: bool) -> Result<Vec<Alert>, VaultError>;
    /// Resolve every open alert of a connection; returns them as resolved.
    async fn resolve_alerts(&self, connection_id: &str) -> Result<Vec<Alert>, VaultError>;

    /// Queue further messages (e.g. "resolved") for their destinations.
    async fn enqueue(&self, deliveries: &[NewDelivery]) -> Result<(), VaultError>;
    /// Pending deliveries due at `now`, oldest first, at most `limit`.
    async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<Delivery>, VaultError>;
    /// When the next pending delivery is due, if any.
    async fn next_delivery_at(&self) -> Result<Option<i64>, VaultError>;
    /// Record a successful delivery.
    async fn delivered(&self, id: &str) -> Result<(), VaultError>;
    /// Record a failed attempt: retry at `next_at`, or give up when `None`.
    async fn delivery_failed(
        &self,
        id: &str,
        error: &str,
        next_at: Option<i64>,
    ) -> Result<(), VaultError>;
    /// Where each delivery of one alert stands, oldest first.
    async fn deliveries_of(&self, alert_id: &str) -> Result<Vec<DeliveryState>, VaultError>;
}
