//! Vault behaviour through its public face, on a real SQLite file.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};

use super::*;

fn api_key_connection(user: &str) -> NewConnection {
    NewConnection {
        connector_id: "notion".into(),
        owner: Owner::User(user.into()),
        scheme: SchemeKind::ApiKey,
        granted_scopes: vec![],
        metadata: BTreeMap::new(),
        expires_at: None,
    }
}

async fn vault_with_two_users(
    dir: &Path,
    key: [u8; 32],
) -> (Vault, ConnectionRecord, ConnectionRecord) {
    let vault = Vault::open(&dir.join("vault.db"), MasterKey::from_bytes(key))
        .await
        .expect("open");
    let a = vault
        .put_connection(
            api_key_connection("alice"),
            vec![(SecretField::ApiKey, SecretString::from("alice-secret"))],
        )
        .await
        .expect("put a");
    let b = vault
        .put_connection(
            api_key_connection("bob"),
            vec![(SecretField::ApiKey, SecretString::from("bob-secret"))],
        )
        .await
        .expect("put b");
    (vault, a, b)
}

#[tokio::test]
async fn secrets_round_trip_and_are_not_stored_in_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, a, _) = vault_with_two_users(dir.path(), [3u8; 32]).await;
    let secret = vault
        .read_secret(&a.id, SecretField::ApiKey)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(secret.expose_secret(), "alice-secret");
    drop(vault);
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read file");
        assert!(
            !bytes
                .windows(b"alice-secret".len())
                .any(|w| w == b"alice-secret"),
            "plaintext secret found on disk"
        );
    }
}

#[tokio::test]
async fn a_ciphertext_swapped_between_rows_fails_to_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, a, b) = vault_with_two_users(dir.path(), [4u8; 32]).await;
    let (a_id, b_id) = (a.id.clone(), b.id.clone());
    vault
        .db()
        .write(move |conn| {
            // Copy bob's sealed key into alice's row, as an attacker with write access might.
            conn.execute(
                "UPDATE connection_secrets SET (data_key_id, nonce, ciphertext) = \
                 (SELECT data_key_id, nonce, ciphertext FROM connection_secrets WHERE connection_id = ?2) \
                 WHERE connection_id = ?1",
                rusqlite::params![a_id, b_id],
            )?;
            Ok(())
        })
        .await
        .expect("swap");
    let err = vault
        .read_secret(&a.id, SecretField::ApiKey)
        .await
        .expect_err("must not open");
    assert!(matches!(err, VaultError::SecretTampered));
    // Bob's own row still opens.
    assert!(
        vault
            .read_secret(&b.id, SecretField::ApiKey)
            .await
            .expect("b")
            .is_some()
    );
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, _, _) = vault_with_two_users(dir.path(), [5u8; 32]).await;
    drop(vault);
    let err = Vault::open(
        &dir.path().join("vault.db"),
        MasterKey::from_bytes([6u8; 32]),
    )
    .await
    .expect_err("wrong key");
    assert!(matches!(err, VaultError::WrongMasterKey { .. }));
    assert!(err.to_string().contains("refusing to start"));
}

