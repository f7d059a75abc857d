//! Connections and their sealed secrets.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};

use super::{Harness, MASTER, vault};
use crate::alerts::NewAlert;
use crate::backend::{AlertStore, ConnectionStore};
use crate::{
    ConnectionRecord, ConnectionStatus, MasterKey, NewConnection, Owner, SchemeKind, SecretField,
    Vault, VaultError,
};

/// An API-key connection of `user` to notion.
pub fn api_key_connection(user: &str) -> NewConnection {
    NewConnection {
        connector_id: "notion".into(),
        owner: Owner::User(user.into()),
        scheme: SchemeKind::ApiKey,
        granted_scopes: vec![],
        metadata: BTreeMap::new(),
        expires_at: None,
    }
}

async fn two_users(vault: &Vault) -> (ConnectionRecord, ConnectionRecord) {
    let mut out = Vec::new();
    for user in ["alice", "bob"] {
        let secret = SecretString::from(format!("{user}-secret"));
        out.push(
            vault
                .connections()
                .put(
                    api_key_connection(user),
                    vec![(SecretField::ApiKey, secret)],
                )
                .await
                .expect("put"),
        );
    }
    let b = out.pop().expect("bob");
    (out.pop().expect("alice"), b)
}

pub(super) async fn secret(vault: &Vault, id: &str, field: SecretField) -> Option<String> {
    vault
        .connections()
        .read_secret(id, field)
        .await
        .expect("read")
        .map(|s| s.expose_secret().to_string())
}

/// Secrets come back as stored, and what the backend holds is ciphertext, not the secret.
pub async fn secrets_round_trip_and_are_sealed(h: &dyn Harness) {
    let vault = vault(h).await;
    let (a, _) = two_users(&vault).await;
    assert_eq!(
        secret(&vault, &a.id, SecretField::ApiKey).await.as_deref(),
        Some("alice-secret")
    );
    assert_eq!(secret(&vault, &a.id, SecretField::Password).await, None);
    let backend = h.open().await;
    let sealed = ConnectionStore::secret_sealed(&*backend, &a.id, SecretField::ApiKey)
        .await
        .expect("sealed")
        .expect("present");
    assert!(
        !sealed
            .ciphertext
            .windows(b"alice-secret".len())
            .any(|w| w == b"alice-secret"),
        "the backend holds the plaintext"
    );
}

/// A ciphertext copied to another row or field (as an attacker with write access might) does
/// not open; the original still does.
pub async fn swapped_ciphertexts_do_not_open(h: &dyn Harness) {
    let vault = vault(h).await;
    let (a, b) = two_users(&vault).await;
    let backend = h.open().await;
    let store: &dyn ConnectionStore = &*backend;
    let bobs = store
        .secret_sealed(&b.id, SecretField::ApiKey)
        .await
        .expect("read")
        .expect("bob's");
    store
        .put_sealed(
            &a.id,
            &api_key_connection("alice"),
            &[(SecretField::ApiKey, bobs.clone())],
        )
        .await
        .expect("swap rows");
    let err = vault
        .connections()
        .read_secret(&a.id, SecretField::ApiKey)
        .await
        .expect_err("another row's ciphertext must not open");
    assert!(matches!(err, VaultError::SecretTampered), "{err}");
    // The same row, another field.
    store
        .put_sealed(
            &b.id,
            &api_key_connection("bob"),
            &[(SecretField::Password, bobs)],
        )
        .await
        .expect("swap fields");
    let err = vault
        .connections()
        .read_secret(&b.id, SecretField::Password)
        .await
        .expect_err("another field's ciphertext must not open");
    assert!(matches!(err, VaultError::SecretTampered), "{err}");
}

/// A vault sealed with one master key refuses another, and says so.
pub async fn a_wrong_master_key_is_refused(h: &dyn Harness) {
    let vault = vault(h).await;
    two_users(&vault).await;
    let mut other = MASTER;
    other[0] ^= 1;
    let err = Vault::open(h.open().await, MasterKey::from_bytes(other))
        .await
        .expect_err("wrong key");
    assert!(matches!(err, VaultError::WrongMasterKey { .. }), "{err}");
    assert!(err.to_string().contains("refusing to start"));
}

/// A replaced connection keeps its id and only its new secrets; a deleted one leaves none.
pub async fn replacing_a_connection_keeps_its_id_and_drops_old_secrets(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = vault.connections();
    let mut basic = api_key_connection("alice");
    basic.scheme = SchemeKind::Basic;
    let first = c
        .put(
            basic,
            vec![
                (SecretField::ApiKey, SecretString::from("old")),
                (SecretField::Password, SecretString::from("pw")),
            ],
        )
        .await
        .expect("put");
    c.set_status(&first.id, ConnectionStatus::NeedsReauth, Some("revoked"))
        .await
        .expect("status");
    c.record_lost_scopes(&first.id, &["write".into()])
        .await
        .expect("lost");
    let replaced = c
        .put(
            api_key_connection("alice"),
            vec![(SecretField::ApiKey, SecretString::from("new"))],
        )
        .await
        .expect("replace");
    assert_eq!(replaced.id, first.id);
    assert_eq!(replaced.scheme, SchemeKind::ApiKey);
    assert_eq!(replaced.status, ConnectionStatus::Active);
    assert!(replaced.status_reason.is_none() && replaced.lost_scopes.is_empty());
    assert_eq!(
        secret(&vault, &first.id, SecretField::ApiKey)
            .await
            .as_deref(),
        Some("new")
    );
    assert_eq!(secret(&vault, &first.id, SecretField::Password).await, None);
    assert_eq!(c.list(None).await.expect("list").len(), 1);

    assert!(c.delete(&first.id).await.expect("delete"));
    assert!(!c.delete(&first.id).await.expect("second delete"));
    assert!(c.get(&first.id).await.expect("get").is_none());
    let backend = h.open().await;
    assert!(
        ConnectionStore::secret_sealed(&*backend, &first.id, SecretField::ApiKey)
            .await
            .expect("read")
            .is_none(),
        "no ciphertext left"
    );
}

