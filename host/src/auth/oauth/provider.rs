//! Everything needed to talk OAuth to one connector's provider: the connector's declared
//! scheme plus the operator's client (id, secret, scope and issuer overrides).

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, RedirectUrl,
    RevocationUrl, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use crate::app::App;
use crate::plugin::{AuthScheme, LoadedPlugin, OAuth2Scheme, TokenEndpointAuth};
use crate::vault::VaultError;
use crate::vault::catalog::ProviderConfig;

/// Why OAuth cannot be used for a connector.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("connector {0} does not support OAuth")]
    NoOAuth(String),
    #[error(
        "no OAuth client is configured for {0}: the operator must add one (PUT /v1/admin/providers/{0})"
    )]
    NotConfigured(String),
    #[error("the OAuth endpoints of {connector} are invalid: {reason}")]
    BadEndpoint { connector: String, reason: String },
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// The `oauth2` client type we use: every endpoint optional, checked at use.
pub type Client = BasicClient<
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A connector's OAuth setup, resolved.
pub struct Resolved {
    pub connector_id: String,
    pub scheme: OAuth2Scheme,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// What to ask for when nothing narrower is requested.
    pub default_scopes: Vec<String>,
    pub issuer: Option<String>,
}

impl Resolved {
    /// The separator the provider uses between scopes.
    pub fn separator(&self) -> &str {
        self.scheme.scope_separator.as_deref().unwrap_or(" ")
    }

    /// The gateway's HTTP client for this provider's token endpoint (through egress).
    pub fn token_http<'a>(
        &self,
        egress: &'a crate::egress::Egress,
    ) -> Result<super::http::TokenHttp<'a>, ProviderError> {
        super::http::TokenHttp::new(
            egress,
            &[&self.scheme.token_url],
            self.scheme.token_response.clone(),
            self.separator(),
        )
        .map_err(|reason| ProviderError::BadEndpoint {
            connector: self.connector_id.clone(),
            reason,
        })
    }

    /// An `oauth2` client for this provider, with `redirect_uri` when given.
    pub fn client(&self, redirect_uri: Option<&str>) -> Result<Client, ProviderError> {
        let bad = |reason: String| ProviderError::BadEndpoint {
            connector: self.connector_id.clone(),
            reason,
        };
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri_option(Some(
                AuthUrl::new(self.scheme.authorize_url.clone()).map_err(|e| bad(e.to_string()))?,
            ))
            .set_token_uri_option(Some(
                TokenUrl::new(self.scheme.token_url.clone()).map_err(|e| bad(e.to_string()))?,
            ))
            .set_revocation_url_option(
                self.scheme
                    .revoke_url
                    .clone()
                    .map(RevocationUrl::new)
                    .transpose()
                    .map_err(|e| bad(e.to_string()))?,
            )
            .set_auth_type(match self.scheme.token_endpoint_auth {
                TokenEndpointAuth::ClientSecretBasic => AuthType::BasicAuth,
                TokenEndpointAuth::ClientSecretPost | TokenEndpointAuth::None => {
                    AuthType::RequestBody
                }
            });
        if let Some(secret) = &self.client_secret
            && self.scheme.token_endpoint_auth != TokenEndpointAuth::None
        {
            client =
                client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
        }
        if let Some(uri) = redirect_uri {
            client = client.set_redirect_uri(
                RedirectUrl::new(uri.to_string()).map_err(|e| bad(e.to_string()))?,
            );
        }
        Ok(client)
    }
}

/// The connector's OAuth scheme, if it declares one.
pub fn scheme_of(plugin: &LoadedPlugin) -> Option<&OAuth2Scheme> {
    plugin.manifest.auth.iter().find_map(|s| match s {
        AuthScheme::Oauth2(o) => Some(o.as_ref()),
        _ => None,
    })
}

/// Load the operator's config for `plugin` and combine it with the declared scheme.
pub async fn resolve(app: &App, plugin: &LoadedPlugin) -> Result<Resolved, ProviderError> {
    let id = plugin.manifest.id.clone();
    let scheme = scheme_of(plugin)
        .ok_or_else(|| ProviderError::NoOAuth(id.clone()))?
        .clone();
    let config: Option<ProviderConfig> = app.vault.catalog().get_provider(&id).await?;
    let config = config.ok_or_else(|| ProviderError::NotConfigured(id.clone()))?;
    Ok(Resolved {
        default_scopes: config
            .scopes
            .clone()
            .unwrap_or_else(|| scheme.default_scopes.clone()),
        issuer: config.issuer.clone().or_else(|| scheme.issuer.clone()),
        connector_id: id,
        scheme,
        client_id: config.client_id,
        client_secret: config.client_secret,
    })
}