#[tokio::test]
async fn replacing_a_connection_keeps_its_id_and_delete_leaves_no_ciphertext() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, a, _) = vault_with_two_users(dir.path(), [7u8; 32]).await;
    let replaced = vault
        .put_connection(
            api_key_connection("alice"),
            vec![(SecretField::ApiKey, SecretString::from("new"))],
        )
        .await
        .expect("replace");
    assert_eq!(replaced.id, a.id);
    let secret = vault
        .read_secret(&a.id, SecretField::ApiKey)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(secret.expose_secret(), "new");

    assert!(vault.delete_connection(&a.id).await.expect("delete"));
    assert!(!vault.delete_connection(&a.id).await.expect("second delete"));
    let id = a.id.clone();
    let left: i64 = vault
        .db()
        .read(move |c| {
            Ok(c.query_row(
                "SELECT count(*) FROM connection_secrets WHERE connection_id = ?1",
                [id],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("count");
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_full_database_refuses_the_write_whole_and_keeps_everything_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, a, b) = vault_with_two_users(dir.path(), [5u8; 32]).await;
    // Cap at the current size: SQLite answers SQLITE_FULL, exactly as on a full disk.
    let pages = vault.db().cap_size(1).await.expect("cap");
    assert!(pages > 0);
    let big = SecretString::from("x".repeat(64 * 1024));
    let refused = vault
        .put_connection(
            api_key_connection("carol"),
            vec![(SecretField::ApiKey, big.clone())],
        )
        .await;
    assert!(
        matches!(refused, Err(VaultError::DiskFull(_))),
        "{refused:?}"
    );
    // Nothing half-written, nothing lost, and reads still work.
    let owners: Vec<_> = vault
        .list_connections(None)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(owners.len(), 2);
    assert!(owners.contains(&a.id) && owners.contains(&b.id));
    let secret = vault
        .read_secret(&b.id, SecretField::ApiKey)
        .await
        .expect("read")
        .expect("bob's secret is still there");
    assert_eq!(secret.expose_secret(), "bob-secret");
    // Room again (the operator freed space): the same write succeeds.
    vault.db().cap_size(1 << 30).await.expect("lift");
    vault
        .put_connection(
            api_key_connection("carol"),
            vec![(SecretField::ApiKey, big)],
        )
        .await
        .expect("stored once there is room");
}

#[tokio::test]
async fn a_token_update_replaces_extra_tokens_and_keeps_them_when_it_has_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = Vault::open(
        &dir.path().join("vault.db"),
        MasterKey::from_bytes([6u8; 32]),
    )
    .await
    .expect("open");
    let mut new = api_key_connection("alice");
    new.scheme = SchemeKind::Oauth2;
    let c = vault
        .put_connection(
            new,
            vec![
                (SecretField::AccessToken, SecretString::from("bot-1")),
                (
                    SecretField::ExtraTokens,
                    SecretString::from(r#"{"user":"user-1"}"#),
                ),
            ],
        )
        .await
        .expect("put");
    let update = |access: &str, extra: Option<&str>| TokenUpdate {
        access_token: SecretString::from(access.to_string()),
        refresh_token: None,
        expires_at: None,
        granted_scopes: None,
        extra_tokens: extra.map(|e| SecretString::from(e.to_string())),
    };
    let extra = |vault: &Vault| {
        let vault = vault.clone();
        let id = c.id.clone();
        async move {
            vault
                .read_secret(&id, SecretField::ExtraTokens)
                .await
                .expect("read")
                .map(|s| s.expose_secret().to_string())
        }
    };
    // A refresh that rotates the user token too (Slack) stores the new one.
    vault
        .update_tokens(&c.id, update("bot-2", Some(r#"{"user":"user-2"}"#)), None)
        .await
        .expect("update");
    assert_eq!(extra(&vault).await.as_deref(), Some(r#"{"user":"user-2"}"#));
    // One without extra tokens keeps the stored ones.
    vault
        .update_tokens(&c.id, update("bot-3", None), None)
        .await
        .expect("update");
    assert_eq!(extra(&vault).await.as_deref(), Some(r#"{"user":"user-2"}"#));
}

#[tokio::test]
async fn deleting_a_connection_ends_its_open_alerts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, a, b) = vault_with_two_users(dir.path(), [7u8; 32]).await;
    for c in [&a, &b] {
        let new = alerts::NewAlert {
            connection_id: c.id.clone(),
            connector_id: c.connector_id.clone(),
            owner: c.owner.clone(),
            reason: "revoked".into(),
            missing_scopes: Vec::new(),
            detail: None,
        };
        vault
            .db()
            .write(move |conn| alerts::open(conn, &new))
            .await
            .expect("open an alert");
    }
    assert!(vault.delete_connection(&a.id).await.expect("delete"));
    let open: Vec<String> = vault
        .db()
        .read(|conn| alerts::list(conn, true))
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
