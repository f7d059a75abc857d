//! Jobs: tool calls run asynchronously. One that hits an auth problem waits in `auth_blocked`
//! (and so do queued jobs on the same connector and user) until the user reconnects, then
//! resumes by itself; transient failures are retried with backoff; jobs survive restarts.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::problem::Problem;
use crate::app::App;
use crate::clock::now_ms;
use crate::policy::ToolScope;
use crate::toolcall::{self, ToolCall, ToolCallError};
use crate::vault::jobs::Job;
use crate::vault::{KeyKind, VaultError};

/// Codes that park a job until the user acts.
const AUTH_CODES: &[&str] = &[
    "authorization_required",
    "reauthorization_required",
    "insufficient_scope",
];
/// Codes worth retrying later.
const TRANSIENT_CODES: &[&str] = &[
    "token_refresh_unavailable",
    "rate_limited",
    "connector_busy",
    "storage_unavailable",
];

/// Start `[jobs] workers` workers; jobs left running by a crash are queued again first.
pub fn spawn_workers(app: Arc<App>) {
    let workers = app.config.jobs.workers.max(1);
    tokio::spawn(async move {
        match app.vault.jobs().recover().await {
            Ok(n) if n > 0 => tracing::warn!(
                requeued = n,
                "jobs interrupted by a restart are queued again"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot recover interrupted jobs"),
        }
        for _ in 0..workers {
            let app = app.clone();
            tokio::spawn(async move { worker(app).await });
        }
    });
}

async fn worker(app: Arc<App>) {
    loop {
        let claimed = app.vault.jobs().claim(now_ms()).await;
        match claimed {
            Ok(Some(job)) => {
                if let Err(e) = run(&app, job).await {
                    tracing::error!(error = %e, "a job could not be recorded");
                }
                app.jobs_changed.notify_waiters();
            }
            Ok(None) => {
                let next = app.vault.jobs().next_runnable().await.ok().flatten();
                let wait = next
                    .map(|at| {
                        Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0).max(50))
                    })
                    .unwrap_or(Duration::from_secs(5))
                    .min(Duration::from_secs(5));
                tokio::select! {
                    _ = app.jobs_wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot claim a job");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn problem_json(e: ToolCallError) -> (String, Value) {
    let code = e.code().to_string();
    (code, Problem::from(e).body())
}

async fn run(app: &App, job: Job) -> Result<(), VaultError> {
    let connector = app
        .registry
        .resolve_tool(&job.tool)
        .map(|(p, _)| p.manifest.id.clone());
    // Jobs behind a parked one on the same connector and user wait with it.
    if let Some(c) = &connector
        && app.vault.jobs().blocked_on(c, &job.user_id).await?
    {
        let problem = json!({
            "code": "waiting_for_reauthorization",
            "detail": format!("another job for this user is waiting for {c} to be reconnected"),
        });
        return app.vault.jobs().block(&job.id, c, &problem).await;
    }
    // The accountable agent key must still be valid when the job runs.
    let actor = app.vault.principals().get_key(&job.actor).await?;
    if !actor.is_some_and(|k| k.kind == KeyKind::Agent && k.revoked_at.is_none()) {
        let error = json!({"code": "caller_revoked", "detail": "the agent key that submitted this job was revoked"});
        return app
            .vault
            .jobs()
            .finish(&job.id, "failed", None, Some(&error))
            .await;
    }
    let call = ToolCall {
        tool: job.tool.clone(),
        user_id: job.user_id.clone(),
        input: job.input.clone(),
        // Checked against the caller's packs at submission; a job runs only its own tool.
        scope: ToolScope::Only(BTreeSet::from([job.tool.clone()])),
        actor: job.actor.clone(),
        cancel: tokio_util::sync::CancellationToken::new(),
    };
    let id = job.id.clone();
    match toolcall::run(app, call).await {
        Ok(out) => {
            let result = serde_json::to_value(&out).unwrap_or(Value::Null);
            tracing::info!(job = %id, "job succeeded");
            app.vault
                .jobs()
                .finish(&id, "succeeded", Some(&result), None)
                .await
        }
        Err(e) => {
            let (code, problem) = problem_json(e);
            if AUTH_CODES.contains(&code.as_str())
                && let Some(c) = connector
            {
                tracing::info!(job = %id, connector = %c, %code, "job waits for re-authorization");
                app.vault.jobs().block(&id, &c, &problem).await
            } else if TRANSIENT_CODES.contains(&code.as_str())
                && job.attempts < i64::from(app.config.jobs.max_attempts)
            {
                let delay = backoff_ms(app.config.jobs.retry_base_ms, job.attempts);
                tracing::info!(job = %id, %code, delay_ms = delay, "job retried later");
                app.vault.jobs().requeue(&id, now_ms() + delay).await
            } else {
                tracing::info!(job = %id, %code, "job failed");
                app.vault
                    .jobs()
                    .finish(&id, "failed", None, Some(&problem))
                    .await
            }
        }
    }
}

fn backoff_ms(base: u64, attempts: i64) -> i64 {
    // The attempt that just failed was number `attempts + 1`.
    let attempt = u32::try_from(attempts.clamp(0, 32)).unwrap_or(32) + 1;
    crate::retry_delay::jittered_ms(base, 300_000, attempt)
}

/// Wait up to `timeout` for a job to leave `queued`/`running`; returns it as it stands then.
pub async fn wait(app: &App, id: &str, timeout: Duration) -> Result<Option<Job>, VaultError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let changed = app.jobs_changed.notified();
        let job = app.vault.jobs().get(id).await?;
        let Some(job) = job else { return Ok(None) };
        let settled = !matches!(job.status.as_str(), "queued" | "running");
        if settled || tokio::time::Instant::now() >= deadline {
            return Ok(Some(job));
        }
        let tick = deadline.min(tokio::time::Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = changed => {}
            _ = tokio::time::sleep_until(tick) => {}
        }
    }
}
