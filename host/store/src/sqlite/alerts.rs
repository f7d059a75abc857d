//! Alerts in SQL: `alerts` (at most one open per (connection, reason), by a partial unique
//! index) and `alert_deliveries`.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteBackend;
use super::rows::{collect, from_json, json, owner_parts};
use crate::alerts::{Alert, AlertStore, Delivery, DeliveryState, NewDelivery};
use crate::clock::now_ms;
use crate::connections::Owner;
use crate::error::VaultError;

const COLUMNS: &str = "id, connection_id, connector_id, owner_kind, owner_id, reason, missing_scopes, detail, status, opened_at, resolved_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<Alert, VaultError>> {
    let kind: String = r.get(3)?;
    let owner_id: String = r.get(4)?;
    let scopes: String = r.get(6)?;
    let (id, connection_id, connector_id, reason, detail) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(5)?, r.get(7)?);
    let (status, opened_at, resolved_at) = (r.get(8)?, r.get(9)?, r.get(10)?);
    Ok((|| {
        Ok(Alert {
            id,
            connection_id,
            connector_id,
            owner: Owner::from_parts(&kind, owner_id)?,
            reason,
            missing_scopes: from_json(&scopes)?,
            detail,
            status,
            opened_at,
            resolved_at,
        })
    })())
}

fn get(conn: &Connection, id: &str) -> Result<Option<Alert>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

fn list_where(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Alert>, VaultError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE {filter} ORDER BY opened_at, id"
    ))?;
    collect(stmt.query_map(args, from_row)?)
}

fn enqueue(conn: &Connection, deliveries: &[NewDelivery]) -> Result<(), VaultError> {
    let now = now_ms();
    for d in deliveries {
        conn.execute(
            "INSERT INTO alert_deliveries (id, alert_id, event, destination, message_id, payload, status, next_attempt_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
            params![d.id, d.alert_id, d.event, d.destination, d.message_id, d.payload, now],
        )?;
    }
    Ok(())
}

/// Resolve every open alert of a connection (inside the caller's transaction); returns them.
pub(super) fn resolve_for(
    conn: &Connection,
    connection_id: &str,
) -> Result<Vec<Alert>, VaultError> {
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

fn open_alert(
    conn: &mut Connection,
    alert: &Alert,
    deliveries: &[NewDelivery],
) -> Result<bool, VaultError> {
    let tx = conn.transaction()?;
    let (kind, owner_id) = owner_parts(&alert.owner);
    let inserted = tx.execute(
        "INSERT INTO alerts (id, connection_id, connector_id, owner_kind, owner_id, reason, missing_scopes, detail, status, opened_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9) ON CONFLICT DO NOTHING",
        params![
            alert.id, alert.connection_id, alert.connector_id, kind, owner_id, alert.reason,
            json(&alert.missing_scopes)?, alert.detail, alert.opened_at
        ],
    )?;
    if inserted == 0 {
        return Ok(false);
    }
    enqueue(&tx, deliveries)?;
    tx.commit()?;
    Ok(true)
}

#[async_trait]
impl AlertStore for SqliteBackend {
    async fn open_alert(
        &self,
        alert: &Alert,
        deliveries: &[NewDelivery],
    ) -> Result<bool, VaultError> {
        let (alert, deliveries) = (alert.clone(), deliveries.to_vec());
        self.db
            .write(move |c| open_alert(c, &alert, &deliveries))
            .await
    }

    async fn get_alert(&self, id: &str) -> Result<Option<Alert>, VaultError> {
        let id = id.to_string();
        self.db.read(move |c| get(c, &id)).await
    }

    async fn list_alerts(&self, open_only: bool) -> Result<Vec<Alert>, VaultError> {
        self.db
            .read(move |c| {
                if open_only {
                    list_where(c, "status = 'open'", [])
                } else {
                    list_where(c, "1 = 1", [])
                }
            })
            .await
    }

    async fn resolve_alerts(&self, connection_id: &str) -> Result<Vec<Alert>, VaultError> {
        let id = connection_id.to_string();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let resolved = resolve_for(&tx, &id)?;
                tx.commit()?;
                Ok(resolved)
            })
            .await
    }

    async fn enqueue(&self, deliveries: &[NewDelivery]) -> Result<(), VaultError> {
        let deliveries = deliveries.to_vec();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                enqueue(&tx, &deliveries)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<Delivery>, VaultError> {
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(
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
            })
            .await
    }

    async fn next_delivery_at(&self) -> Result<Option<i64>, VaultError> {
        self.db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT min(next_attempt_at) FROM alert_deliveries WHERE status = 'pending'",
                    [],
                    |r| r.get::<_, Option<i64>>(0),
                )?)
            })
            .await
    }

    async fn delivered(&self, id: &str) -> Result<(), VaultError> {
        let id = id.to_string();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2, last_error = NULL WHERE id = ?1",
                    params![id, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn delivery_failed(
        &self,
        id: &str,
        error: &str,
        next_at: Option<i64>,
    ) -> Result<(), VaultError> {
        let (id, error) = (id.to_string(), error.to_string());
        self.db
            .write(move |c| {
                match next_at {
                    Some(at) => c.execute(
                        "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
                        params![id, at, error],
                    )?,
                    None => c.execute(
                        "UPDATE alert_deliveries SET attempts = attempts + 1, status = 'failed', last_error = ?2 WHERE id = ?1",
                        params![id, error],
                    )?,
                };
                Ok(())
            })
            .await
    }

    async fn deliveries_of(&self, alert_id: &str) -> Result<Vec<DeliveryState>, VaultError> {
        let id = alert_id.to_string();
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(
                    "SELECT event, destination, status, attempts, last_error, delivered_at FROM alert_deliveries \
                     WHERE alert_id = ?1 ORDER BY created_at, id",
                )?;
                let rows = stmt.query_map(params![id], |r| {
                    Ok(DeliveryState {
                        event: r.get(0)?,
                        destination: r.get(1)?,
                        status: r.get(2)?,
                        attempts: r.get(3)?,
                        last_error: r.get(4)?,
                        delivered_at: r.get(5)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
