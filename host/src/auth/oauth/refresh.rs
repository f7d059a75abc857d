//! Keeping tokens fresh: proactive (a margin before expiry) and reactive (after a 401),
//! single-flight per connection (a refresh lease in the vault, so it holds across gateways:
//! one claims, the others wait and re-read), rotated refresh tokens journaled then committed
//! before use, and failures classified: `invalid_grant` → re-auth, transient → backoff,
//! `invalid_client` → operator problem.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauth2::RefreshToken;

use super::error::{TokenError, classify};
use super::provider::{self, ProviderError};
use super::service_account;
use super::tokens::{Journaled, TokenSet, received_now};
use crate::app::App;
use crate::clock::now_ms;
use crate::health::{self, Reason};
use crate::plugin::LoadedPlugin;
use crate::vault::{ConnectionRecord, ConnectionStatus, SchemeKind, SecretField, VaultError};

/// Refresh this long before the recorded expiry.
pub const MARGIN_MS: i64 = 60_000;

/// How long a refresher holds a connection's lease: longer than a token request may take (the
/// egress caps one at 30 s by default). A holder that dies is replaced after this.
const LEASE_TTL: Duration = Duration::from_secs(60);

/// Why fresh tokens could not be had.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The connection is now `needs_reauth` (reason given); only the user can fix it.
    #[error("the connection needs re-authorization ({0})")]
    NeedsReauth(String),
    /// The provider is unavailable; try again after `retry_after`.
    #[error("the provider is temporarily unavailable")]
    Transient { retry_after: Duration },
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

#[derive(Debug, Clone, Copy)]
struct Backoff {
    until: tokio::time::Instant,
    failures: u32,
}

/// Per-connection backoff after failed refreshes, shared by all requests of this gateway
/// instance (single-flight itself is the vault's refresh lease).
#[derive(Default)]
pub struct Refresher {
    backoff: Mutex<HashMap<String, Backoff>>,
}

impl Refresher {
    fn backoff_remaining(&self, connection_id: &str) -> Option<Duration> {
        let map = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        let b = map.get(connection_id)?;
        let now = tokio::time::Instant::now();
        (b.until > now).then(|| b.until - now)
    }

    fn record_failure(&self, connection_id: &str, retry_after: Option<Duration>) -> Duration {
        let mut map = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        let failures = map.get(connection_id).map(|b| b.failures + 1).unwrap_or(1);
        // Exponential from 2 s, capped at 5 min, jittered; never sooner than Retry-After.
        let jittered = crate::retry_delay::jittered(
            Duration::from_secs(2),
            Duration::from_secs(300),
            failures,
        );
        let wait = retry_after.map(|r| r.max(jittered)).unwrap_or(jittered);
        map.insert(
            connection_id.to_string(),
            Backoff {
                until: tokio::time::Instant::now() + wait,
                failures,
            },
        );
        wait
    }

    fn clear(&self, connection_id: &str) {
        self.backoff
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connection_id);
    }
}

/// Whether a connection's tokens are due for a proactive refresh: within [`MARGIN_MS`] of
/// expiry, or within half their lifetime for tokens that live less than twice the margin (so
/// 30-second tokens are not refreshed on every call).
pub fn due(connection: &ConnectionRecord, now: i64) -> bool {
    match connection.scheme {
        SchemeKind::Oauth2 | SchemeKind::ServiceAccount => {
            connection.expires_at.is_some_and(|expires| {
                let lifetime = connection
                    .tokens_at
                    .map(|at| expires - at)
                    .unwrap_or(i64::MAX);
                let margin = MARGIN_MS.min(lifetime / 2).max(0);
                expires - margin <= now
            })
        }
        SchemeKind::ApiKey | SchemeKind::Basic => false,
    }
}

