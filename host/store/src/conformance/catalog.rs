//! Principals (keys, sessions, groups), the catalog (packs, provider configs) and hot-load
//! state (approvals, serving copies).

use secrecy::{ExposeSecret, SecretString};

use super::{Harness, vault};
use crate::backend::CatalogStore;
use crate::catalog::{Pack, ProviderConfig};
use crate::clock::now_ms;
use crate::ids::new_id;
use crate::plugins::PluginApproval;
use crate::{KeyKind, NewKey, VaultError};

fn key(kind: KeyKind, parent: Option<&str>, expires_at: Option<i64>) -> NewKey {
    NewKey {
        id: new_id("key"),
        kind,
        name: format!("{} key", kind.as_str()),
        secret_hash: vec![1, 2, 3],
        packs: (kind != KeyKind::Admin).then(|| vec!["dev".to_string()]),
        user_id: parent.map(|_| "alice".to_string()),
        parent_id: parent.map(str::to_string),
        expires_at,
    }
}

/// Keys are stored with their grants; revoking an agent key revokes the sessions it minted.
pub async fn keys_sessions_and_revocation(h: &dyn Harness) {
    let vault = vault(h).await;
    let p = vault.principals();
    let agent = p
        .insert_key(&key(KeyKind::Agent, None, None))
        .await
        .expect("agent");
    let admin = p
        .insert_key(&key(KeyKind::Admin, None, None))
        .await
        .expect("admin");
    let now = now_ms();
    let session = p
        .insert_key(&key(KeyKind::Session, Some(&agent.id), Some(now + 60_000)))
        .await
        .expect("session");
    let old = p
        .insert_key(&key(
            KeyKind::Session,
            Some(&agent.id),
            Some(now - 2 * 86_400_000),
        ))
        .await
        .expect("old session");
    assert!(
        p.insert_key(&NewKey {
            id: agent.id.clone(),
            ..key(KeyKind::Agent, None, None)
        })
        .await
        .is_err(),
        "ids are unique"
    );

    let read = p.get_key(&session.id).await.expect("get").expect("session");
    assert_eq!(read.kind, KeyKind::Session);
    assert_eq!(
        (read.user_id.as_deref(), read.parent_id.as_deref()),
        (Some("alice"), Some(agent.id.as_str()))
    );
    assert_eq!(read.packs, Some(vec!["dev".to_string()]));
    assert_eq!(read.secret_hash, vec![1, 2, 3]);
    assert_eq!(
        p.get_key(&admin.id)
            .await
            .expect("get")
            .expect("admin")
            .packs,
        None
    );
    let agents: Vec<_> = p
        .list_keys(KeyKind::Agent)
        .await
        .expect("list")
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(agents, vec![agent.id.clone()]);
    assert_eq!(p.list_keys(KeyKind::Session).await.expect("list").len(), 2);

    assert!(p.revoke_key(&agent.id).await.expect("revoke"));
    assert!(
        !p.revoke_key(&agent.id).await.expect("again"),
        "already revoked"
    );
    assert!(
        p.get_key(&session.id)
            .await
            .expect("get")
            .expect("s")
            .revoked_at
            .is_some(),
        "its session too"
    );
    assert!(
        p.get_key(&admin.id)
            .await
            .expect("get")
            .expect("a")
            .revoked_at
            .is_none()
    );
    assert_eq!(p.prune_sessions(now).await.expect("prune"), 1);
    assert!(p.get_key(&old.id).await.expect("get").is_none());
    assert!(
        p.get_key(&session.id).await.expect("get").is_some(),
        "recently expired ones stay"
    );
}

/// Groups keep their members and policy; sharing answers per connector.
pub async fn groups_and_sharing(h: &dyn Harness) {
    let vault = vault(h).await;
    let p = vault.principals();
    let eng = p
        .put_group(
            "eng",
            &["github".into(), "jira".into()],
            &["bob".into(), "alice".into(), "bob".into()],
        )
        .await
        .expect("put");
    assert_eq!(eng.members, vec!["alice".to_string(), "bob".to_string()]);
    p.put_group("ops", &["jira".into()], &["alice".into()])
        .await
        .expect("put");
    assert_eq!(
        p.groups_sharing("alice", "jira").await.expect("sharing"),
        vec!["eng".to_string(), "ops".to_string()]
    );
    assert_eq!(
        p.groups_sharing("bob", "github").await.expect("sharing"),
        vec!["eng".to_string()]
    );
    assert!(
        p.groups_sharing("carol", "github")
            .await
            .expect("sharing")
            .is_empty()
    );
    let replaced = p
        .put_group("eng", &["github".into()], &["carol".into()])
        .await
        .expect("replace");
    assert_eq!(replaced.members, vec!["carol".to_string()]);
    assert_eq!(p.get_group("eng").await.expect("get"), Some(replaced));
    assert!(
        p.groups_sharing("alice", "github")
            .await
            .expect("sharing")
            .is_empty()
    );
    assert!(p.delete_group("eng").await.expect("delete"));
    assert!(!p.delete_group("eng").await.expect("again"));
    assert!(p.get_group("eng").await.expect("get").is_none());
}

