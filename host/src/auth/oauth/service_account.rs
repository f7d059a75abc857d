//! Service accounts: tokens without a user present, by RFC 7523 JWT bearer (the host signs the
//! assertion) or RFC 6749 client credentials. No refresh token: a new grant on expiry.

use oauth2::basic::{BasicErrorResponse, BasicTokenResponse};
use oauth2::http::{HeaderValue, Method, Request};
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenUrl};
use secrecy::ExposeSecret;

use super::error::{TokenError, classify};
use super::http::TokenHttp;
use super::jwt::{self, Claims};
use super::provider::ProviderError;
use super::refresh::Failure;
use super::tokens::{TokenSet, received_now};
use crate::app::App;
use crate::health::Reason;
use crate::plugin::{
    AuthScheme, LoadedPlugin, ServiceAccountKind, ServiceAccountScheme, TokenResponseShape,
};
use crate::vault::{ConnectionRecord, SecretField};

fn scheme_of(plugin: &LoadedPlugin) -> Option<&ServiceAccountScheme> {
    plugin.manifest.auth.iter().find_map(|s| match s {
        AuthScheme::ServiceAccount(a) => Some(a),
        _ => None,
    })
}

fn bad(plugin: &LoadedPlugin, reason: impl Into<String>) -> Failure {
    Failure::Provider(ProviderError::BadEndpoint {
        connector: plugin.manifest.id.clone(),
        reason: reason.into(),
    })
}

/// Scopes to ask for: the connection's recorded grant when set, else the connector's.
fn scopes(scheme: &ServiceAccountScheme, current: &ConnectionRecord) -> Vec<String> {
    if current.granted_scopes.is_empty() {
        scheme.scopes.clone()
    } else {
        current.granted_scopes.clone()
    }
}

/// Get a new access token for a service-account connection.
pub async fn fetch(
    app: &App,
    plugin: &LoadedPlugin,
    current: &ConnectionRecord,
) -> Result<(TokenSet, i64), Failure> {
    let scheme = scheme_of(plugin).ok_or_else(|| {
        Failure::Reauth(
            Reason::Revoked,
            "the connector no longer accepts service accounts".into(),
        )
    })?;
    let http = TokenHttp::new(
        &app.egress,
        &[&scheme.token_url],
        TokenResponseShape::default(),
        " ",
    )
    .map_err(|r| bad(plugin, r))?;
    let scopes = scopes(scheme, current);
    let response = match scheme.kind {
        ServiceAccountKind::JwtBearer => {
            let key = app
                .vault
                .connections()
                .read_secret(&current.id, SecretField::PrivateKey)
                .await?
                .ok_or_else(|| {
                    Failure::Reauth(
                        Reason::Revoked,
                        "the service account has no private key".into(),
                    )
                })?;
            let issuer = current
                .metadata
                .get("client_email")
                .cloned()
                .ok_or_else(|| {
                    Failure::Reauth(
                        Reason::Revoked,
                        "the service account has no client_email".into(),
                    )
                })?;
            let claims = Claims {
                issuer,
                audience: scheme
                    .audience
                    .clone()
                    .unwrap_or_else(|| scheme.token_url.clone()),
                scope: scopes.join(" "),
                subject: current.metadata.get("subject").cloned(),
                issued_at: crate::clock::now_ms() / 1000,
            };
            let assertion = jwt::assertion(&key, &claims)
                .map_err(|e| Failure::Reauth(Reason::Revoked, e.to_string()))?;
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                .append_pair("assertion", assertion.expose_secret())
                .finish();
            let request = Request::builder()
                .method(Method::POST)
                .uri(&scheme.token_url)
                .header(
                    "content-type",
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .header("accept", HeaderValue::from_static("application/json"))
                .body(body.into_bytes())
                .map_err(|e| bad(plugin, e.to_string()))?;
            post(&http, request).await
        }
        ServiceAccountKind::ClientCredentials => {
            let client_id = current.metadata.get("client_id").cloned().ok_or_else(|| {
                Failure::Reauth(
                    Reason::Revoked,
                    "the service account has no client_id".into(),
                )
            })?;
            let secret = app
                .vault
                .connections()
                .read_secret(&current.id, SecretField::ClientSecret)
                .await?
                .ok_or_else(|| {
                    Failure::Reauth(
                        Reason::Revoked,
                        "the service account has no client secret".into(),
                    )
                })?;
            let client = oauth2::basic::BasicClient::new(ClientId::new(client_id))
                .set_client_secret(ClientSecret::new(secret.expose_secret().to_string()))
                .set_token_uri(
                    TokenUrl::new(scheme.token_url.clone())
                        .map_err(|e| bad(plugin, e.to_string()))?,
                )
                .set_auth_type(AuthType::BasicAuth);
            client
                .exchange_client_credentials()
                .add_scopes(scopes.iter().cloned().map(Scope::new))
                .request_async(&http)
                .await
                .map_err(|e| classify(e, &http.observed()))
        }
    };
    let received = received_now();
    match response {
        Ok(r) => Ok((TokenSet::from_response(&r, &http.observed()), received)),
        Err(e) => Err(Failure::Token(e)),
    }
}

/// POST a prepared token request and parse it as `oauth2` would.
async fn post(
    http: &TokenHttp<'_>,
    request: oauth2::HttpRequest,
) -> Result<BasicTokenResponse, TokenError> {
    let response = match http.call(request).await {
        Ok(r) => r,
        Err(e) => return Err(classify(RequestTokenError::Request(e), &http.observed())),
    };
    if response.status().is_success() {
        return serde_json::from_slice::<BasicTokenResponse>(response.body())
            .map_err(|e| TokenError::Malformed(e.to_string()));
    }
    let err = match serde_json::from_slice::<BasicErrorResponse>(response.body()) {
        Ok(parsed) => RequestTokenError::ServerResponse(parsed),
        Err(_) => RequestTokenError::Other(format!("HTTP {}", response.status())),
    };
    Err(classify(err, &http.observed()))
}
