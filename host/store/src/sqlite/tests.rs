//! The conformance suite on SQLite, and what only SQLite promises: secrets never on disk in
//! clear, the size cap as a full disk, databases of earlier versions opening as they are.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::{SqliteBackend, SqliteOptions};
use crate::audit::Verdict;
use crate::backend::Backend;
use crate::conformance::{Harness, Tamper, api_key_connection};
use crate::flows::Consumed;
use crate::{MasterKey, Owner, SecretField, Vault, VaultError};

/// One SQLite file in a temporary folder.
pub(crate) struct SqliteHarness {
    dir: tempfile::TempDir,
}

impl SqliteHarness {
    pub(crate) fn new() -> Self {
        SqliteHarness {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("vault.db")
    }

    fn options(&self) -> SqliteOptions {
        SqliteOptions {
            max_size_bytes: 0,
            plugin_dir: self.dir.path().join("plugin-state"),
        }
    }

    fn sql(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self.path()).expect("open");
        conn.execute_batch(sql).expect("tamper");
    }
}

#[async_trait]
impl Harness for SqliteHarness {
    async fn open(&self) -> Arc<dyn Backend> {
        SqliteBackend::open_shared(&self.path(), self.options())
            .await
            .expect("open")
    }

    async fn tamper(&self, tampering: Tamper) {
        match tampering {
            Tamper::AuditEdit { seq } => self.sql(&format!(
                "UPDATE audit_log SET outcome = 'denied' WHERE seq = {seq}"
            )),
            Tamper::AuditDelete { seq } => {
                self.sql(&format!("DELETE FROM audit_log WHERE seq = {seq}"))
            }
            Tamper::AuditSwap { a, b } => self.sql(&format!(
                "UPDATE audit_log SET seq = -1 WHERE seq = {a}; UPDATE audit_log SET seq = {a} WHERE seq = {b}; \
                 UPDATE audit_log SET seq = {b} WHERE seq = -1;"
            )),
            Tamper::DataKeysZeroed => {
                self.sql("UPDATE data_keys SET wrapped = zeroblob(length(wrapped))")
            }
        }
    }
}

crate::conformance_suite!(async { SqliteHarness::new() });

async fn vault_at(dir: &Path, key: [u8; 32], max_size_bytes: u64) -> Vault {
    let backend = SqliteBackend::open_shared(
        &dir.join("vault.db"),
        SqliteOptions {
            max_size_bytes,
            plugin_dir: dir.join("plugin-state"),
        },
    )
    .await
    .expect("open");
    Vault::open(backend, MasterKey::from_bytes(key))
        .await
        .expect("unlock")
}

