//! Token writes, the journal they come from, and the refresh leases around them.

use std::time::Duration;

use secrecy::SecretString;

use super::connections::secret;
use super::{Harness, vault};
use crate::backend::{JournalStore, LeaseStore};
use crate::lease::LeaseClaim;
use crate::{ConnectionRecord, SchemeKind, SecretField, TokenUpdate, Vault, VaultError};

fn update(access: &str, refresh: Option<&str>, extra: Option<&str>) -> TokenUpdate {
    TokenUpdate {
        access_token: SecretString::from(access.to_string()),
        refresh_token: refresh.map(|r| SecretString::from(r.to_string())),
        expires_at: Some(4_000_000_000_000),
        granted_scopes: None,
        extra_tokens: extra.map(|e| SecretString::from(e.to_string())),
    }
}

async fn oauth_connection(vault: &Vault, user: &str) -> ConnectionRecord {
    let mut new = super::connections::api_key_connection(user);
    new.scheme = SchemeKind::Oauth2;
    new.granted_scopes = vec!["read".into(), "write".into()];
    vault
        .connections()
        .put(
            new,
            vec![
                (SecretField::AccessToken, SecretString::from("access-1")),
                (SecretField::RefreshToken, SecretString::from("refresh-1")),
            ],
        )
        .await
        .expect("put")
}

