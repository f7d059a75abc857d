//! Flows: OAuth states (single use, sealed verifier), connect sessions, pack flows.

use secrecy::{ExposeSecret, SecretString};

use super::{Harness, vault};
use crate::backend::FlowStore;
use crate::clock::now_ms;
use crate::flows::{ConnectSession, Consumed, PackSession, Peeked, PendingState, SessionStatus};
use crate::ids::new_id;
use crate::{Owner, VaultError};

/// A pending connect session of `user` for `connector`, expiring in an hour.
pub fn session(connector: &str, user: &str, pack: Option<&str>) -> ConnectSession {
    let now = now_ms();
    ConnectSession {
        id: new_id("cs"),
        connector_id: connector.into(),
        owner: Owner::User(user.into()),
        scopes: vec!["read".into()],
        return_to: None,
        status: SessionStatus::Pending,
        error: None,
        connection_id: None,
        created_at: now,
        expires_at: now + 3_600_000,
        completed_at: None,
        pack_session_id: pack.map(str::to_string),
    }
}

fn state(session_id: &str, verifier: &str) -> PendingState {
    PendingState {
        session_id: session_id.into(),
        connector_id: "github".into(),
        browser_hash: b"browser".to_vec(),
        redirect_uri: "http://127.0.0.1/callback".into(),
        issuer: Some("https://issuer.example".into()),
        scopes: vec!["repo".into()],
        verifier: SecretString::from(verifier.to_string()),
        created_at: 1,
        expires_at: 2,
    }
}

