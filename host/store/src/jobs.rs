//! Jobs: tool calls run asynchronously, parked in `auth_blocked` when the user must act.

use async_trait::async_trait;
use serde::Serialize;

use super::error::VaultError;

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

/// Storage of jobs: a queue where each job is claimed once. Every method is one transaction.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queue a job; with an idempotency key this actor already used, the existing job instead.
    /// Returns the job and whether it was created.
    async fn submit(&self, new: &NewJob) -> Result<(Job, bool), VaultError>;
    /// A job by id.
    async fn get(&self, id: &str) -> Result<Option<Job>, VaultError>;
    /// Take the oldest runnable job (queued, due at `now`) and mark it running: each job is
    /// handed to exactly one claimant.
    async fn claim(&self, now: i64) -> Result<Option<Job>, VaultError>;
    /// Finish a job (`succeeded` or `failed`).
    async fn finish(
        &self,
        id: &str,
        status: &str,
        result: Option<&serde_json::Value>,
        error: Option<&serde_json::Value>,
    ) -> Result<(), VaultError>;
    /// Park a job until its connector is (re)authorized for its user.
    async fn block(
        &self,
        id: &str,
        connector_id: &str,
        problem: &serde_json::Value,
    ) -> Result<(), VaultError>;
    /// Put a job back in the queue, not before `not_before` (transient failures, restarts).
    async fn requeue(&self, id: &str, not_before: i64) -> Result<(), VaultError>;
    /// Whether `user_id`'s jobs on `connector_id` are parked (so queued ones wait too).
    async fn blocked_on(&self, connector_id: &str, user_id: &str) -> Result<bool, VaultError>;
    /// Resume every job parked on `connector_id` for these users; returns how many.
    async fn resume(&self, connector_id: &str, users: &[String]) -> Result<usize, VaultError>;
    /// Users with jobs parked on `connector_id` (to resume a shared connection's members).
    async fn blocked_users(&self, connector_id: &str) -> Result<Vec<String>, VaultError>;
    /// After a restart: jobs that were running are queued again (at-least-once).
    async fn recover(&self) -> Result<usize, VaultError>;
    /// When the next queued job becomes runnable, if any.
    async fn next_runnable(&self) -> Result<Option<i64>, VaultError>;
}
