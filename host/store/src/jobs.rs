//! Jobs: tool calls run asynchronously, parked in `auth_blocked` when the user must act.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::error::VaultError;
use crate::clock::now_ms;

/// A job's state.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: String,
    /// The agent key accountable for it.
    pub actor: String,
    pub idempotency_key: Option<String>,
    pub user_id: String,
    pub tool: String,
    pub input: serde_json::Value,
    pub status: String,
    /// The connector it waits on when `auth_blocked`.
    pub connector_id: Option<String>,
    pub result: Option<serde_json::Value>,
    pub error: Option<serde_json::Value>,
    pub attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub actor: String,
    pub idempotency_key: Option<String>,
    pub user_id: String,
    pub tool: String,
    pub connector_id: Option<String>,
    pub input: serde_json::Value,
}

const COLUMNS: &str = "id, actor, idempotency_key, user_id, tool, input, status, connector_id, result, error, attempts, created_at, updated_at, finished_at";

fn json_col(s: Option<String>) -> Result<Option<serde_json::Value>, VaultError> {
    s.as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(Into::into)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<Job, VaultError>> {
    let input: String = r.get(5)?;
    let result: Option<String> = r.get(8)?;
    let error: Option<String> = r.get(9)?;
    let rest = (
        r.get::<_, String>(0)?,
        r.get::<_, String>(1)?,
        r.get::<_, Option<String>>(2)?,
        r.get::<_, String>(3)?,
        r.get::<_, String>(4)?,
        r.get::<_, String>(6)?,
        r.get::<_, Option<String>>(7)?,
        r.get::<_, i64>(10)?,
        r.get::<_, i64>(11)?,
        r.get::<_, i64>(12)?,
        r.get::<_, Option<i64>>(13)?,
    );
    Ok((|| {
        let (
            id,
            actor,
            idempotency_key,
            user_id,
            tool,
            status,
            connector_id,
            attempts,
            created_at,
            updated_at,
            finished_at,
        ) = rest;
        Ok(Job {
            id,
            actor,
            idempotency_key,
            user_id,
            tool,
            input: serde_json::from_str(&input)?,
            status,
            connector_id,
            result: json_col(result)?,
            error: json_col(error)?,
            attempts,
            created_at,
            updated_at,
            finished_at,
        })
    })())
}

/// Queue a job; with an idempotency key already used by this actor, return the existing job.
pub fn submit(conn: &mut Connection, new: &NewJob) -> Result<(Job, bool), VaultError> {
    let tx = conn.transaction()?;
    if let Some(key) = &new.idempotency_key
        && let Some(existing) = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE actor = ?1 AND idempotency_key = ?2"),
                params![new.actor, key],
                from_row,
            )
            .optional()?
    {
        tx.commit()?;
        return Ok((existing?, false));
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO jobs (id, actor, idempotency_key, user_id, tool, input, status, connector_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?8)",
        params![
            new.id,
            new.actor,
            new.idempotency_key,
            new.user_id,
            new.tool,
            new.input.to_string(),
            new.connector_id,
            now
        ],
    )?;
    let job = get(&tx, &new.id)?.ok_or_else(|| VaultError::Malformed("job vanished".into()))?;
    tx.commit()?;
    Ok((job, true))
}

/// A job by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Job>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

/// Take the oldest runnable job (queued, due) and mark it running.
pub fn claim(conn: &mut Connection, now: i64) -> Result<Option<Job>, VaultError> {
    let tx = conn.transaction()?;
    let id: Option<String> = tx
        .query_row(
            "SELECT id FROM jobs WHERE status = 'queued' AND not_before <= ?1 ORDER BY created_at, id LIMIT 1",
            params![now],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else {
        tx.commit()?;
        return Ok(None);
    };
    tx.execute(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    let job = get(&tx, &id)?;
    tx.commit()?;
    Ok(job)
}

/// Finish a job (`succeeded` or `failed`).
pub fn finish(
    conn: &Connection,
    id: &str,
    status: &str,
    result: Option<&serde_json::Value>,
    error: Option<&serde_json::Value>,
) -> Result<(), VaultError> {
    let now = now_ms();
    conn.execute(
        "UPDATE jobs SET status = ?2, result = ?3, error = ?4, updated_at = ?5, finished_at = ?5 WHERE id = ?1",
        params![id, status, result.map(|r| r.to_string()), error.map(|e| e.to_string()), now],
    )?;
    Ok(())
}

/// Park a job until its connector is (re)authorized for its user.
pub fn block(
    conn: &Connection,
    id: &str,
    connector_id: &str,
    problem: &serde_json::Value,
) -> Result<(), VaultError> {
    conn.execute(
        "UPDATE jobs SET status = 'auth_blocked', connector_id = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, connector_id, problem.to_string(), now_ms()],
    )?;
    Ok(())
}

/// Put a job back in the queue, not before `not_before` (transient failures, restarts).
pub fn requeue(conn: &Connection, id: &str, not_before: i64) -> Result<(), VaultError> {
    conn.execute(
        "UPDATE jobs SET status = 'queued', not_before = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, not_before, now_ms()],
    )?;
    Ok(())
}

/// Whether `user_id`'s jobs on `connector_id` are parked (so queued ones wait too).
pub fn blocked_on(
    conn: &Connection,
    connector_id: &str,
    user_id: &str,
) -> Result<bool, VaultError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM jobs WHERE status = 'auth_blocked' AND connector_id = ?1 AND user_id = ?2 LIMIT 1",
            params![connector_id, user_id],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .is_some())
}

/// Resume every job parked on `connector_id` for these users; returns how many.
pub fn resume(
    conn: &Connection,
    connector_id: &str,
    users: &[String],
) -> Result<usize, VaultError> {
    let now = now_ms();
    let mut n = 0;
    for u in users {
        n += conn.execute(
            "UPDATE jobs SET status = 'queued', not_before = 0, error = NULL, updated_at = ?3 \
             WHERE status = 'auth_blocked' AND connector_id = ?1 AND user_id = ?2",
            params![connector_id, u, now],
        )?;
    }
    Ok(n)
}

/// Users with jobs parked on `connector_id` (to resume a group's shared connection's members).
pub fn blocked_users(conn: &Connection, connector_id: &str) -> Result<Vec<String>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT user_id FROM jobs WHERE status = 'auth_blocked' AND connector_id = ?1",
    )?;
    let rows = stmt.query_map(params![connector_id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// After a restart: jobs that were running are queued again (at-least-once).
pub fn recover(conn: &Connection) -> Result<usize, VaultError> {
    Ok(conn.execute(
        "UPDATE jobs SET status = 'queued', updated_at = ?1 WHERE status = 'running'",
        params![now_ms()],
    )?)
}

/// When the next queued job becomes runnable, if any.
pub fn next_runnable(conn: &Connection) -> Result<Option<i64>, VaultError> {
    Ok(conn.query_row(
        "SELECT min(not_before) FROM jobs WHERE status = 'queued'",
        [],
        |r| r.get::<_, Option<i64>>(0),
    )?)
}