/// The first presentation of a state wins; a replay and a forgery are told apart.
pub async fn an_oauth_state_is_single_use(h: &dyn Harness) {
    let vault = vault(h).await;
    let flows = vault.flows();
    let s = session("github", "alice", None);
    flows.insert_session(&s).await.expect("session");
    flows
        .insert_state(b"hash-1", state(&s.id, "verifier-1"))
        .await
        .expect("state");
    // Looking does not spend: a refused response leaves the state for the user's own.
    for _ in 0..2 {
        match flows.peek_state(b"hash-1").await.expect("peek") {
            Peeked::Pending(p) => assert_eq!(p.verifier.expose_secret(), "verifier-1"),
            other => panic!("peek before use: {other:?}"),
        }
    }
    assert!(matches!(
        flows.peek_state(b"hash-2").await.expect("peek forged"),
        Peeked::Unknown
    ));
    match flows.consume_state(b"hash-1", 10).await.expect("consume") {
        Consumed::Fresh(p) => {
            assert_eq!(p.verifier.expose_secret(), "verifier-1");
            assert_eq!(
                (
                    p.session_id.as_str(),
                    p.issuer.as_deref(),
                    p.scopes.as_slice()
                ),
                (
                    s.id.as_str(),
                    Some("https://issuer.example"),
                    &["repo".to_string()][..]
                )
            );
            assert_eq!(
                (p.browser_hash.as_slice(), p.expires_at),
                (&b"browser"[..], 2)
            );
        }
        other => panic!("first use: {other:?}"),
    }
    assert!(matches!(
        flows.consume_state(b"hash-1", 11).await.expect("replay"),
        Consumed::AlreadyUsed
    ));
    assert!(matches!(
        flows.peek_state(b"hash-1").await.expect("peek spent"),
        Peeked::AlreadyUsed
    ));
    assert!(matches!(
        flows.consume_state(b"hash-2", 11).await.expect("forged"),
        Consumed::Unknown
    ));
    // Concurrent presentations: exactly one wins.
    flows
        .insert_state(b"hash-3", state(&s.id, "v3"))
        .await
        .expect("state");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let v = vault.clone();
        tasks.push(tokio::spawn(async move {
            matches!(
                v.flows()
                    .consume_state(b"hash-3", 12)
                    .await
                    .expect("consume"),
                Consumed::Fresh(_)
            )
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        fresh += usize::from(t.await.expect("task"));
    }
    assert_eq!(fresh, 1);
    assert_eq!(
        flows.prune_states(3).await.expect("prune"),
        2,
        "both expired states"
    );
    assert!(matches!(
        flows.consume_state(b"hash-1", 13).await.expect("pruned"),
        Consumed::Unknown
    ));
}

/// A verifier sealed for one state does not open as another's.
pub async fn an_oauth_verifier_is_bound_to_its_state(h: &dyn Harness) {
    let vault = vault(h).await;
    let s = session("github", "alice", None);
    vault.flows().insert_session(&s).await.expect("session");
    vault
        .flows()
        .insert_state(b"hash-a", state(&s.id, "verifier-a"))
        .await
        .expect("state");
    let backend = h.open().await;
    let store: &dyn FlowStore = &*backend;
    let Consumed::Fresh(sealed) = store
        .consume_state_sealed(b"hash-a", 1)
        .await
        .expect("read")
    else {
        panic!("fresh")
    };
    store
        .insert_state_sealed(b"hash-b", &sealed)
        .await
        .expect("copied under another hash");
    let err = vault
        .flows()
        .consume_state(b"hash-b", 1)
        .await
        .expect_err("must not open");
    assert!(matches!(err, VaultError::SecretTampered), "{err}");
}

/// A connect session completes once, records errors while pending, fails, expires.
pub async fn connect_sessions_complete_once(h: &dyn Harness) {
    let vault = vault(h).await;
    let flows = vault.flows();
    let now = now_ms();
    let a = session("github", "alice", None);
    let mut b = session("github", "alice", None);
    b.created_at = a.created_at + 1;
    let other = session("github", "bob", None);
    let mut dead = session("github", "alice", None);
    dead.expires_at = now - 1;
    for s in [&a, &b, &other, &dead] {
        flows.insert_session(s).await.expect("insert");
    }
    let pending: Vec<_> = flows
        .pending_sessions("github", &Owner::User("alice".into()), now)
        .await
        .expect("pending")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        pending,
        vec![b.id.clone(), a.id.clone()],
        "newest first, live only"
    );

    flows
        .record_session_error(&a.id, "try again")
        .await
        .expect("error");
    let read = flows.get_session(&a.id).await.expect("get").expect("a");
    assert_eq!(
        (read.status, read.error.as_deref()),
        (SessionStatus::Pending, Some("try again"))
    );
    assert!(
        flows
            .complete_session(&a.id, "conn_1")
            .await
            .expect("complete")
    );
    assert!(
        !flows
            .complete_session(&a.id, "conn_2")
            .await
            .expect("again"),
        "a link works once"
    );
    let done = flows.get_session(&a.id).await.expect("get").expect("a");
    assert_eq!(done.status, SessionStatus::Completed);
    assert_eq!(
        (done.connection_id.as_deref(), done.error.as_deref()),
        (Some("conn_1"), None)
    );
    assert!(
        !flows
            .complete_session(&dead.id, "conn_3")
            .await
            .expect("expired")
    );

    flows.fail_session(&b.id, "denied").await.expect("fail");
    let failed = flows.get_session(&b.id).await.expect("get").expect("b");
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (SessionStatus::Failed, Some("denied"))
    );
    flows.fail_session(&a.id, "late").await.expect("no effect");
    assert_eq!(
        flows
            .get_session(&a.id)
            .await
            .expect("get")
            .expect("a")
            .status,
        SessionStatus::Completed
    );
    assert_eq!(flows.expire_sessions(now).await.expect("expire"), 1);
    assert_eq!(
        flows
            .get_session(&dead.id)
            .await
            .expect("get")
            .expect("dead")
            .status,
        SessionStatus::Expired
    );
    assert!(
        flows
            .get_session("cs_missing")
            .await
            .expect("get")
            .is_none()
    );
}

/// A pack flow and the connect sessions that are its steps.
pub async fn pack_flows_and_their_steps(h: &dyn Harness) {
    let vault = vault(h).await;
    let flows = vault.flows();
    let now = now_ms();
    let flow = PackSession {
        id: new_id("ps"),
        pack: "dev".into(),
        owner: Owner::Group("eng".into()),
        return_to: Some("https://app.example/done".into()),
        created_at: now,
        expires_at: now + 1000,
    };
    flows.insert_pack_session(&flow).await.expect("insert");
    let read = flows
        .get_pack_session(&flow.id)
        .await
        .expect("get")
        .expect("flow");
    assert_eq!((read.pack.as_str(), &read.owner), ("dev", &flow.owner));
    assert_eq!(read.return_to, flow.return_to);
    for connector in ["slack", "jira"] {
        flows
            .insert_session(&session(connector, "alice", Some(&flow.id)))
            .await
            .expect("step");
    }
    flows
        .insert_session(&session("github", "alice", None))
        .await
        .expect("unrelated");
    let steps: Vec<_> = flows
        .sessions_of_pack(&flow.id)
        .await
        .expect("steps")
        .into_iter()
        .map(|s| s.connector_id)
        .collect();
    assert_eq!(steps, vec!["jira".to_string(), "slack".to_string()]);
    assert!(
        flows
            .get_pack_session("ps_missing")
            .await
            .expect("get")
            .is_none()
    );
}