/// Packs by name; provider configs with their secret opened, or none.
pub async fn packs_and_provider_configs(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = vault.catalog();
    let pack = |name: &str, tools: &[&str]| Pack {
        name: name.into(),
        description: format!("{name} tools"),
        tools: tools.iter().map(|t| t.to_string()).collect(),
    };
    c.put_pack(&pack("dev", &["github_get_user"]))
        .await
        .expect("put");
    c.put_pack(&pack("alpha", &["jira_create_issue"]))
        .await
        .expect("put");
    c.put_pack(&pack("dev", &["github_get_user", "slack_post"]))
        .await
        .expect("replace");
    assert_eq!(
        c.get_pack("dev").await.expect("get"),
        Some(pack("dev", &["github_get_user", "slack_post"]))
    );
    let named: Vec<_> = c
        .get_packs(&["dev".into(), "missing".into(), "alpha".into()])
        .await
        .expect("get many")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        named,
        vec!["dev".to_string(), "alpha".to_string()],
        "in the order named"
    );
    let all: Vec<_> = c
        .list_packs()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(all, vec!["alpha".to_string(), "dev".to_string()]);
    assert!(c.delete_pack("dev").await.expect("delete"));
    assert!(!c.delete_pack("dev").await.expect("again"));

    let config = |id: &str, secret: Option<&str>| ProviderConfig {
        connector_id: id.into(),
        client_id: format!("{id}-client"),
        client_secret: secret.map(|s| SecretString::from(s.to_string())),
        scopes: Some(vec!["repo".into()]),
        issuer: Some("https://issuer.example".into()),
        updated_at: 0,
    };
    c.put_provider(config("github", Some("gh-secret")))
        .await
        .expect("put");
    c.put_provider(config("jira", None)).await.expect("put");
    let gh = c
        .get_provider("github")
        .await
        .expect("get")
        .expect("github");
    assert_eq!(
        gh.client_secret
            .as_ref()
            .map(|s| s.expose_secret().to_string())
            .as_deref(),
        Some("gh-secret")
    );
    assert_eq!(
        (
            gh.client_id.as_str(),
            gh.scopes.clone(),
            gh.issuer.as_deref()
        ),
        (
            "github-client",
            Some(vec!["repo".to_string()]),
            Some("https://issuer.example")
        )
    );
    assert!(gh.updated_at > 0, "stamped when written");
    let listed: Vec<_> = c
        .list_providers()
        .await
        .expect("list")
        .into_iter()
        .map(|p| (p.connector_id, p.client_secret.is_some()))
        .collect();
    assert_eq!(
        listed,
        vec![("github".to_string(), true), ("jira".to_string(), false)]
    );
    c.put_provider(config("github", None))
        .await
        .expect("replace");
    assert!(
        c.get_provider("github")
            .await
            .expect("get")
            .expect("github")
            .client_secret
            .is_none(),
        "replaced whole"
    );
    assert!(c.delete_provider("github").await.expect("delete"));
    assert!(!c.delete_provider("github").await.expect("again"));
    assert!(c.get_provider("github").await.expect("get").is_none());
}

/// A client secret copied to another connector's config does not open.
pub async fn a_client_secret_is_bound_to_its_connector(h: &dyn Harness) {
    let vault = vault(h).await;
    let c = vault.catalog();
    c.put_provider(ProviderConfig {
        connector_id: "github".into(),
        client_id: "gh".into(),
        client_secret: Some(SecretString::from("gh-secret")),
        scopes: None,
        issuer: None,
        updated_at: 0,
    })
    .await
    .expect("put");
    let backend = h.open().await;
    let store: &dyn CatalogStore = &*backend;
    let mut sealed = store
        .get_provider_sealed("github")
        .await
        .expect("get")
        .expect("github");
    sealed.connector_id = "jira".into();
    store.put_provider_sealed(&sealed).await.expect("copied");
    let err = c.get_provider("jira").await.expect_err("must not open");
    assert!(matches!(err, VaultError::SecretTampered), "{err}");
    assert!(
        c.get_provider("github")
            .await
            .expect("the original opens")
            .is_some()
    );
}

/// Approvals are recorded, replaced and forgotten; a serving copy is kept and dropped.
pub async fn plugin_approvals_and_copies(h: &dyn Harness) {
    let vault = vault(h).await;
    let store = vault.plugins();
    let approval = |id: &str, hash: &str| PluginApproval {
        connector_id: id.into(),
        module_hash: hash.into(),
        permissions: format!(r#"{{"hosts":["{id}.example"]}}"#),
    };
    store
        .put_approval(&approval("notion", "h1"))
        .await
        .expect("put");
    store
        .put_approval(&approval("github", "h2"))
        .await
        .expect("put");
    store
        .put_approval(&approval("notion", "h3"))
        .await
        .expect("replace");
    assert_eq!(
        store.approvals().await.expect("list"),
        vec![approval("github", "h2"), approval("notion", "h3")]
    );
    store.save_copy("notion", b"\0asm-one").await.expect("save");
    store
        .save_copy("notion", b"\0asm-two")
        .await
        .expect("replace");
    assert_eq!(
        store.copy("notion").await.expect("copy").as_deref(),
        Some(&b"\0asm-two"[..])
    );
    assert_eq!(store.copy("github").await.expect("copy"), None);
    store.remove_approval("github").await.expect("remove");
    assert_eq!(
        store.approvals().await.expect("list"),
        vec![approval("notion", "h3")]
    );
    store.forget("notion").await.expect("forget");
    assert!(store.approvals().await.expect("list").is_empty());
    assert_eq!(store.copy("notion").await.expect("copy"), None);
    store
        .forget("never-loaded")
        .await
        .expect("forgetting nothing is fine");
    // Still there for the next gateway that opens the store.
    store
        .put_approval(&approval("slack", "h4"))
        .await
        .expect("put");
    let again = super::vault(h).await;
    assert_eq!(
        again.plugins().approvals().await.expect("list"),
        vec![approval("slack", "h4")]
    );
}
