//! From a stored connection to the credential egress injects, per the connector's declared
//! scheme. The plugin never sees the result.

use crate::egress::Credential;
use crate::plugin::{AuthScheme, Manifest, Placement};
use crate::vault::{ConnectionRecord, SchemeKind, SecretField, Vault, VaultError};

/// Why no credential could be built for a connection.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("the connector no longer accepts {0} credentials")]
    SchemeWithdrawn(&'static str),
    #[error("the connection has no stored {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Where a secret goes, per a declared placement.
pub fn place(
    placement: &Placement,
    secret: secrecy::SecretString,
    username: Option<&str>,
) -> Credential {
    match placement {
        Placement::Bearer => Credential::Bearer(secret),
        Placement::Header { name, prefix } => Credential::Header {
            name: name.clone(),
            prefix: prefix.clone(),
            secret,
        },
        Placement::Query { name } => Credential::Query {
            name: name.clone(),
            secret,
        },
        Placement::Basic => Credential::Basic {
            username: username.unwrap_or_default().to_string(),
            password: secret,
        },
    }
}

/// The credential for `connection`, placed as the manifest's matching scheme says.
pub async fn for_connection(
    vault: &Vault,
    manifest: &Manifest,
    connection: &ConnectionRecord,
) -> Result<Credential, CredentialError> {
    let username = connection.metadata.get("username").map(String::as_str);
    match connection.scheme {
        SchemeKind::ApiKey => {
            let placement = manifest
                .auth
                .iter()
                .find_map(|s| match s {
                    AuthScheme::ApiKey(k) => Some(k.placement.clone()),
                    _ => None,
                })
                .ok_or(CredentialError::SchemeWithdrawn("api_key"))?;
            let secret = vault
                .read_secret(&connection.id, SecretField::ApiKey)
                .await?
                .ok_or(CredentialError::Missing("api key"))?;
            Ok(place(&placement, secret, username))
        }
        SchemeKind::Basic => {
            if !manifest
                .auth
                .iter()
                .any(|s| matches!(s, AuthScheme::Basic(_)))
            {
                return Err(CredentialError::SchemeWithdrawn("basic"));
            }
            let secret = vault
                .read_secret(&connection.id, SecretField::Password)
                .await?
                .ok_or(CredentialError::Missing("password"))?;
            Ok(place(&Placement::Basic, secret, username))
        }
        SchemeKind::Oauth2 | SchemeKind::ServiceAccount => {
            let placement = manifest
                .auth
                .iter()
                .find_map(|s| match (s, connection.scheme) {
                    (AuthScheme::Oauth2(o), SchemeKind::Oauth2) => Some(o.placement.clone()),
                    (AuthScheme::ServiceAccount(a), SchemeKind::ServiceAccount) => {
                        Some(a.placement.clone())
                    }
                    _ => None,
                })
                .ok_or(CredentialError::SchemeWithdrawn(connection.scheme.as_str()))?;
            let secret = vault
                .read_secret(&connection.id, SecretField::AccessToken)
                .await?
                .ok_or(CredentialError::Missing("access token"))?;
            Ok(place(&placement, secret, username))
        }
    }
}