/// Make sure `seen` has usable tokens. With `force`, refresh even if not yet due (the upstream
/// said 401). Concurrent callers for one connection cause one token request; the rest wait and
/// re-read what it stored.
pub async fn ensure_fresh(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    seen: &ConnectionRecord,
    force: bool,
) -> Result<ConnectionRecord, RefreshError> {
    let needs_initial = seen.scheme == SchemeKind::ServiceAccount && seen.token_version == 0;
    if !force && !needs_initial && !due(seen, now_ms()) {
        return Ok(seen.clone());
    }
    loop {
        match app
            .vault
            .leases()
            .claim_or_wait(&seen.id, LEASE_TTL)
            .await?
        {
            Some(lease) => {
                let result = refresh_under_lease(app, plugin, seen, force).await;
                if let Err(e) = lease.release().await {
                    tracing::warn!(connection = %seen.id, error = %e, "cannot release the refresh lease; it expires by itself");
                }
                return result;
            }
            // Another refresher held the lease: use what it stored, or claim in turn.
            None => {
                let current = reread(app, seen).await?;
                if refreshed_meanwhile(seen, &current, now_ms()) {
                    return Ok(current);
                }
            }
        }
    }
}

/// The connection as stored now, if it can still be used.
async fn reread(app: &App, seen: &ConnectionRecord) -> Result<ConnectionRecord, RefreshError> {
    let current = app
        .vault
        .connections()
        .get(&seen.id)
        .await?
        .ok_or_else(|| RefreshError::NeedsReauth("the connection was deleted".into()))?;
    if current.status != ConnectionStatus::Active {
        return Err(RefreshError::NeedsReauth(
            current
                .status_reason
                .clone()
                .unwrap_or_else(|| "revoked".into()),
        ));
    }
    Ok(current)
}

/// Someone else refreshed since `seen` was read: use theirs unless it has already expired
/// (the proactive margin does not apply here, or short-lived tokens would refresh once per
/// waiter).
fn refreshed_meanwhile(seen: &ConnectionRecord, current: &ConnectionRecord, now: i64) -> bool {
    current.token_version != seen.token_version && current.expires_at.is_none_or(|e| e > now)
}

/// The refresh itself, by the holder of the connection's lease.
async fn refresh_under_lease(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    seen: &ConnectionRecord,
    force: bool,
) -> Result<ConnectionRecord, RefreshError> {
    let current = reread(app, seen).await?;
    let now = now_ms();
    if refreshed_meanwhile(seen, &current, now) {
        return Ok(current);
    }
    if let Some(wait) = app.refresher.backoff_remaining(&current.id) {
        return Err(RefreshError::Transient { retry_after: wait });
    }
    let outcome = match current.scheme {
        SchemeKind::Oauth2 => {
            let refresh_token = app
                .vault
                .connections()
                .read_secret(&current.id, SecretField::RefreshToken)
                .await?;
            match refresh_token {
                Some(token) => refresh_oauth(app, plugin, token).await,
                // Nothing to refresh with (the provider issued no refresh token): a proactive
                // refresh keeps the access token until it has really expired.
                None if !force && current.expires_at.is_some_and(|e| e > now) => {
                    return Ok(current);
                }
                None => Err(Failure::Reauth(Reason::Expired, "no refresh token".into())),
            }
        }
        SchemeKind::ServiceAccount => service_account::fetch(app, plugin, &current)
            .await
            .map(|(tokens, received)| (tokens, received, None)),
        SchemeKind::ApiKey | SchemeKind::Basic => return Ok(current),
    };
    match outcome {
        Ok((tokens, received, public)) => {
            app.refresher.clear(&current.id);
            let record = commit(app, &current, (tokens, received)).await?;
            Ok(refreshed_metadata(app, plugin, record, public).await)
        }
        Err(Failure::Token(e)) => Err(handle_failure(app, plugin, &current, e).await),
        Err(Failure::Reauth(reason, detail)) => {
            health::needs_reauth(app, &current, reason, Some(detail)).await?;
            Err(RefreshError::NeedsReauth(reason.as_str().into()))
        }
        Err(Failure::Provider(e)) => Err(e.into()),
        Err(Failure::Vault(e)) => Err(e.into()),
    }
}

