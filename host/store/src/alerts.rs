//! Alerts ("this connection needs re-authentication") and their per-destination deliveries.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::connections::Owner;
use super::error::VaultError;
use crate::clock::now_ms;
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

const COLUMNS: &str = "id, connection_id, connector_id, owner_kind, owner_id, reason, missing_scopes, detail, status, opened_at, resolved_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<Alert, VaultError>> {
    let kind: String = r.get(3)?;
    let owner_id: String = r.get(4)?;
    let scopes: String = r.get(6)?;
    let rest = (
        r.get::<_, String>(0)?,
        r.get::<_, String>(1)?,
        r.get::<_, String>(2)?,
        r.get::<_, String>(5)?,
        r.get::<_, Option<String>>(7)?,
        r.get::<_, String>(8)?,
        r.get::<_, i64>(9)?,
        r.get::<_, Option<i64>>(10)?,
    );
    Ok((|| {
        let (id, connection_id, connector_id, reason, detail, status, opened_at, resolved_at) =
            rest;
        Ok(Alert {
            id,
            connection_id,
            connector_id,
            owner: match kind.as_str() {
                "user" => Owner::User(owner_id),
                "group" => Owner::Group(owner_id),
                other => return Err(VaultError::Malformed(format!("owner kind {other:?}"))),
            },
            reason,
            missing_scopes: serde_json::from_str(&scopes)?,
            detail,
            status,
            opened_at,
            resolved_at,
        })
    })())
}

/// Open an alert unless one is already open for this connection and reason. Returns the new
/// alert, or `None` when the incident was already known (no duplicate).
pub fn open(conn: &Connection, new: &NewAlert) -> Result<Option<Alert>, VaultError> {
    let (kind, owner_id) = match &new.owner {
        Owner::User(u) => ("user", u),
        Owner::Group(g) => ("group", g),
    };
    let id = new_id("al");
    let inserted = conn.execute(
        "INSERT INTO alerts (id, connection_id, connector_id, owner_kind, owner_id, reason, missing_scopes, detail, status, opened_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9) ON CONFLICT DO NOTHING",
        params![
            id,
            new.connection_id,
            new.connector_id,
            kind,
            owner_id,
            new.reason,
            serde_json::to_string(&new.missing_scopes)?,
            new.detail,
            now_ms()
        ],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    get(conn, &id)
}

/// An alert by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Alert>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

/// Resolve every open alert of a connection; returns those resolved.
pub fn resolve_for(conn: &Connection, connection_id: &str) -> Result<Vec<Alert>, VaultError> {
    let open = list_where(
        conn,
        "connection_id = ?1 AND status = 'open'",
        params![connection_id],
    )?;
    conn.execute(
        "UPDATE alerts SET status = 'resolved', resolved_at = ?2 WHERE connection_id = ?1 AND status = 'open'",
        params![connection_id, now_ms()],
    )?;
    open.into_iter()
        .map(|a| get(conn, &a.id)?.ok_or_else(|| VaultError::Malformed("alert vanished".into())))
        .collect()
}

fn list_where(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Alert>, VaultError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE {filter} ORDER BY opened_at, id"
    ))?;
    let rows = stmt.query_map(args, from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Alerts, newest last; only open ones when `open_only`.
pub fn list(conn: &Connection, open_only: bool) -> Result<Vec<Alert>, VaultError> {
    if open_only {
        list_where(conn, "status = 'open'", [])
    } else {
        list_where(conn, "1 = 1", [])
    }
}

/// Queue `payload` for `destinations`.
pub fn enqueue(
    conn: &Connection,
    alert_id: &str,
    event: &str,
    message_id: &str,
    payload: &str,
    destinations: &[String],
) -> Result<(), VaultError> {
    let now = now_ms();
    for d in destinations {
        conn.execute(
            "INSERT INTO alert_deliveries (id, alert_id, event, destination, message_id, payload, status, next_attempt_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
            params![new_id("dl"), alert_id, event, d, message_id, payload, now],
        )?;
    }
    Ok(())
}

/// Deliveries due now, oldest first.
pub fn due(conn: &Connection, now: i64, limit: i64) -> Result<Vec<Delivery>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT id, alert_id, event, destination, message_id, payload, attempts FROM alert_deliveries \
         WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, created_at LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now, limit], |r| {
        Ok(Delivery {
            id: r.get(0)?,
            alert_id: r.get(1)?,
            event: r.get(2)?,
            destination: r.get(3)?,
            message_id: r.get(4)?,
            payload: r.get(5)?,
            attempts: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// When the next pending delivery is due, if any.
pub fn next_due(conn: &Connection) -> Result<Option<i64>, VaultError> {
    Ok(conn.query_row(
        "SELECT min(next_attempt_at) FROM alert_deliveries WHERE status = 'pending'",
        [],
        |r| r.get::<_, Option<i64>>(0),
    )?)
}

/// Record a successful delivery.
pub fn delivered(conn: &Connection, id: &str) -> Result<(), VaultError> {
    conn.execute(
        "UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2, last_error = NULL WHERE id = ?1",
        params![id, now_ms()],
    )?;
    Ok(())
}

/// Record a failed attempt: retry at `next_at`, or give up when `None`.
pub fn failed(
    conn: &Connection,
    id: &str,
    error: &str,
    next_at: Option<i64>,
) -> Result<(), VaultError> {
    match next_at {
        Some(at) => conn.execute(
            "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
            params![id, at, error],
        )?,
        None => conn.execute(
            "UPDATE alert_deliveries SET attempts = attempts + 1, status = 'failed', last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?,
    };
    Ok(())
}

/// Delivery states of one alert, for the API: (event, destination, status, attempts, last_error).
pub fn deliveries_of(
    conn: &Connection,
    alert_id: &str,
) -> Result<Vec<serde_json::Value>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT event, destination, status, attempts, last_error, delivered_at FROM alert_deliveries WHERE alert_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map(params![alert_id], |r| {
        Ok(serde_json::json!({
            "event": r.get::<_, String>(0)?,
            "destination": r.get::<_, String>(1)?,
            "status": r.get::<_, String>(2)?,
            "attempts": r.get::<_, i64>(3)?,
            "last_error": r.get::<_, Option<String>>(4)?,
            "delivered_at": r.get::<_, Option<i64>>(5)?,
        }))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
