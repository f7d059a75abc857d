//! Refresh leases: single-flight token refresh that holds across processes. A refresher claims
//! the connection with an expiring lease, refreshes with no transaction open, and writes back
//! only if the token version is unchanged ([`crate::TokenWrite::expected_version`]); everyone
//! else waits, then re-reads. A holder that dies loses nothing: its lease expires.
//!
//! Waiters in this process are woken the moment a lease here ends; a lease ended by another
//! process is noticed within [`POLL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::clock::now_ms;
use crate::error::VaultError;
use crate::ids::new_id;

/// Longest a waiter sleeps before looking again (a lease released by another gateway wakes
/// nobody here).
pub const POLL: Duration = Duration::from_secs(1);

/// What claiming a refresh lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseClaim {
    /// The caller holds the lease now.
    Granted,
    /// Someone else does, until `until` (Unix ms) at the latest.
    Held { until: i64 },
    /// There is no such connection.
    NoConnection,
}

/// Storage of refresh leases (on the connection's row, beside its token version).
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Claim the refresh of `connection_id` for `holder` until `until`, atomically: granted
    /// when no lease is live at `now` (none, or expired), else who holds it until when.
    async fn claim_refresh(
        &self,
        connection_id: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<LeaseClaim, VaultError>;

    /// End `holder`'s lease; nothing happens if the lease is no longer theirs.
    async fn release_refresh(&self, connection_id: &str, holder: &str) -> Result<(), VaultError>;
}

/// One wake-up per connection with waiters in this process.
#[derive(Default)]
pub(crate) struct Wakers {
    map: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wakers {
    fn for_connection(&self, id: &str) -> Arc<Notify> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_string()).or_default().clone()
    }

    fn wake(&self, id: &str) {
        let notify = {
            let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.get(id).cloned()
        };
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }
}

/// The vault's face for refresh leases (owned: a lease outlives the borrow that made it).
#[derive(Clone)]
pub struct RefreshLeases {
    pub(crate) store: Arc<dyn LeaseStore>,
    pub(crate) wakers: Arc<Wakers>,
}

impl RefreshLeases {
    /// Claim the refresh of `connection_id` for `ttl`. `Some` when the caller holds it; `None`
    /// after waiting for the holder to finish (or its lease to run out, or at most [`POLL`]):
    /// read the connection again, and claim again if it still needs refreshing. A connection
    /// that does not exist answers `None` at once.
    pub async fn claim_or_wait(
        &self,
        connection_id: &str,
        ttl: Duration,
    ) -> Result<Option<RefreshLease>, VaultError> {
        let notify = self.wakers.for_connection(connection_id);
        // Registered before the claim, so a release in between is not missed.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let holder = new_id("lease");
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        match self
            .store
            .claim_refresh(connection_id, &holder, now, until)
            .await?
        {
            LeaseClaim::Granted => Ok(Some(RefreshLease {
                leases: self.clone(),
                connection_id: connection_id.to_string(),
                holder,
                released: false,
            })),
            LeaseClaim::NoConnection => Ok(None),
            LeaseClaim::Held { until } => {
                let left = Duration::from_millis(u64::try_from(until - now).unwrap_or(0));
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(left.min(POLL)) => {}
                }
                Ok(None)
            }
        }
    }
}

/// A held refresh lease. Release it when done; dropping it releases it in the background.
pub struct RefreshLease {
    leases: RefreshLeases,
    connection_id: String,
    holder: String,
    released: bool,
}

impl std::fmt::Debug for RefreshLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshLease")
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

impl RefreshLease {
    /// End the lease and wake this process's waiters.
    pub async fn release(mut self) -> Result<(), VaultError> {
        self.released = true;
        let result = self
            .leases
            .store
            .release_refresh(&self.connection_id, &self.holder)
            .await;
        self.leases.wakers.wake(&self.connection_id);
        result
    }
}

impl Drop for RefreshLease {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (leases, id, holder) = (
            self.leases.clone(),
            std::mem::take(&mut self.connection_id),
            std::mem::take(&mut self.holder),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = leases.store.release_refresh(&id, &holder).await {
                        tracing::warn!(connection = %id, error = %e, "cannot release a refresh lease; it expires by itself");
                    }
                    leases.wakers.wake(&id);
                });
            }
            // No runtime to release on: the lease runs out by itself.
            Err(_) => leases.wakers.wake(&id),
        }
    }
}