/// What a token-fetching step can fail with.
#[derive(Debug)]
pub enum Failure {
    Token(TokenError),
    /// Only the user (or operator) can fix this.
    Reauth(Reason, String),
    Provider(ProviderError),
    Vault(VaultError),
}

impl From<VaultError> for Failure {
    fn from(e: VaultError) -> Self {
        Failure::Vault(e)
    }
}

impl From<ProviderError> for Failure {
    fn from(e: ProviderError) -> Self {
        Failure::Provider(e)
    }
}

/// New tokens, when they were received, and the token response without its secrets.
type Refreshed = (TokenSet, i64, Option<serde_json::Value>);

async fn refresh_oauth(
    app: &App,
    plugin: &LoadedPlugin,
    refresh_token: secrecy::SecretString,
) -> Result<Refreshed, Failure> {
    let resolved = provider::resolve(app, plugin).await?;
    let client = resolved.client(None)?;
    let http = resolved.token_http(&app.egress)?;
    let token = RefreshToken::new(secrecy::ExposeSecret::expose_secret(&refresh_token).to_string());
    let request = client.exchange_refresh_token(&token).map_err(|e| {
        Failure::Provider(ProviderError::BadEndpoint {
            connector: resolved.connector_id.clone(),
            reason: e.to_string(),
        })
    })?;
    let result = request.request_async(&http).await;
    let received = received_now();
    match result {
        Ok(response) => {
            let observed = http.observed();
            Ok((
                TokenSet::from_response(&response, &observed),
                received,
                observed.public,
            ))
        }
        Err(e) => Err(Failure::Token(classify(e, &http.observed()))),
    }
}

/// A refresh's token response can move a connection: Salesforce names the org's instance in
/// every token response, and an org migrated to another instance answers only there. The
/// connector reads the response again, as after consent, and what changed is kept.
async fn refreshed_metadata(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    record: ConnectionRecord,
    public: Option<serde_json::Value>,
) -> ConnectionRecord {
    let changed: std::collections::BTreeMap<String, String> =
        super::callback::connection_metadata(app, plugin, public)
            .await
            .into_iter()
            .filter(|(k, v)| record.metadata.get(k) != Some(v))
            .collect();
    if changed.is_empty() {
        return record;
    }
    let keys: Vec<String> = changed.keys().cloned().collect();
    match app
        .vault
        .connections()
        .merge_metadata(&record.id, &changed)
        .await
    {
        Ok(Some(updated)) => {
            tracing::info!(connection = %record.id, ?keys, "connection metadata changed on refresh");
            updated
        }
        Ok(None) => record,
        Err(e) => {
            tracing::error!(connection = %record.id, error = %e, "cannot keep the refreshed connection metadata");
            record
        }
    }
}

