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

/// A call's credentials: the main one, and any named extra tokens (Slack's user token).
#[derive(Debug)]
pub struct CallCredentials {
    pub primary: Credential,
    pub named: Vec<(String, Credential)>,
}

impl CallCredentials {
    /// The credential a request asks for: the main one, or a named one.
    pub fn pick(&self, name: Option<&str>) -> Option<&Credential> {
        match name {
            None => Some(&self.primary),
            Some(n) => self.named.iter().find(|(k, _)| k == n).map(|(_, c)| c),
        }
    }
}

/// Every credential of `connection`, placed as the manifest's matching scheme says.
pub async fn for_connection(
    vault: &Vault,
    manifest: &Manifest,
    connection: &ConnectionRecord,
) -> Result<CallCredentials, CredentialError> {
    let primary = primary(vault, manifest, connection).await?;
    let mut named = Vec::new();
    if connection.scheme == SchemeKind::Oauth2
        && let Some(json) = vault
            .connections()
            .read_secret(&connection.id, SecretField::ExtraTokens)
            .await?
    {
        let placement = manifest
            .auth
            .iter()
            .find_map(|s| match s {
                AuthScheme::Oauth2(o) => Some(o.placement.clone()),
                _ => None,
            })
            .unwrap_or(Placement::Bearer);
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(secrecy::ExposeSecret::expose_secret(&json))
                .map_err(|_| CredentialError::Missing("readable extra tokens"))?;
        for (name, token) in map {
            if let Some(t) = token.as_str() {
                named.push((
                    name,
                    place(&placement, secrecy::SecretString::from(t.to_string()), None),
                ));
            }
        }
    }
    Ok(CallCredentials { primary, named })
}

async fn primary(
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
                .connections()
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
                .connections()
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
                .connections()
                .read_secret(&connection.id, SecretField::AccessToken)
                .await?
                .ok_or(CredentialError::Missing("access token"))?;
            Ok(place(&placement, secret, username))
        }
    }
}
