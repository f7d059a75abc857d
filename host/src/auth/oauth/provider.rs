//! Everything needed to talk OAuth to one connector's provider: the connector's declared
//! scheme plus the operator's client (id, secret, scope and issuer overrides), the
//! deployment's base URL for connectors whose endpoints are per deployment (`{base}` in the
//! declared URLs), and the endpoints the authorization server publishes (RFC 8414 / OpenID
//! discovery) when an issuer is known.

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
    #[error(
        "{0}'s OAuth endpoints are per deployment: the operator must set its base URL ([connectors.{0}] base_url) or an issuer that publishes metadata"
    )]
    NoDeployment(String),
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

/// The placeholder a connector writes where its URLs depend on the deployment.
pub const BASE: &str = "{base}";

/// A connector's OAuth setup, resolved.
pub struct Resolved {
    pub connector_id: String,
    pub scheme: OAuth2Scheme,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// What to ask for when nothing narrower is requested.
    pub default_scopes: Vec<String>,
    pub issuer: Option<String>,
    /// The endpoints in force: declared (with `{base}` filled in), or discovered.
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
    /// RFC 9207: the server said it always sends `iss`, so a response without it is refused.
    pub iss_required: bool,
    /// Whether the endpoints depend on the deployment (a `{base}` URL, or an issuer the
    /// operator set): then the issuer's published endpoints replace the declared ones.
    pub deployment_endpoints: bool,
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
            &[&self.token_url],
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
                AuthUrl::new(self.authorize_url.clone()).map_err(|e| bad(e.to_string()))?,
            ))
            .set_token_uri_option(Some(
                TokenUrl::new(self.token_url.clone()).map_err(|e| bad(e.to_string()))?,
            ))
            .set_revocation_url_option(
                self.revoke_url
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

/// Whether the connector's OAuth endpoints depend on the deployment (`{base}` in a URL).
pub fn per_deployment(scheme: &OAuth2Scheme) -> bool {
    [Some(&scheme.authorize_url), Some(&scheme.token_url)]
        .into_iter()
        .chain([scheme.revoke_url.as_ref(), scheme.issuer.as_ref()])
        .flatten()
        .any(|u| u.contains(BASE))
}

/// `template` with `{base}` replaced by the deployment's base URL; `None` when it needs one
/// and none is configured.
fn fill(template: &str, base: Option<&str>) -> Option<String> {
    if !template.contains(BASE) {
        return Some(template.to_string());
    }
    base.map(|b| template.replace(BASE, b.trim_end_matches('/')))
}

/// The operator's config for `plugin` combined with the declared scheme, without any network
/// request: what a page needs to know whether OAuth is offered.
pub async fn resolve_config(app: &App, plugin: &LoadedPlugin) -> Result<Resolved, ProviderError> {
    let id = plugin.manifest.id.clone();
    let scheme = scheme_of(plugin)
        .ok_or_else(|| ProviderError::NoOAuth(id.clone()))?
        .clone();
    let config: Option<ProviderConfig> = app.vault.catalog().get_provider(&id).await?;
    let config = config.ok_or_else(|| ProviderError::NotConfigured(id.clone()))?;
    let base = app.config.base_url_for(&id);
    let issuer = match &config.issuer {
        Some(i) => Some(i.clone()),
        None => scheme.issuer.as_deref().and_then(|i| fill(i, base)),
    };
    let endpoints = (
        fill(&scheme.authorize_url, base),
        fill(&scheme.token_url, base),
        scheme.revoke_url.as_deref().map(|u| fill(u, base)),
    );
    let (authorize_url, token_url, revoke_url) = match endpoints {
        (Some(a), Some(t), None) => (a, t, None),
        (Some(a), Some(t), Some(Some(r))) => (a, t, Some(r)),
        // No base URL: only discovery can name the endpoints; until then they are unusable.
        _ if issuer.is_some() => (String::new(), String::new(), None),
        _ => return Err(ProviderError::NoDeployment(id)),
    };
    let deployment_endpoints = config.issuer.is_some() || per_deployment(&scheme);
    Ok(Resolved {
        default_scopes: config
            .scopes
            .clone()
            .unwrap_or_else(|| scheme.default_scopes.clone()),
        issuer,
        connector_id: id,
        scheme,
        client_id: config.client_id,
        client_secret: config.client_secret,
        authorize_url,
        token_url,
        revoke_url,
        iss_required: false,
        deployment_endpoints,
    })
}

/// [`resolve_config`], then what the issuer publishes (RFC 8414 or OpenID discovery, cached):
/// always its RFC 9207 promise, and its endpoints where they depend on the deployment. The
/// declared endpoints stay in force for fixed connectors, and wherever nothing usable is
/// published.
pub async fn resolve(app: &App, plugin: &LoadedPlugin) -> Result<Resolved, ProviderError> {
    let mut resolved = resolve_config(app, plugin).await?;
    if let Some(issuer) = resolved.issuer.clone() {
        match app.discovery.get(&app.egress, &issuer).await {
            Ok(metadata) if !resolved.deployment_endpoints => {
                resolved.iss_required = metadata.authorization_response_iss_parameter_supported;
            }
            Ok(metadata) => {
                if let Some(a) = metadata.authorization_endpoint {
                    resolved.authorize_url = a;
                }
                if let Some(t) = metadata.token_endpoint {
                    resolved.token_url = t;
                }
                if metadata.revocation_endpoint.is_some() {
                    resolved.revoke_url = metadata.revocation_endpoint;
                }
                resolved.iss_required = metadata.authorization_response_iss_parameter_supported;
            }
            Err(e) => {
                tracing::debug!(connector = %resolved.connector_id, %issuer, error = %e, "using the declared OAuth endpoints");
            }
        }
    }
    if resolved.authorize_url.is_empty() || resolved.token_url.is_empty() {
        return Err(ProviderError::NoDeployment(resolved.connector_id));
    }
    Ok(resolved)
}
