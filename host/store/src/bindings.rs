//! Which principal opened each legacy (2025-11-25) MCP session: a session id is usable only by
//! the principal that initialized it, so a leaked `Mcp-Session-Id` gives nothing to another
//! key or another user's session. [`MemoryBindings`] keeps them in this process (the default:
//! the MCP SDK keeps the sessions themselves in memory too); a shared backend can implement
//! [`SessionBindings`] so any gateway answers for any session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::error::VaultError;

/// Forget bindings untouched this long (the SDK closes idle sessions after five minutes).
const IDLE: Duration = Duration::from_secs(3600);

/// At most this many bindings are kept. When full, new sessions are refused: evicting a live
/// binding would make its session id usable by anyone (an unknown id is left to the SDK).
const MAX: usize = 100_000;

/// Whether a presented session id may be used by a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its own session (or one this gateway does not know: the SDK answers that).
    Allowed,
    /// Another principal's session.
    Denied,
}

/// Why a new session's binding was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// No room for another session's binding.
    #[error("no room for another MCP session")]
    Full,
    #[error(transparent)]
    Storage(#[from] VaultError),
}

/// Session id → the principal that opened it.
#[async_trait]
pub trait SessionBindings: Send + Sync + std::fmt::Debug {
    /// Record that `principal` opened `session`; refused when full of live sessions.
    async fn bind(&self, session: &str, principal: &str) -> Result<(), BindError>;
    /// Whether `principal` may use `session` (a use keeps the binding alive).
    async fn check(&self, session: &str, principal: &str) -> Result<Access, VaultError>;
    /// The session was closed.
    async fn forget(&self, session: &str) -> Result<(), VaultError>;
}

#[derive(Debug)]
struct Binding {
    principal: String,
    touched: Instant,
}

/// Bindings held in this process, bounded.
#[derive(Debug)]
pub struct MemoryBindings {
    inner: Mutex<HashMap<String, Binding>>,
    max: usize,
}

impl Default for MemoryBindings {
    fn default() -> Self {
        MemoryBindings::with_capacity(MAX)
    }
}

impl MemoryBindings {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Binding>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bindings for at most `max` sessions at once.
    pub fn with_capacity(max: usize) -> Self {
        MemoryBindings {
            inner: Mutex::new(HashMap::new()),
            max,
        }
    }
}

#[async_trait]
impl SessionBindings for MemoryBindings {
    async fn bind(&self, session: &str, principal: &str) -> Result<(), BindError> {
        let mut map = self.map();
        let now = Instant::now();
        if map.len() >= self.max {
            map.retain(|_, b| now.duration_since(b.touched) < IDLE);
        }
        if map.len() >= self.max {
            return Err(BindError::Full);
        }
        map.insert(
            session.to_string(),
            Binding {
                principal: principal.to_string(),
                touched: now,
            },
        );
        Ok(())
    }

    async fn check(&self, session: &str, principal: &str) -> Result<Access, VaultError> {
        let mut map = self.map();
        Ok(match map.get_mut(session) {
            Some(b) if b.principal != principal => Access::Denied,
            Some(b) => {
                b.touched = Instant::now();
                Access::Allowed
            }
            None => Access::Allowed,
        })
    }

    async fn forget(&self, session: &str) -> Result<(), VaultError> {
        self.map().remove(session);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_bindings_conform() {
        crate::conformance::session_bindings_serve_only_their_opener(&MemoryBindings::default())
            .await;
    }

    #[tokio::test]
    async fn when_full_new_sessions_are_refused_and_no_live_binding_is_dropped() {
        let b = MemoryBindings::with_capacity(2);
        b.bind("s1", "agent:a").await.expect("room");
        b.bind("s2", "agent:b").await.expect("room");
        assert!(matches!(
            b.bind("s3", "agent:c").await,
            Err(BindError::Full)
        ));
        assert_eq!(
            b.check("s1", "agent:c").await.expect("check"),
            Access::Denied,
            "s1 still bound"
        );
        b.forget("s2").await.expect("forget");
        b.bind("s3", "agent:c").await.expect("room again");
    }
}
