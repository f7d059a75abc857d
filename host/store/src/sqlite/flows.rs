//! Flows in SQL: `connect_sessions`, `pack_sessions`, `oauth_states` (the verifier sealed).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteBackend;
use super::rows::{collect, from_json, json, owner_parts, sealed_at};
use crate::clock::now_ms;
use crate::connections::Owner;
use crate::error::VaultError;
use crate::flows::{
    ConnectSession, Consumed, FlowStore, PackSession, Peeked, PendingState, SealedState,
    SessionStatus,
};

const COLUMNS: &str = "id, connector_id, owner_kind, owner_id, scopes, return_to, status, error, connection_id, \
                       created_at, expires_at, completed_at, pack_session_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<ConnectSession, VaultError>> {
    let owner_kind: String = r.get(2)?;
    let owner_id: String = r.get(3)?;
    let scopes: String = r.get(4)?;
    let status: String = r.get(6)?;
    let (id, connector_id, return_to, error, connection_id) =
        (r.get(0)?, r.get(1)?, r.get(5)?, r.get(7)?, r.get(8)?);
    let (created_at, expires_at, completed_at, pack_session_id) =
        (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?);
    Ok((|| {
        Ok(ConnectSession {
            id,
            connector_id,
            owner: Owner::from_parts(&owner_kind, owner_id)?,
            scopes: from_json(&scopes)?,
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

fn sessions_where(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<ConnectSession>, VaultError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM connect_sessions WHERE {filter}"
    ))?;
    collect(stmt.query_map(args, from_row)?)
}

const STATE_COLUMNS: &str = "session_id, connector_id, browser_hash, redirect_uri, issuer, scopes, data_key_id, \
                             verifier_nonce, verifier_sealed, created_at, expires_at";
/// How many columns [`STATE_COLUMNS`] names (the next one is free for extras).
const STATE_COLUMN_COUNT: usize = 11;

fn state_from_row(r: &Row<'_>) -> rusqlite::Result<Result<SealedState, VaultError>> {
    let scopes: String = r.get(5)?;
    let state = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let (verifier, created_at, expires_at) = (sealed_at(r, 6)?, r.get(9)?, r.get(10)?);
    Ok((|| {
        let (session_id, connector_id, browser_hash, redirect_uri, issuer) = state;
        Ok(PendingState {
            session_id,
            connector_id,
            browser_hash,
            redirect_uri,
            issuer,
            scopes: from_json(&scopes)?,
            verifier,
            created_at,
            expires_at,
        })
    })())
}

fn peek_state(conn: &Connection, state_hash: &[u8]) -> Result<Peeked<SealedState>, VaultError> {
    let row = conn
        .query_row(
            &format!(
                "SELECT {STATE_COLUMNS}, used_at IS NOT NULL FROM oauth_states WHERE state_hash = ?1"
            ),
            params![state_hash],
            |r| {
                let used: bool = r.get(STATE_COLUMN_COUNT)?;
                Ok((state_from_row(r)?, used))
            },
        )
        .optional()?;
    Ok(match row {
        None => Peeked::Unknown,
        Some((_, true)) => Peeked::AlreadyUsed,
        Some((state, false)) => Peeked::Pending(state?),
    })
}

fn consume_state(
    conn: &mut Connection,
    state_hash: &[u8],
    now: i64,
) -> Result<Consumed<SealedState>, VaultError> {
    let tx = conn.transaction()?;
    let spent = tx.execute(
        "UPDATE oauth_states SET used_at = ?2 WHERE state_hash = ?1 AND used_at IS NULL",
        params![state_hash, now],
    )?;
    let answer = if spent == 0 {
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM oauth_states WHERE state_hash = ?1",
                params![state_hash],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            Consumed::AlreadyUsed
        } else {
            Consumed::Unknown
        }
    } else {
        Consumed::Fresh(tx.query_row(
            &format!("SELECT {STATE_COLUMNS} FROM oauth_states WHERE state_hash = ?1"),
            params![state_hash],
            state_from_row,
        )??)
    };
    tx.commit()?;
    Ok(answer)
}

#[async_trait]
impl FlowStore for SqliteBackend {
    async fn insert_session(&self, session: &ConnectSession) -> Result<(), VaultError> {
        let s = session.clone();
        self.db
            .write(move |c| {
                let (kind, owner_id) = owner_parts(&s.owner);
                c.execute(
                    "INSERT INTO connect_sessions (id, connector_id, owner_kind, owner_id, scopes, return_to, status, \
                     created_at, expires_at, pack_session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9)",
                    params![s.id, s.connector_id, kind, owner_id, json(&s.scopes)?, s.return_to, s.created_at, s.expires_at, s.pack_session_id],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_session(&self, id: &str) -> Result<Option<ConnectSession>, VaultError> {
        let id = id.to_string();
        self.db
            .read(move |c| {
                c.query_row(
                    &format!("SELECT {COLUMNS} FROM connect_sessions WHERE id = ?1"),
                    params![id],
                    from_row,
                )
                .optional()?
                .transpose()
            })
            .await
    }

    async fn sessions_of_pack(
        &self,
        pack_session_id: &str,
    ) -> Result<Vec<ConnectSession>, VaultError> {
        let id = pack_session_id.to_string();
        self.db
            .read(move |c| {
                sessions_where(c, "pack_session_id = ?1 ORDER BY connector_id", params![id])
            })
            .await
    }

    async fn pending_sessions(
        &self,
        connector_id: &str,
        owner: &Owner,
        now: i64,
    ) -> Result<Vec<ConnectSession>, VaultError> {
        let (connector_id, owner) = (connector_id.to_string(), owner.clone());
        self.db
            .read(move |c| {
                let (kind, owner_id) = owner_parts(&owner);
                sessions_where(
                    c,
                    "connector_id = ?1 AND owner_kind = ?2 AND owner_id = ?3 \
                     AND status = 'pending' AND expires_at > ?4 ORDER BY created_at DESC",
                    params![connector_id, kind, owner_id, now],
                )
            })
            .await
    }

    async fn complete_session(&self, id: &str, connection_id: &str) -> Result<bool, VaultError> {
        let (id, connection_id) = (id.to_string(), connection_id.to_string());
        self.db
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE connect_sessions SET status = 'completed', connection_id = ?2, completed_at = ?3, error = NULL \
                     WHERE id = ?1 AND status = 'pending' AND expires_at > ?3",
                    params![id, connection_id, now_ms()],
                )? > 0)
            })
            .await
    }

    async fn record_session_error(&self, id: &str, error: &str) -> Result<(), VaultError> {
        let (id, error) = (id.to_string(), error.to_string());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE connect_sessions SET error = ?2 WHERE id = ?1 AND status = 'pending'",
                    params![id, error],
                )?;
                Ok(())
            })
            .await
    }

    async fn fail_session(&self, id: &str, error: &str) -> Result<(), VaultError> {
        let (id, error) = (id.to_string(), error.to_string());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE connect_sessions SET status = 'failed', error = ?2, completed_at = ?3 WHERE id = ?1 AND status = 'pending'",
                    params![id, error, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn expire_sessions(&self, now: i64) -> Result<usize, VaultError> {
        self.db
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE connect_sessions SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?1",
                    params![now],
                )?)
            })
            .await
    }

    async fn insert_pack_session(&self, session: &PackSession) -> Result<(), VaultError> {
        let s = session.clone();
        self.db
            .write(move |c| {
                let (kind, owner_id) = owner_parts(&s.owner);
                c.execute(
                    "INSERT INTO pack_sessions (id, pack, owner_kind, owner_id, return_to, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![s.id, s.pack, kind, owner_id, s.return_to, s.created_at, s.expires_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_pack_session(&self, id: &str) -> Result<Option<PackSession>, VaultError> {
        let id = id.to_string();
        self.db
            .read(move |c| {
                c.query_row(
                    "SELECT id, pack, owner_kind, owner_id, return_to, created_at, expires_at FROM pack_sessions WHERE id = ?1",
                    params![id],
                    |r| {
                        let (kind, owner_id): (String, String) = (r.get(2)?, r.get(3)?);
                        let (id, pack, return_to, created_at, expires_at) =
                            (r.get(0)?, r.get(1)?, r.get(4)?, r.get(5)?, r.get(6)?);
                        Ok(Owner::from_parts(&kind, owner_id).map(|owner| PackSession {
                            id,
                            pack,
                            owner,
                            return_to,
                            created_at,
                            expires_at,
                        }))
                    },
                )
                .optional()?
                .transpose()
            })
            .await
    }

    async fn insert_state_sealed(
        &self,
        state_hash: &[u8],
        state: &SealedState,
    ) -> Result<(), VaultError> {
        let hash = state_hash.to_vec();
        let s = state.clone();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO oauth_states (state_hash, session_id, connector_id, browser_hash, redirect_uri, issuer, scopes, \
                     data_key_id, verifier_nonce, verifier_sealed, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    params![
                        hash, s.session_id, s.connector_id, s.browser_hash, s.redirect_uri, s.issuer, json(&s.scopes)?,
                        s.verifier.data_key_id, s.verifier.nonce, s.verifier.ciphertext, s.created_at, s.expires_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn peek_state_sealed(
        &self,
        state_hash: &[u8],
    ) -> Result<Peeked<SealedState>, VaultError> {
        let hash = state_hash.to_vec();
        self.db.read(move |c| peek_state(c, &hash)).await
    }

    async fn consume_state_sealed(
        &self,
        state_hash: &[u8],
        now: i64,
    ) -> Result<Consumed<SealedState>, VaultError> {
        let hash = state_hash.to_vec();
        self.db.write(move |c| consume_state(c, &hash, now)).await
    }

    async fn prune_states(&self, older_than: i64) -> Result<usize, VaultError> {
        self.db
            .write(move |c| {
                Ok(c.execute(
                    "DELETE FROM oauth_states WHERE expires_at < ?1",
                    params![older_than],
                )?)
            })
            .await
    }
}
