//! What the kit reads back from the gateway, as its operator API shows it
//! (`GET /v1/admin/connections`, `GET /v1/alerts`): only the fields the scenarios judge, so
//! the kit depends on the API's JSON, not on the gateway's storage types.

use serde::Deserialize;

/// `status` of a connection that can be used.
pub const ACTIVE: &str = "active";
/// `status` of a connection whose user must authorize again.
pub const NEEDS_REAUTH: &str = "needs_reauth";

/// One stored connection.
#[derive(Debug, Clone, Deserialize)]
pub struct Connection {
    pub id: String,
    pub connector_id: String,
    /// `oauth2`, `api_key`, `basic`, `service_account`.
    pub scheme: String,
    /// `active`, `needs_reauth`, `revoked`.
    pub status: String,
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    /// Non-secret facts about the connection (`account`, `instance_url`…).
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
    /// When the access token expires (ms since the epoch, the gateway's clock).
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Bumped on every token change.
    pub token_version: i64,
}

/// One alert (an incident on a connection).
#[derive(Debug, Clone, Deserialize)]
pub struct Alert {
    pub connection_id: String,
    pub reason: String,
    #[serde(default)]
    pub missing_scopes: Vec<String>,
    /// `open` or `resolved`.
    pub status: String,
}

/// `{"connections": [...]}`.
#[derive(Debug, Deserialize)]
pub struct Connections {
    pub connections: Vec<Connection>,
}

/// `{"alerts": [...]}`.
#[derive(Debug, Deserialize)]
pub struct Alerts {
    pub alerts: Vec<Alert>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_operator_api_shapes() {
        let c: Connections = serde_json::from_str(
            r#"{"connections":[{"id":"c1","connector_id":"acme","owner":{"kind":"user","id":"u"},
                "scheme":"oauth2","status":"active","status_reason":null,"granted_scopes":["a"],
                "metadata":{},"expires_at":5,"created_at":1,"updated_at":1,"token_version":2,
                "lost_scopes":[],"tokens_at":1}]}"#,
        )
        .expect("connections");
        assert_eq!(c.connections[0].status, ACTIVE);
        assert_eq!(c.connections[0].token_version, 2);
        let a: Alerts = serde_json::from_str(
            r#"{"alerts":[{"id":"a","connection_id":"c1","connector_id":"acme","reason":"revoked",
                "missing_scopes":[],"status":"open","deliveries":[]}]}"#,
        )
        .expect("alerts");
        assert_eq!(a.alerts[0].reason, "revoked");
    }
}