#[tokio::test]
async fn secrets_are_not_stored_in_clear_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault_at(dir.path(), [3u8; 32], 0).await;
    vault
        .connections()
        .put(
            api_key_connection("alice"),
            vec![(SecretField::ApiKey, SecretString::from("alice-secret"))],
        )
        .await
        .expect("put");
    drop(vault);
    // The writer thread may still be closing (checkpointing and removing the WAL) after the
    // drop: scan until one pass reads every file it listed.
    let files = 'scan: {
        for _ in 0..100 {
            let mut files = Vec::new();
            let mut vanished = false;
            for entry in std::fs::read_dir(dir.path()).expect("dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    continue;
                }
                match std::fs::read(&path) {
                    Ok(bytes) => files.push((path, bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => vanished = true,
                    Err(e) => panic!("read {}: {e}", path.display()),
                }
            }
            if !vanished {
                break 'scan files;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the database files kept changing for 2 s after the vault was dropped");
    };
    for (path, bytes) in files {
        assert!(
            !bytes
                .windows(b"alice-secret".len())
                .any(|w| w == b"alice-secret"),
            "plaintext secret found in {}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_full_database_refuses_the_write_whole_and_keeps_everything_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault_at(dir.path(), [5u8; 32], 0).await;
    let conns = vault.connections();
    let mut kept = Vec::new();
    for user in ["alice", "bob"] {
        let secret = SecretString::from(format!("{user}-secret"));
        kept.push(
            conns
                .put(
                    api_key_connection(user),
                    vec![(SecretField::ApiKey, secret)],
                )
                .await
                .expect("put")
                .id,
        );
    }
    drop(vault);
    // Reopened with the cap at the current size: SQLite answers SQLITE_FULL, as on a full disk.
    let vault = vault_at(dir.path(), [5u8; 32], 1).await;
    let conns = vault.connections();
    let big = SecretString::from("x".repeat(64 * 1024));
    let refused = conns
        .put(
            api_key_connection("carol"),
            vec![(SecretField::ApiKey, big.clone())],
        )
        .await;
    assert!(matches!(refused, Err(VaultError::Full(_))), "{refused:?}");
    assert!(refused.as_ref().err().is_some_and(VaultError::retry_later));
    // Nothing half-written, nothing lost, and reads still work.
    let mut ids: Vec<_> = conns
        .list(None)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    kept.sort();
    assert_eq!(ids, kept);
    let secret = conns
        .read_secret(&kept[0], SecretField::ApiKey)
        .await
        .expect("read")
        .expect("still there");
    assert!(secret.expose_secret().ends_with("-secret"));
    drop(vault);
    // Room again (the operator raised the cap): the same write succeeds.
    let vault = vault_at(dir.path(), [5u8; 32], 1 << 30).await;
    vault
        .connections()
        .put(
            api_key_connection("carol"),
            vec![(SecretField::ApiKey, big)],
        )
        .await
        .expect("stored once there is room");
}

/// A database written by the version before the storage traits opens unchanged: every
/// secret opens where it was sealed and the audit chain verifies.
#[tokio::test]
async fn a_database_from_the_previous_version_opens_and_every_secret_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vault.db");
    rusqlite::Connection::open(&path)
        .expect("create")
        .execute_batch(include_str!("fixtures/main-v4.sql"))
        .expect("load the old database");
    let vault = vault_at(dir.path(), [42u8; 32], 0).await;
    let conns = vault.connections();
    let open = |id: &'static str, field| {
        let conns = vault.connections();
        async move {
            conns
                .read_secret(id, field)
                .await
                .expect("opens")
                .map(|s| s.expose_secret().to_string())
        }
    };
    let api = "conn_c22db243e8fa296636faf4b329581735";
    let oauth = "conn_707cfed944d069cce9890a574642da91";
    assert_eq!(
        open(api, SecretField::ApiKey).await.as_deref(),
        Some("alice-notion-key")
    );
    assert_eq!(
        open(oauth, SecretField::AccessToken).await.as_deref(),
        Some("gho-access-2")
    );
    assert_eq!(
        open(oauth, SecretField::RefreshToken).await.as_deref(),
        Some("ghr-refresh-2")
    );
    assert_eq!(
        open(oauth, SecretField::ExtraTokens).await.as_deref(),
        Some(r#"{"user":"xoxp-1"}"#)
    );
    let record = conns.get(oauth).await.expect("get").expect("oauth");
    assert_eq!(record.owner, Owner::Group("eng".into()));
    assert_eq!(record.token_version, 1);
    let provider = vault
        .catalog()
        .get_provider("github")
        .await
        .expect("provider")
        .expect("github");
    assert_eq!(
        provider
            .client_secret
            .as_ref()
            .map(|s| s.expose_secret().to_string())
            .as_deref(),
        Some("gh-client-secret")
    );
    let journal = vault.journal().pending().await.expect("journal");
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].payload.as_slice(), br#"{"journaled":true}"#);
    match vault
        .flows()
        .consume_state(b"state-hash-0001", 5)
        .await
        .expect("state")
    {
        Consumed::Fresh(state) => assert_eq!(state.verifier.expose_secret(), "pkce-verifier-1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        vault.audit().verify().await.expect("verify"),
        Verdict::Intact { entries: 3 }
    );
    // And the chain continues where it ended.
    vault
        .audit()
        .append(&crate::audit::Event {
            event: "x".into(),
            outcome: "ok".into(),
            ..Default::default()
        })
        .await
        .expect("append");
    assert_eq!(
        vault.audit().verify().await.expect("verify"),
        Verdict::Intact { entries: 4 }
    );
    assert_eq!(
        vault
            .principals()
            .get_group("eng")
            .await
            .expect("group")
            .expect("eng")
            .members
            .len(),
        2
    );
    assert_eq!(
        vault
            .catalog()
            .get_pack("dev")
            .await
            .expect("pack")
            .map(|p| p.tools.len()),
        Some(1)
    );
}

/// Approvals that an earlier version kept in `approvals.json` move into the database once.
#[tokio::test]
async fn approvals_from_the_old_state_file_are_imported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("plugin-state");
    std::fs::create_dir_all(&state).expect("mkdir");
    std::fs::write(
        state.join("approvals.json"),
        r#"{"notion": {"hash": "abc", "permissions": {"hosts": ["api.notion.com"], "scopes": [], "schemes": []}}}"#,
    )
    .expect("write");
    std::fs::write(state.join("notion.wasm"), b"\0asm").expect("write copy");
    let vault = vault_at(dir.path(), [1u8; 32], 0).await;
    let approvals = vault.plugins().approvals().await.expect("approvals");
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        (
            approvals[0].connector_id.as_str(),
            approvals[0].module_hash.as_str()
        ),
        ("notion", "abc")
    );
    let permissions: serde_json::Value =
        serde_json::from_str(&approvals[0].permissions).expect("json");
    assert_eq!(permissions["hosts"][0], "api.notion.com");
    assert_eq!(
        vault
            .plugins()
            .copy("notion")
            .await
            .expect("copy")
            .as_deref(),
        Some(&b"\0asm"[..]),
        "copies stay where they were"
    );
    assert!(!state.join("approvals.json").exists());
    assert!(state.join("approvals.json.imported").exists());
    vault
        .plugins()
        .remove_approval("notion")
        .await
        .expect("remove");
    drop(vault);
    let vault = vault_at(dir.path(), [1u8; 32], 0).await;
    assert!(
        vault
            .plugins()
            .approvals()
            .await
            .expect("approvals")
            .is_empty(),
        "not imported twice"
    );
}

#[tokio::test]
async fn a_copy_name_cannot_leave_the_plugin_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault_at(dir.path(), [1u8; 32], 0).await;
    for id in ["../escape", "a/b", "", "Upper"] {
        let err = vault.plugins().save_copy(id, b"x").await.expect_err(id);
        assert!(matches!(err, VaultError::Malformed(_)), "{err}");
    }
}
