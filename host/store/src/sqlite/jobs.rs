//! The job queue in SQL: `jobs`, claimed in the one writer so each job goes to one worker.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteBackend;
use super::rows::from_json;
use crate::clock::now_ms;
use crate::error::VaultError;
use crate::jobs::{Job, JobStore, NewJob};

const COLUMNS: &str = "id, actor, idempotency_key, user_id, tool, input, status, connector_id, result, error, attempts, created_at, updated_at, finished_at";

fn json_col(s: Option<String>) -> Result<Option<serde_json::Value>, VaultError> {
    s.as_deref().map(from_json).transpose()
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<Job, VaultError>> {
    let input: String = r.get(5)?;
    let result: Option<String> = r.get(8)?;
    let error: Option<String> = r.get(9)?;
    let (id, actor, idempotency_key, user_id, tool) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let (status, connector_id, attempts) = (r.get(6)?, r.get(7)?, r.get(10)?);
    let (created_at, updated_at, finished_at) = (r.get(11)?, r.get(12)?, r.get(13)?);
    Ok((|| {
        Ok(Job {
            id,
            actor,
            idempotency_key,
            user_id,
            tool,
            input: from_json(&input)?,
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

fn get(conn: &Connection, id: &str) -> Result<Option<Job>, VaultError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()?
    .transpose()
}

fn submit(conn: &mut Connection, new: &NewJob) -> Result<(Job, bool), VaultError> {
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
    tx.execute(
        "INSERT INTO jobs (id, actor, idempotency_key, user_id, tool, input, status, connector_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?8)",
        params![new.id, new.actor, new.idempotency_key, new.user_id, new.tool, new.input.to_string(), new.connector_id, now_ms()],
    )?;
    let job = get(&tx, &new.id)?.ok_or_else(|| VaultError::Malformed("job vanished".into()))?;
    tx.commit()?;
    Ok((job, true))
}

fn claim(conn: &mut Connection, now: i64) -> Result<Option<Job>, VaultError> {
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

#[async_trait]
impl JobStore for SqliteBackend {
    async fn submit(&self, new: &NewJob) -> Result<(Job, bool), VaultError> {
        let new = new.clone();
        self.db.write(move |c| submit(c, &new)).await
    }

    async fn get(&self, id: &str) -> Result<Option<Job>, VaultError> {
        let id = id.to_string();
        self.db.read(move |c| get(c, &id)).await
    }

    async fn claim(&self, now: i64) -> Result<Option<Job>, VaultError> {
        self.db.write(move |c| claim(c, now)).await
    }

    async fn finish(
        &self,
        id: &str,
        status: &str,
        result: Option<&serde_json::Value>,
        error: Option<&serde_json::Value>,
    ) -> Result<(), VaultError> {
        let (id, status) = (id.to_string(), status.to_string());
        let (result, error) = (result.map(|r| r.to_string()), error.map(|e| e.to_string()));
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE jobs SET status = ?2, result = ?3, error = ?4, updated_at = ?5, finished_at = ?5 WHERE id = ?1",
                    params![id, status, result, error, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn block(
        &self,
        id: &str,
        connector_id: &str,
        problem: &serde_json::Value,
    ) -> Result<(), VaultError> {
        let (id, connector, problem) = (
            id.to_string(),
            connector_id.to_string(),
            problem.to_string(),
        );
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE jobs SET status = 'auth_blocked', connector_id = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, connector, problem, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn requeue(&self, id: &str, not_before: i64) -> Result<(), VaultError> {
        let id = id.to_string();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE jobs SET status = 'queued', not_before = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, not_before, now_ms()],
                )?;
                Ok(())
            })
            .await
    }

    async fn blocked_on(&self, connector_id: &str, user_id: &str) -> Result<bool, VaultError> {
        let (connector, user) = (connector_id.to_string(), user_id.to_string());
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT 1 FROM jobs WHERE status = 'auth_blocked' AND connector_id = ?1 AND user_id = ?2 LIMIT 1",
                    params![connector, user],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?
                .is_some())
            })
            .await
    }

    async fn resume(&self, connector_id: &str, users: &[String]) -> Result<usize, VaultError> {
        let (connector, users) = (connector_id.to_string(), users.to_vec());
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let now = now_ms();
                let mut n = 0;
                for u in &users {
                    n += tx.execute(
                        "UPDATE jobs SET status = 'queued', not_before = 0, error = NULL, updated_at = ?3 \
                         WHERE status = 'auth_blocked' AND connector_id = ?1 AND user_id = ?2",
                        params![connector, u, now],
                    )?;
                }
                tx.commit()?;
                Ok(n)
            })
            .await
    }

    async fn blocked_users(&self, connector_id: &str) -> Result<Vec<String>, VaultError> {
        let connector = connector_id.to_string();
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(
                    "SELECT DISTINCT user_id FROM jobs WHERE status = 'auth_blocked' AND connector_id = ?1",
                )?;
                let rows = stmt.query_map(params![connector], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn recover(&self) -> Result<usize, VaultError> {
        self.db
            .write(|c| {
                Ok(c.execute(
                    "UPDATE jobs SET status = 'queued', updated_at = ?1 WHERE status = 'running'",
                    params![now_ms()],
                )?)
            })
            .await
    }

    async fn next_runnable(&self) -> Result<Option<i64>, VaultError> {
        self.db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT min(not_before) FROM jobs WHERE status = 'queued'",
                    [],
                    |r| r.get::<_, Option<i64>>(0),
                )?)
            })
            .await
    }
}