/// Storing under an id that is not the owner's connection's is refused whole.
pub async fn a_put_with_a_stale_id_is_a_conflict_and_changes_nothing(h: &dyn Harness) {
    let vault = vault(h).await;
    let (a, _) = two_users(&vault).await;
    let backend = h.open().await;
    let store: &dyn ConnectionStore = &*backend;
    let mut changed = api_key_connection("alice");
    changed.granted_scopes = vec!["x".into()];
    let err = store
        .put_sealed("conn_someone_else", &changed, &[])
        .await
        .expect_err("a second connection for one owner");
    assert!(matches!(err, VaultError::Conflict(_)), "{err}");
    let kept = store.get(&a.id).await.expect("get").expect("kept");
    assert_eq!(kept, a);
    assert!(store.get("conn_someone_else").await.expect("get").is_none());
    assert_eq!(
        secret(&vault, &a.id, SecretField::ApiKey).await.as_deref(),
        Some("alice-secret")
    );
}

/// Lookups, metadata, status, lost scopes and probe bookkeeping.
pub async fn connection_lifecycle_metadata_status_scopes_probes(h: &dyn Harness) {
    let vault = vault(h).await;
    let (a, b) = two_users(&vault).await;
    let c = vault.connections();
    let mut shared = api_key_connection("eng");
    shared.owner = Owner::Group("eng".into());
    let g = c.put(shared, vec![]).await.expect("group connection");
    let found = c
        .find("notion", &Owner::Group("eng".into()))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.id, g.id);
    assert!(
        c.find("notion", &Owner::User("eng".into()))
            .await
            .expect("find")
            .is_none()
    );
    let alices: Vec<_> = c
        .list(Some(&Owner::User("alice".into())))
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(alices, vec![a.id.clone()]);
    assert_eq!(c.list(None).await.expect("all").len(), 3);

    let merged = c
        .merge_metadata(
            &a.id,
            &BTreeMap::from([("site".to_string(), "acme".to_string())]),
        )
        .await
        .expect("merge")
        .expect("exists");
    assert_eq!(merged.metadata["site"], "acme");
    let merged = c
        .merge_metadata(
            &a.id,
            &BTreeMap::from([("org".to_string(), "1".to_string())]),
        )
        .await
        .expect("merge")
        .expect("exists");
    assert_eq!(merged.metadata.len(), 2, "entries are added, not replaced");
    assert!(
        c.merge_metadata("conn_missing", &BTreeMap::new())
            .await
            .expect("merge")
            .is_none()
    );

    c.record_lost_scopes(&a.id, &["read".into()])
        .await
        .expect("lost");
    c.record_lost_scopes(&a.id, &["read".into(), "write".into()])
        .await
        .expect("lost");
    let lost = c.get(&a.id).await.expect("get").expect("a").lost_scopes;
    assert_eq!(lost, vec!["read".to_string(), "write".to_string()]);

    assert!(
        c.set_status(&b.id, ConnectionStatus::NeedsReauth, Some("expired"))
            .await
            .expect("set")
    );
    assert!(
        !c.set_status("conn_missing", ConnectionStatus::Revoked, None)
            .await
            .expect("set")
    );
    let b_now = c.get(&b.id).await.expect("get").expect("b");
    assert_eq!(b_now.status, ConnectionStatus::NeedsReauth);
    assert_eq!(b_now.status_reason.as_deref(), Some("expired"));

    c.mark_probed(&a.id, 1_000).await.expect("probed");
    let candidates = c.probe_candidates().await.expect("candidates");
    let ids: Vec<_> = candidates.iter().map(|(r, _)| r.id.clone()).collect();
    assert!(!ids.contains(&b.id), "only active connections are probed");
    assert_eq!(
        ids.last(),
        Some(&a.id),
        "the most recently probed comes last"
    );
    assert_eq!(candidates.last().map(|(_, at)| *at), Some(Some(1_000)));
}

/// Deleting a connection resolves its open alerts in the same step, and only its own.
pub async fn deleting_a_connection_ends_its_open_alerts(h: &dyn Harness) {
    let vault = vault(h).await;
    let (a, b) = two_users(&vault).await;
    for c in [&a, &b] {
        let alert = NewAlert {
            connection_id: c.id.clone(),
            connector_id: c.connector_id.clone(),
            owner: c.owner.clone(),
            reason: "revoked".into(),
            missing_scopes: Vec::new(),
            detail: None,
        }
        .opening(crate::clock::now_ms());
        assert!(vault.alerts().open_alert(&alert, &[]).await.expect("open"));
    }
    assert!(vault.connections().delete(&a.id).await.expect("delete"));
    let open: Vec<String> = AlertStore::list_alerts(vault.alerts(), true)
        .await
        .expect("list")
        .into_iter()
        .map(|alert| alert.connection_id)
        .collect();
    assert_eq!(
        open,
        vec![b.id.clone()],
        "only bob's incident is still open"
    );
}