/// A refresh that rotates the extra tokens too stores the new ones; one without keeps them.
pub async fn a_token_update_replaces_extra_tokens_and_keeps_them_when_it_has_none(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = oauth_connection(&vault, "alice").await;
    let conns = vault.connections();
    conns
        .update_tokens(
            &c.id,
            update("bot-2", None, Some(r#"{"user":"user-2"}"#)),
            None,
            None,
        )
        .await
        .expect("update");
    assert_eq!(
        secret(&vault, &c.id, SecretField::ExtraTokens)
            .await
            .as_deref(),
        Some(r#"{"user":"user-2"}"#)
    );
    let record = conns
        .update_tokens(&c.id, update("bot-3", None, None), None, None)
        .await
        .expect("update");
    assert_eq!(
        secret(&vault, &c.id, SecretField::ExtraTokens)
            .await
            .as_deref(),
        Some(r#"{"user":"user-2"}"#)
    );
    assert_eq!(
        secret(&vault, &c.id, SecretField::AccessToken)
            .await
            .as_deref(),
        Some("bot-3")
    );
    assert_eq!(
        secret(&vault, &c.id, SecretField::RefreshToken)
            .await
            .as_deref(),
        Some("refresh-1"),
        "no refresh token in the response keeps the stored one"
    );
    assert_eq!(
        record.granted_scopes,
        vec!["read".to_string(), "write".to_string()]
    );
    assert_eq!(record.token_version, c.token_version + 2);
}

/// A token write names the version it read; a connection refreshed meanwhile is left alone.
pub async fn token_writes_are_version_checked(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = oauth_connection(&vault, "alice").await;
    let conns = vault.connections();
    let first = conns
        .update_tokens(
            &c.id,
            update("a-2", Some("r-2"), None),
            None,
            Some(c.token_version),
        )
        .await
        .expect("the version matches");
    assert_eq!(first.token_version, c.token_version + 1);
    let err = conns
        .update_tokens(
            &c.id,
            update("a-stale", Some("r-stale"), None),
            None,
            Some(c.token_version),
        )
        .await
        .expect_err("a stale version");
    assert!(matches!(err, VaultError::Conflict(_)), "{err}");
    assert_eq!(
        secret(&vault, &c.id, SecretField::AccessToken)
            .await
            .as_deref(),
        Some("a-2")
    );
    assert_eq!(
        secret(&vault, &c.id, SecretField::RefreshToken)
            .await
            .as_deref(),
        Some("r-2")
    );
    let now = conns.get(&c.id).await.expect("get").expect("c");
    assert_eq!(now.token_version, first.token_version, "nothing changed");
    let err = conns
        .update_tokens("conn_missing", update("a", None, None), None, None)
        .await
        .expect_err("no such connection");
    assert!(!matches!(err, VaultError::Conflict(_)), "{err}");
}

/// A journal entry opens for its connection only, and leaves with the tokens it carried.
pub async fn the_journal_is_applied_with_the_tokens_and_bound_to_its_connection(h: &dyn Harness) {
    let vault = vault(h).await;
    let a = oauth_connection(&vault, "alice").await;
    let b = oauth_connection(&vault, "bob").await;
    let journal = vault.journal();
    let first = journal.write(&a.id, b"tokens-1").await.expect("write");
    let second = journal.write(&b.id, b"tokens-2").await.expect("write");
    let mut pending: Vec<_> = journal
        .pending()
        .await
        .expect("pending")
        .into_iter()
        .map(|e| (e.id, e.connection_id, e.payload.to_vec()))
        .collect();
    pending.sort();
    let mut expected = vec![
        (first.clone(), a.id.clone(), b"tokens-1".to_vec()),
        (second.clone(), b.id.clone(), b"tokens-2".to_vec()),
    ];
    expected.sort();
    assert_eq!(pending, expected);

    vault
        .connections()
        .update_tokens(&a.id, update("a-2", None, None), Some(first.clone()), None)
        .await
        .expect("apply");
    let left: Vec<_> = journal
        .pending()
        .await
        .expect("pending")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, vec![second.clone()], "the applied entry is gone");
    journal.remove(&second).await.expect("remove");
    assert!(journal.pending().await.expect("pending").is_empty());

    // An entry moved to another connection does not open.
    let backend = h.open().await;
    let store: &dyn JournalStore = &*backend;
    journal.write(&a.id, b"tokens-3").await.expect("write");
    let mut moved = store.pending_entries().await.expect("entries").remove(0);
    store.remove_entry(&moved.id).await.expect("remove");
    moved.connection_id = b.id.clone();
    store.append_entry(&moved).await.expect("moved");
    let err = journal.pending().await.err().expect("must not open");
    assert!(matches!(err, VaultError::SecretTampered), "{err}");
}

/// One holder at a time; a lease runs out by itself; only its holder ends it early.
pub async fn a_refresh_lease_is_exclusive_and_expires(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = oauth_connection(&vault, "alice").await;
    let backend = h.open().await;
    let leases: &dyn LeaseStore = &*backend;
    let t = 1_000_000;
    assert_eq!(
        leases
            .claim_refresh(&c.id, "one", t, t + 100)
            .await
            .expect("claim"),
        LeaseClaim::Granted
    );
    assert_eq!(
        leases
            .claim_refresh(&c.id, "two", t + 50, t + 150)
            .await
            .expect("claim"),
        LeaseClaim::Held { until: t + 100 }
    );
    leases
        .release_refresh(&c.id, "two")
        .await
        .expect("not theirs: no effect");
    assert_eq!(
        leases
            .claim_refresh(&c.id, "three", t + 60, t + 160)
            .await
            .expect("claim"),
        LeaseClaim::Held { until: t + 100 }
    );
    // Expired: the next claimant gets it.
    assert_eq!(
        leases
            .claim_refresh(&c.id, "two", t + 100, t + 200)
            .await
            .expect("claim"),
        LeaseClaim::Granted
    );
    leases
        .release_refresh(&c.id, "one")
        .await
        .expect("the old holder's release is void");
    assert_eq!(
        leases
            .claim_refresh(&c.id, "three", t + 110, t + 210)
            .await
            .expect("claim"),
        LeaseClaim::Held { until: t + 200 }
    );
    leases.release_refresh(&c.id, "two").await.expect("release");
    assert_eq!(
        leases
            .claim_refresh(&c.id, "three", t + 120, t + 220)
            .await
            .expect("claim"),
        LeaseClaim::Granted
    );
    assert_eq!(
        leases
            .claim_refresh("conn_missing", "x", t, t + 1)
            .await
            .expect("claim"),
        LeaseClaim::NoConnection
    );
}

/// New tokens end the lease that was taken to get them (so a restart that replays the journal
/// does not wait for a dead holder's lease).
pub async fn a_token_write_ends_the_refresh_lease(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = oauth_connection(&vault, "alice").await;
    let backend = h.open().await;
    let leases: &dyn LeaseStore = &*backend;
    let now = crate::clock::now_ms();
    assert_eq!(
        leases
            .claim_refresh(&c.id, "crashed", now, now + 3_600_000)
            .await
            .expect("claim"),
        LeaseClaim::Granted
    );
    vault
        .connections()
        .update_tokens(&c.id, update("a-2", None, None), None, None)
        .await
        .expect("write");
    assert_eq!(
        leases
            .claim_refresh(&c.id, "next", now, now + 1000)
            .await
            .expect("claim"),
        LeaseClaim::Granted
    );
}

/// Through the vault: a second claimant waits, and after the holder releases, claims.
pub async fn lease_waiters_see_the_release(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = oauth_connection(&vault, "alice").await;
    let leases = vault.leases();
    let ttl = Duration::from_secs(600);
    let held = leases
        .claim_or_wait(&c.id, ttl)
        .await
        .expect("claim")
        .expect("the first claimant holds it");
    let waiter = {
        let (leases, id) = (vault.leases(), c.id.clone());
        tokio::spawn(async move {
            loop {
                if let Some(lease) = leases.claim_or_wait(&id, ttl).await.expect("claim") {
                    return lease;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished(), "the lease is exclusive");
    held.release().await.expect("release");
    let second = tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the waiter gets the lease long before it would expire")
        .expect("task");
    drop(second);
    assert!(
        leases
            .claim_or_wait("conn_missing", ttl)
            .await
            .expect("claim")
            .is_none()
    );
}
