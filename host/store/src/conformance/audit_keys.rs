//! The audit chain and the keyring's wrapped data keys.

use super::{Harness, MASTER, Tamper, vault};
use crate::audit::{Event, Verdict};
use crate::connections::SECRETS_TABLE;
use crate::keyring::Keyring;
use crate::{MasterKey, Vault, VaultError};

fn call(n: usize) -> Event {
    Event {
        event: "tool_call".into(),
        actor: Some("agent1".into()),
        user_id: Some(format!("user{n}")),
        tool: Some("github_get_user".into()),
        scopes: vec!["repo".into()],
        outcome: "ok".into(),
        ..Default::default()
    }
}

async fn filled(h: &dyn Harness) -> Vault {
    let vault = vault(h).await;
    for n in 0..5 {
        assert_eq!(
            vault.audit().append(&call(n)).await.expect("append"),
            n as i64 + 1
        );
    }
    vault
}

/// Appended entries read back in order and the chain verifies.
pub async fn an_untouched_audit_chain_verifies(h: &dyn Harness) {
    let vault = vault(h).await;
    assert_eq!(
        vault.audit().verify().await.expect("verify"),
        Verdict::Intact { entries: 0 }
    );
    let vault = filled(h).await;
    assert_eq!(
        vault.audit().verify().await.expect("verify"),
        Verdict::Intact { entries: 5 }
    );
    let listed = vault.audit().list(2, 2).await.expect("list");
    assert_eq!(listed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(listed[0].event, call(2));
}

async fn tampered(h: &dyn Harness, tampering: Tamper, verdict: Verdict) {
    let vault = filled(h).await;
    assert_eq!(
        vault.audit().verify().await.expect("verify"),
        Verdict::Intact { entries: 5 }
    );
    h.tamper(tampering).await;
    assert_eq!(
        vault.audit().verify().await.expect("verify"),
        verdict,
        "{tampering:?}"
    );
}

/// An edited entry is named.
pub async fn an_audit_edit_is_detected(h: &dyn Harness) {
    tampered(h, Tamper::AuditEdit { seq: 3 }, Verdict::Altered { seq: 3 }).await;
}

/// A deleted entry is named by the gap it leaves.
pub async fn an_audit_deletion_is_detected(h: &dyn Harness) {
    tampered(
        h,
        Tamper::AuditDelete { seq: 2 },
        Verdict::Removed { after: 1 },
    )
    .await;
}

/// Reordered entries are named.
pub async fn audit_reordering_is_detected(h: &dyn Harness) {
    tampered(
        h,
        Tamper::AuditSwap { a: 2, b: 4 },
        Verdict::Altered { seq: 2 },
    )
    .await;
}

/// A cut tail is caught by the head record.
pub async fn a_cut_audit_tail_is_detected(h: &dyn Harness) {
    tampered(
        h,
        Tamper::AuditDelete { seq: 5 },
        Verdict::Truncated {
            expected: 5,
            found: 4,
        },
    )
    .await;
}

/// Two gateways appending to one store keep one chain (each refuses a taken position and
/// appends after it).
pub async fn concurrent_appenders_keep_one_chain(h: &dyn Harness) {
    let one = vault(h).await;
    let two = vault(h).await;
    let mut tasks = Vec::new();
    for (k, v) in [one.clone(), two.clone()].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                v.audit().append(&call(k * 100 + n)).await.expect("append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(
        one.audit().verify().await.expect("verify"),
        Verdict::Intact { entries: 20 }
    );
    assert_eq!(two.audit().list(0, 100).await.expect("list").len(), 20);
}

/// A new store gets one data key, made once even by two gateways starting together; later
/// opens reuse it.
pub async fn the_first_data_key_is_made_once_and_reused(h: &dyn Harness) {
    let master = MasterKey::from_bytes(MASTER);
    let (a, b) = tokio::join!(
        async {
            let backend = h.open().await;
            Keyring::load(&*backend, &master).await
        },
        async {
            let backend = h.open().await;
            Keyring::load(&*backend, &master).await
        }
    );
    let (a, b) = (a.expect("one"), b.expect("two"));
    let sealed = a.seal(SECRETS_TABLE, "r", "f", b"hello").expect("seal");
    assert_eq!(
        b.open(SECRETS_TABLE, "r", "f", &sealed)
            .expect("the same key")
            .as_slice(),
        b"hello"
    );
    let backend = h.open().await;
    let keys = backend.data_keys().await.expect("keys");
    assert_eq!(keys.len(), 1);
    assert!(keys[0].active);
    let again = Keyring::load(&*backend, &master).await.expect("reload");
    assert_eq!(
        again
            .open(SECRETS_TABLE, "r", "f", &sealed)
            .expect("open")
            .as_slice(),
        b"hello"
    );
}

/// Rotation re-wraps the data keys (no secret is re-sealed): the new key opens everything,
/// the old one no longer opens the vault.
pub async fn master_key_rotation_rewraps_and_the_old_key_stops_working(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = vault
        .connections()
        .put(
            super::connections::api_key_connection("alice"),
            vec![(
                crate::SecretField::ApiKey,
                secrecy::SecretString::from("kept"),
            )],
        )
        .await
        .expect("put");
    let backend = h.open().await;
    let before = backend.data_keys().await.expect("keys");
    let (old, new) = (
        MasterKey::from_bytes(MASTER),
        MasterKey::from_bytes([9u8; 32]),
    );
    assert_eq!(
        Vault::rotate_master_key(&*backend, &old, &new)
            .await
            .expect("rotate"),
        1
    );
    let after = backend.data_keys().await.expect("keys");
    assert_eq!(after[0].id, before[0].id, "the same data key");
    assert_ne!(after[0].wrapped, before[0].wrapped);
    let err = Vault::open(h.open().await, MasterKey::from_bytes(MASTER))
        .await
        .expect_err("the old key");
    assert!(matches!(err, VaultError::WrongMasterKey { .. }), "{err}");
    let rotated = Vault::open(h.open().await, new)
        .await
        .expect("the new key opens");
    let secret = rotated
        .connections()
        .read_secret(&c.id, crate::SecretField::ApiKey)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), "kept");
    let err = Vault::rotate_master_key(&*backend, &old, &MasterKey::generate())
        .await
        .expect_err("rotating from a key that is no longer in use");
    assert!(matches!(err, VaultError::WrongMasterKey { .. }), "{err}");
}

/// A wrapped data key altered in storage is refused at open, not used.
pub async fn a_tampered_wrapped_key_is_detected(h: &dyn Harness) {
    vault(h).await;
    h.tamper(Tamper::DataKeysZeroed).await;
    let err = Vault::open(h.open().await, MasterKey::from_bytes(MASTER))
        .await
        .expect_err("tampered");
    assert!(matches!(err, VaultError::DataKeyCorrupt(_)), "{err}");
}
