//! MCP session bindings: a session id serves only the principal that opened it.

use crate::bindings::{Access, SessionBindings};

/// Run against any [`SessionBindings`] (they are not part of a [`crate::Backend`]).
pub async fn session_bindings_serve_only_their_opener(b: &dyn SessionBindings) {
    b.bind("s1", "agent:a/user:alice").await.expect("room");
    let check =
        |s: &'static str, p: &'static str| async move { b.check(s, p).await.expect("check") };
    assert_eq!(check("s1", "agent:a/user:alice").await, Access::Allowed);
    assert_eq!(check("s1", "agent:a/user:bob").await, Access::Denied);
    assert_eq!(check("s1", "agent:b").await, Access::Denied);
    assert_eq!(
        check("unknown", "agent:b").await,
        Access::Allowed,
        "unknown ids are the SDK's to refuse"
    );
    b.forget("s1").await.expect("forget");
    assert_eq!(check("s1", "agent:b").await, Access::Allowed);
    b.forget("never-bound")
        .await
        .expect("forgetting nothing is fine");
}
