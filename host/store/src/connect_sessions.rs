//! Connect sessions: single-use, expiring links where a user connects one connector.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::connections::Owner;
use super::error::VaultError;
use crate::clock::now_ms;

/// Where a connect session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Pending,
    Completed,
    Failed,
    Expired,
}

impl SessionStatus {
    fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Pending => "pending",
            SessionStatus::Completed => "completed",
            SessionStatus::Failed => "failed",
            SessionStatus::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<Self, VaultError> {
        Ok(match s {
            "pending" => SessionStatus::Pending,
            "completed" => SessionStatus::Completed,
            "failed" => SessionStatus::Failed,
            "expired" => SessionStatus::Expired,
            other => return Err(VaultError::Malformed(format!("session status {other:?}"))),
        })
    }
}

/// A connect session. Its link carries a MAC of the id, so nothing secret is stored.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectSession {
    pub id: String,
    pub connector_id: String,
    pub owner: Owner,
    /// Scopes to ask for; empty means the connector's defaults.
    pub scopes: Vec<String>,
    pub return_to: Option<String>,
    pub status: SessionStatus,
    pub error: Option<String>,
    pub connection_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
    /// The pack flow this session is one step of, if any.
    pub pack_session_id: Option<String>,
}

impl ConnectSession {
    /// The status as seen now: a pending session past its expiry reads as expired.
    pub fn effective_status(&self, now: i64) -> SessionStatus {
        if self.status == SessionStatus::Pending && now >= self.expires_at {
            SessionStatus::Expired
        } else {
            self.status
        }
    }
}

const COLUMNS: &str = "id, connector_id, owner_kind, owner_id, scopes, return_to, status, error, connection_id, \
                       created_at, expires_at, completed_at, pack_session_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<ConnectSession, VaultError>> {
    let owner_kind: String = r.get(2)?;
    let owner_id: String = r.get(3)?;
    let scopes: String = r.get(4)?;
    let status: String = r.get(6)?;
    let pack_session_id: Option<String> = r.get(12)?;
    let session = (
        r.get::<_, String>(0)?,
        r.get::<_, String>(1)?,
        r.get::<_, Option<String>>(5)?,
        r.get::<_, Option<String>>(7)?,
        r.get::<_, Option<String>>(8)?,
        r.get::<_, i64>(9)?,
        r.get::<_, i64>(10)?,
        r.get::<_, Option<i64>>(11)?,
    );
    Ok((|| {
        let (
            id,
            connector_id,
            return_to,
            error,
            connection_id,
            created_at,
            expires_at,
            completed_at,
        ) = session;
        Ok(ConnectSession {
            id,
            connector_id,
            owner: match owner_kind.as_str() {
                "user" => Owner::User(owner_id),
                "group" => Owner::Group(owner_id),
                other => return Err(VaultError::Malformed(format!("owner kind {other:?}"))),
            },
            scopes: serde_json::from_str(&scopes)?,
            return_to,
            status: SessionStatus::parse(&status)?,
            error,
            connection_id,
            created_at,
            expires_at,
            completed_at,
            pack_session_id,
        })
    })())
}

/// Store a new session.
pub fn insert(conn: &Connection, session: &ConnectSession) -> Result<(), VaultError> {
    let (kind, owner_id) = match &session.owner {
        Owner::User(u) => ("user", u),
        Owner::Group(g) => ("group", g),
    };
    conn.execute(
        "INSERT INTO connect_sessions (id, connector_id, owner_kind, owner_id, scopes, return_to, status, \
         created_at, expires_at, pack_session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9)",
        params![
            session.id,
            session.connector_id,
            kind,
            owner_id,
            serde_json::to_string(&session.scopes)?,
            session.return_to,
            session.created_at,
            session.expires_at,
            session.pack_session_id
        ],
    )?;
    Ok(())
}

/// A session by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<ConnectSession>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM connect_sessions WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

/// The connect sessions of one pack flow.
pub fn of_pack(
    conn: &Connection,
    pack_session_id: &str,
) -> Result<Vec<ConnectSession>, VaultError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM connect_sessions WHERE pack_session_id = ?1 ORDER BY connector_id"
    ))?;
    let rows = stmt.query_map(params![pack_session_id], from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Mark a pending session completed with the connection it produced. Returns false if it was
/// not pending (already used, failed or expired): a link works once.
pub fn complete(conn: &Connection, id: &str, connection_id: &str) -> Result<bool, VaultError> {
    let now = now_ms();
    Ok(conn.execute(
        "UPDATE connect_sessions SET status = 'completed', connection_id = ?2, completed_at = ?3, error = NULL \
         WHERE id = ?1 AND status = 'pending' AND expires_at > ?3",
        params![id, connection_id, now],
    )? > 0)
}

/// Record why the last attempt failed; the session stays usable for a retry until it expires.
pub fn record_error(conn: &Connection, id: &str, error: &str) -> Result<(), VaultError> {
    conn.execute(
        "UPDATE connect_sessions SET error = ?2 WHERE id = ?1 AND status = 'pending'",
        params![id, error],
    )?;
    Ok(())
}

/// End a session as failed (e.g. the user denied consent).
pub fn fail(conn: &Connection, id: &str, error: &str) -> Result<(), VaultError> {
    conn.execute(
        "UPDATE connect_sessions SET status = 'failed', error = ?2, completed_at = ?3 WHERE id = ?1 AND status = 'pending'",
        params![id, error, now_ms()],
    )?;
    Ok(())
}

/// Mark pending sessions past their expiry as expired; returns how many.
pub fn expire(conn: &Connection, now: i64) -> Result<usize, VaultError> {
    Ok(conn.execute(
        "UPDATE connect_sessions SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?1",
        params![now],
    )?)
}

/// Sessions still pending for (connector, owner), newest first.
pub fn pending_for(
    conn: &Connection,
    connector_id: &str,
    owner: &Owner,
    now: i64,
) -> Result<Vec<ConnectSession>, VaultError> {
    let (kind, owner_id) = match owner {
        Owner::User(u) => ("user", u),
        Owner::Group(g) => ("group", g),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM connect_sessions WHERE connector_id = ?1 AND owner_kind = ?2 AND owner_id = ?3 \
         AND status = 'pending' AND expires_at > ?4 ORDER BY created_at DESC"
    ))?;
    let rows = stmt.query_map(params![connector_id, kind, owner_id, now], from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

impl SessionStatus {
    /// Whether the session can no longer change.
    pub fn is_final(self) -> bool {
        !matches!(self, SessionStatus::Pending)
    }

    /// The stored spelling.
    pub fn name(self) -> &'static str {
        self.as_str()
    }
}
