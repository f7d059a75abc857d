//! Which principal opened each legacy (2025-11-25) MCP session: a session id is usable only by
//! the principal that initialized it, so a leaked `Mcp-Session-Id` gives nothing to another
//! key or another user's session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Forget bindings untouched this long (the SDK closes idle sessions after five minutes).
const IDLE: Duration = Duration::from_secs(3600);

/// At most this many bindings are kept; the least recently used go first.
const MAX: usize = 100_000;

#[derive(Debug)]
struct Binding {
    principal: String,
    touched: Instant,
}

/// Session id → the principal that opened it.
#[derive(Debug, Default)]
pub struct SessionBindings {
    inner: Mutex<HashMap<String, Binding>>,
}

/// Whether a presented session id may be used by a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its own session (or one this gateway does not know: the SDK answers that).
    Allowed,
    /// Another principal's session.
    Denied,
}

impl SessionBindings {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Binding>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record that `principal` opened `session`.
    pub fn bind(&self, session: &str, principal: &str) {
        let mut map = self.map();
        let now = Instant::now();
        map.retain(|_, b| now.duration_since(b.touched) < IDLE);
        if map.len() >= MAX
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, b)| b.touched)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            session.to_string(),
            Binding {
                principal: principal.to_string(),
                touched: now,
            },
        );
    }

    /// Whether `principal` may use `session`.
    pub fn check(&self, session: &str, principal: &str) -> Access {
        let mut map = self.map();
        match map.get_mut(session) {
            Some(b) if b.principal != principal => Access::Denied,
            Some(b) => {
                b.touched = Instant::now();
                Access::Allowed
            }
            None => Access::Allowed,
        }
    }

    /// The session was closed.
    pub fn forget(&self, session: &str) {
        self.map().remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_belongs_to_the_principal_that_opened_it() {
        let b = SessionBindings::default();
        b.bind("s1", "agent:a/user:alice");
        assert_eq!(b.check("s1", "agent:a/user:alice"), Access::Allowed);
        assert_eq!(b.check("s1", "agent:a/user:bob"), Access::Denied);
        assert_eq!(b.check("s1", "agent:b"), Access::Denied);
        assert_eq!(b.check("unknown", "agent:b"), Access::Allowed);
        b.forget("s1");
        assert_eq!(b.check("s1", "agent:b"), Access::Allowed);
    }
}