/// Journal the new tokens, then commit them (refresh token first, one transaction).
async fn commit(
    app: &App,
    current: &ConnectionRecord,
    (tokens, received): (TokenSet, i64),
) -> Result<ConnectionRecord, RefreshError> {
    let payload = tokens
        .journal(received, None)
        .map_err(|e| VaultError::Malformed(e.to_string()))?;
    let journal_id = app.vault.journal().write(&current.id, &payload).await?;
    crate::testhooks::crash_point("after-token-journal");
    let update = tokens.to_update(received, None);
    let written = app
        .vault
        .connections()
        .update_tokens(
            &current.id,
            update,
            Some(journal_id.clone()),
            Some(current.token_version),
        )
        .await;
    let record = match written {
        Ok(record) => record,
        // The lease ran out mid-request and another refresher committed first: its tokens
        // stand, these are dropped (journal entry included, or a restart would replay them).
        Err(VaultError::Conflict(reason)) => {
            tracing::warn!(connection = %current.id, %reason, "a refresh finished after its lease; keeping the newer tokens");
            app.vault.journal().remove(&journal_id).await?;
            return reread(app, current).await;
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(connection = %record.id, version = record.token_version, "tokens refreshed");
    let lost: Vec<String> = current
        .granted_scopes
        .iter()
        .filter(|s| !record.granted_scopes.contains(s))
        .cloned()
        .collect();
    crate::audit::record(
        app,
        crate::vault::audit::Event {
            event: "token_refresh".into(),
            user_id: Some(record.owner.id().to_string()),
            connector: Some(record.connector_id.clone()),
            connection: Some(record.id.clone()),
            scopes: record.granted_scopes.clone(),
            outcome: "ok".into(),
            detail: (!lost.is_empty()).then(|| format!("scopes lost: {}", lost.join(" "))),
            ..Default::default()
        },
    )
    .await;
    if !lost.is_empty() {
        health::scope_drift(app, &record, &lost).await?;
    }
    app.vault
        .connections()
        .get(&record.id)
        .await?
        .ok_or_else(|| RefreshError::NeedsReauth("the connection was deleted".into()))
}

async fn handle_failure(
    app: &App,
    plugin: &LoadedPlugin,
    current: &ConnectionRecord,
    e: TokenError,
) -> RefreshError {
    let outcome = classify_failure(app, plugin, current, &e).await;
    crate::audit::record(
        app,
        crate::vault::audit::Event {
            event: "token_refresh".into(),
            user_id: Some(current.owner.id().to_string()),
            connector: Some(current.connector_id.clone()),
            connection: Some(current.id.clone()),
            outcome: match &outcome {
                RefreshError::NeedsReauth(r) => format!("needs_reauth:{r}"),
                RefreshError::Transient { .. } => "transient".into(),
                _ => "failed".into(),
            },
            detail: Some(e.to_string()),
            ..Default::default()
        },
    )
    .await;
    outcome
}

async fn classify_failure(
    app: &App,
    plugin: &LoadedPlugin,
    current: &ConnectionRecord,
    e: &TokenError,
) -> RefreshError {
    match e {
        TokenError::InvalidGrant(detail) => {
            tracing::warn!(connection = %current.id, connector = %plugin.manifest.id, %detail, "grant rejected: re-authorization needed");
            if let Err(e) =
                health::needs_reauth(app, current, Reason::Revoked, Some(detail.clone())).await
            {
                return e.into();
            }
            RefreshError::NeedsReauth(Reason::Revoked.as_str().into())
        }
        TokenError::InvalidClient(detail) => {
            tracing::error!(connector = %plugin.manifest.id, %detail, "the provider rejected the OAuth client: fix the provider config");
            if let Err(e) =
                health::needs_reauth(app, current, Reason::InvalidClient, Some(detail.clone()))
                    .await
            {
                return e.into();
            }
            RefreshError::NeedsReauth(Reason::InvalidClient.as_str().into())
        }
        TokenError::Refused(detail) => {
            tracing::warn!(connection = %current.id, %detail, "refresh refused");
            let wait = app.refresher.record_failure(&current.id, None);
            RefreshError::Transient { retry_after: wait }
        }
        TokenError::Transient {
            reason,
            retry_after,
        } => {
            let wait = app.refresher.record_failure(&current.id, *retry_after);
            tracing::warn!(connection = %current.id, %reason, wait_ms = wait.as_millis() as u64, "refresh failed; backing off, token kept");
            RefreshError::Transient { retry_after: wait }
        }
        TokenError::Malformed(detail) => {
            let wait = app.refresher.record_failure(&current.id, None);
            tracing::warn!(connection = %current.id, %detail, "unreadable token response; backing off");
            RefreshError::Transient { retry_after: wait }
        }
    }
}

/// Apply journal entries a crash left behind (at start-up, before serving).
pub async fn replay_journal(app: &App) -> Result<usize, VaultError> {
    let entries = app.vault.journal().pending().await?;
    let count = entries.len();
    for entry in entries {
        let journaled: Journaled = serde_json::from_slice(&entry.payload)
            .map_err(|e| VaultError::Malformed(e.to_string()))?;
        app.vault
            .connections()
            .update_tokens(
                &entry.connection_id,
                journaled.into_update(),
                Some(entry.id.clone()),
                None,
            )
            .await?;
        tracing::warn!(connection = %entry.connection_id, "replayed tokens journaled before a crash");
    }
    Ok(count)
}
