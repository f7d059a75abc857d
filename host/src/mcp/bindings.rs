//! Which principal opened each legacy (2025-11-25) MCP session: a session id is usable only by
//! the principal that initialized it, so a leaked `Mcp-Session-Id` gives nothing to another
//! key or another user's session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Forget bindings untouched this long (the SDK closes idle sessions after five minutes).
const IDLE: Duration = Duration::from_secs(3600);

/// At most this many bindings are kept. When full, new sessions are refused: evicting a live
/// binding would make its session id usable by anyone (an unknown id is left to the SDK).
const MAX: usize = 100_000;

#[derive(Debug)]
struct Binding {
    principal: String,
    touched: Instant,
}

/// Session id → the principal that opened it.
#[derive(Debug)]
pub struct SessionBindings {
    inner: Mutex<HashMap<String, Binding>>,
    max: usize,
}

impl Default for SessionBindings {
    fn default() -> Self {
        SessionBindings::with_capacity(MAX)
    }
}

/// No room for another session's binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

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

    /// Bindings for at most `max` sessions at once.
    pub fn with_capacity(max: usize) -> Self {
        SessionBindings {
            inner: Mutex::new(HashMap::new()),
            max,
        }
    }

    /// Record that `principal` opened `session`; refused when full of live sessions.
    pub fn bind(&self, session: &str, principal: &str) -> Result<(), Full> {
        let mut map = self.map();
        let now = Instant::now();
        if map.len() >= self.max {
            map.retain(|_, b| now.duration_since(b.touched) < IDLE);
        }
        if map.len() >= self.max {
            return Err(Full);
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
        b.bind("s1", "agent:a/user:alice").expect("room");
        assert_eq!(b.check("s1", "agent:a/user:alice"), Access::Allowed);
        assert_eq!(b.check("s1", "agent:a/user:bob"), Access::Denied);
        assert_eq!(b.check("s1", "agent:b"), Access::Denied);
        assert_eq!(b.check("unknown", "agent:b"), Access::Allowed);
        b.forget("s1");
        assert_eq!(b.check("s1", "agent:b"), Access::Allowed);
    }

    #[test]
    fn when_full_new_sessions_are_refused_and_no_live_binding_is_dropped() {
        let b = SessionBindings::with_capacity(2);
        b.bind("s1", "agent:a").expect("room");
        b.bind("s2", "agent:b").expect("room");
        assert_eq!(b.bind("s3", "agent:c"), Err(Full));
        assert_eq!(b.check("s1", "agent:c"), Access::Denied, "s1 still bound");
        b.forget("s2");
        b.bind("s3", "agent:c").expect("room again");
    }
}
