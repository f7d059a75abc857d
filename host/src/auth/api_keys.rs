//! Agent keys, admin keys and user sessions: `lk_<kind>_<id>_<secret>`. The id finds the row;
//! only a hash of the 256-bit secret is stored, and it is compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::vault::{ApiKeyRecord, KeyKind, NewKey, Vault, VaultError};

/// Why a presented key was not accepted. Deliberately vague towards the caller.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key is malformed")]
    Malformed,
    #[error("the key is unknown, revoked, or of the wrong kind")]
    Rejected,
    #[error(transparent)]
    Vault(#[from] VaultError),
}

const ID_HEX: usize = 16;

fn hash(secret: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"latchkey api key v1\0");
    h.update(secret.as_bytes());
    h.finalize().to_vec()
}

struct Parsed<'a> {
    kind: KeyKind,
    id: &'a str,
    secret: &'a str,
}

fn parse(presented: &str) -> Result<Parsed<'_>, KeyError> {
    let (kind, rest) = if let Some(rest) = presented.strip_prefix("lk_agent_") {
        (KeyKind::Agent, rest)
    } else if let Some(rest) = presented.strip_prefix("lk_admin_") {
        (KeyKind::Admin, rest)
    } else if let Some(rest) = presented.strip_prefix("lk_session_") {
        (KeyKind::Session, rest)
    } else {
        return Err(KeyError::Malformed);
    };
    let (id, secret) = rest.split_at_checked(ID_HEX).ok_or(KeyError::Malformed)?;
    let secret = secret.strip_prefix('_').ok_or(KeyError::Malformed)?;
    if !id.bytes().all(|b| b.is_ascii_hexdigit()) || secret.len() != 43 {
        return Err(KeyError::Malformed);
    }
    Ok(Parsed { kind, id, secret })
}

/// What a new key may do beyond its kind.
#[derive(Debug, Clone, Default)]
pub struct Grant {
    /// Tool packs (agent keys, sessions); `None` = every tool.
    pub packs: Option<Vec<String>>,
    /// Sessions: the user, the minting agent key, the expiry.
    pub user_id: Option<String>,
    pub parent_id: Option<String>,
    pub expires_at: Option<i64>,
}

/// Create a key of `kind`, store its hash, and return the record with the full key. The key is
/// shown once; it cannot be recovered later.
pub async fn create(
    vault: &Vault,
    kind: KeyKind,
    name: &str,
    grant: Grant,
) -> Result<(ApiKeyRecord, SecretString), KeyError> {
    let mut id_bytes = [0u8; ID_HEX / 2];
    let mut secret_bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut id_bytes);
    rand::rng().fill_bytes(&mut secret_bytes);
    let id = hex::encode(id_bytes);
    let secret = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.encode(secret_bytes));
    let record = vault
        .principals()
        .insert_key(&NewKey {
            id: id.clone(),
            kind,
            name: name.to_string(),
            secret_hash: hash(&secret),
            packs: grant.packs,
            user_id: grant.user_id,
            parent_id: grant.parent_id,
            expires_at: grant.expires_at,
        })
        .await?;
    let full = SecretString::from(format!("lk_{}_{}_{}", kind.as_str(), id, secret.as_str()));
    Ok((record, full))
}

/// Check a presented key against the kinds this endpoint accepts. An agent key never passes
/// as an admin key; a session passes only before it expires and while its agent key lives.
pub async fn verify(
    vault: &Vault,
    presented: &SecretString,
    accepted: &[KeyKind],
) -> Result<ApiKeyRecord, KeyError> {
    let parsed = parse(presented.expose_secret())?;
    let presented_hash = hash(parsed.secret);
    let record = vault.principals().get_key(parsed.id).await?;
    let Some(record) = record else {
        // Compare anyway so an unknown id costs the same as a wrong secret.
        let _ = presented_hash.ct_eq(&[0u8; 32]);
        return Err(KeyError::Rejected);
    };
    let matches: bool = presented_hash.ct_eq(&record.secret_hash).into();
    if !matches
        || record.revoked_at.is_some()
        || record.kind != parsed.kind
        || !accepted.contains(&record.kind)
    {
        return Err(KeyError::Rejected);
    }
    if record.kind == KeyKind::Session {
        if record
            .expires_at
            .is_none_or(|e| e <= crate::clock::now_ms())
        {
            return Err(KeyError::Rejected);
        }
        let parent = match &record.parent_id {
            Some(p) => vault.principals().get_key(p).await?,
            None => None,
        };
        if !parent.is_some_and(|p| p.kind == KeyKind::Agent && p.revoked_at.is_none()) {
            return Err(KeyError::Rejected);
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MasterKey;

    #[tokio::test]
    async fn keys_verify_only_as_their_own_kind_and_until_revoked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let backend = crate::vault::sqlite::SqliteBackend::open_shared(
            &dir.path().join("db"),
            crate::vault::sqlite::SqliteOptions {
                max_size_bytes: 0,
                plugin_dir: dir.path().join("plugin-state"),
            },
        )
        .await
        .expect("open");
        let vault = Vault::open(backend, MasterKey::generate())
            .await
            .expect("unlock");
        let (agent, agent_key) = create(&vault, KeyKind::Agent, "bot", Grant::default())
            .await
            .expect("create");
        let (_, admin_key) = create(&vault, KeyKind::Admin, "ops", Grant::default())
            .await
            .expect("create");

        assert_eq!(
            verify(&vault, &agent_key, &[KeyKind::Agent])
                .await
                .expect("ok")
                .id,
            agent.id
        );
        assert!(matches!(
            verify(&vault, &agent_key, &[KeyKind::Admin]).await,
            Err(KeyError::Rejected)
        ));
        assert!(verify(&vault, &admin_key, &[KeyKind::Admin]).await.is_ok());

        // One changed character in the secret part.
        let mut forged = agent_key.expose_secret().to_string();
        let last = forged.pop().expect("non-empty");
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(matches!(
            verify(&vault, &SecretString::from(forged), &[KeyKind::Agent]).await,
            Err(KeyError::Rejected)
        ));

        for junk in [
            "",
            "Bearer x",
            "lk_agent_",
            "lk_agent_zzzzzzzzzzzzzzzz_abc",
            "lk_root_0123456789abcdef_x",
        ] {
            assert!(matches!(
                verify(&vault, &SecretString::from(junk), &[KeyKind::Agent]).await,
                Err(KeyError::Malformed)
            ));
        }

        assert!(
            vault
                .principals()
                .revoke_key(&agent.id)
                .await
                .expect("revoke")
        );
        assert!(matches!(
            verify(&vault, &agent_key, &[KeyKind::Agent]).await,
            Err(KeyError::Rejected)
        ));
    }

    #[test]
    fn debug_of_a_created_key_hides_it() {
        let key = SecretString::from("lk_agent_0011223344556677_secretsecret");
        assert!(!format!("{key:?}").contains("secretsecret"));
    }
}
