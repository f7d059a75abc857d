//! Registered OAuth clients and service accounts, and the checks made when registering them.

use serde::{Deserialize, Serialize};

use super::app::App;
use super::jwt;

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// HTTP Basic with the id and secret (`client_secret_basic`).
    #[serde(alias = "client_secret_basic")]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    #[serde(alias = "client_secret_post")]
    Post,
    /// A public client: `client_id` only, PKCE carries the proof.
    None,
}

/// An OAuth client (an "OAuth app" at the provider).
///
/// JSON (`POST /_fake/oauth/clients`): `{"app": "github", "client_id", "client_secret",
/// "redirect_uris": [...], "auth_method": "basic" | "post" | "none", "allowed_scopes": [...]
/// | null, "require_pkce": true}`; `auth_method` defaults to the app's usual one (Notion and
/// Slack: basic; GitHub, Google, Atlassian and Salesforce: post), `allowed_scopes` to any
/// (Slack's user scopes with their `user:` prefix), `require_pkce` to true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OauthClient {
    pub app: App,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Exact redirect URIs; the authorize request must use one of them byte for byte.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub auth_method: Option<ClientAuth>,
    /// Scopes the client may ask for; `None`: any.
    #[serde(default)]
    pub allowed_scopes: Option<Vec<String>>,
    /// Authorize requests must carry an S256 `code_challenge` (`plain` is always refused).
    #[serde(default = "yes")]
    pub require_pkce: bool,
}

fn yes() -> bool {
    true
}

/// A service account that trades RS256-signed JWT assertions (RFC 7523) for tokens.
///
/// JSON (`POST /_fake/oauth/service-accounts`): `{"app": "google", "client_email",
/// "public_key_pem", "allowed_scopes": [...] | null, "audience": null, "allow_subject": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccount {
    #[serde(default = "google")]
    pub app: App,
    /// The assertion's `iss`, e.g. `reader@project.iam.gserviceaccount.com`.
    pub client_email: String,
    /// SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
    pub public_key_pem: String,
    /// Scopes it may get; `None`: any.
    #[serde(default)]
    pub allowed_scopes: Option<Vec<String>>,
    /// An `aud` accepted besides the app's real token URL.
    #[serde(default)]
    pub audience: Option<String>,
    /// Whether it may act for another user with `sub` (domain-wide delegation).
    #[serde(default)]
    pub allow_subject: bool,
}

fn google() -> App {
    App::Google
}

/// Why a client or service account cannot be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("client_id must not be empty")]
    EmptyClientId,
    #[error("a client authenticating with `{0:?}` needs a client_secret")]
    MissingSecret(ClientAuth),
    #[error("redirect URI `{0}` is not an absolute http(s) URL without a fragment")]
    BadRedirectUri(String),
    #[error("client_email must not be empty")]
    EmptyEmail,
    #[error("the public key cannot be read: {0}")]
    BadKey(#[from] jwt::JwtError),
}

impl OauthClient {
    /// A confidential client of `app` with one redirect URI, authenticating the app's usual way.
    pub fn new(app: App, client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        OauthClient {
            app,
            client_id: client_id.to_owned(),
            client_secret: Some(client_secret.to_owned()),
            redirect_uris: vec![redirect_uri.to_owned()],
            auth_method: None,
            allowed_scopes: None,
            require_pkce: true,
        }
    }

    /// Authenticate this way at the token endpoint.
    pub fn auth_method(mut self, method: ClientAuth) -> Self {
        self.auth_method = Some(method);
        self
    }

    /// Only these scopes may be requested.
    pub fn allowed_scopes(mut self, scopes: &[&str]) -> Self {
        self.allowed_scopes = Some(scopes.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// Also accept this redirect URI.
    pub fn redirect_uri(mut self, uri: &str) -> Self {
        self.redirect_uris.push(uri.to_owned());
        self
    }

    /// Accept authorize requests without PKCE (never `plain`).
    pub fn without_pkce(mut self) -> Self {
        self.require_pkce = false;
        self
    }

    /// The method in force: the registered one, else the app's usual one.
    pub fn method(&self) -> ClientAuth {
        self.auth_method.unwrap_or(match self.app {
            // Slack takes both, and recommends Basic.
            App::Notion | App::Slack => ClientAuth::Basic,
            App::Github | App::Google | App::Atlassian | App::Salesforce | App::Generic => {
                ClientAuth::Post
            }
        })
    }

    /// Whether `scope` may be requested.
    pub fn allows(&self, scope: &str) -> bool {
        self.allowed_scopes
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|s| s == scope))
    }

    /// Checks the registration.
    pub fn validate(&self) -> Result<(), RegistrationError> {
        if self.client_id.is_empty() {
            return Err(RegistrationError::EmptyClientId);
        }
        let method = self.method();
        if method != ClientAuth::None && self.client_secret.as_deref().is_none_or(str::is_empty) {
            return Err(RegistrationError::MissingSecret(method));
        }
        for uri in &self.redirect_uris {
            let ok = url::Url::parse(uri)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.fragment().is_none());
            if !ok {
                return Err(RegistrationError::BadRedirectUri(uri.clone()));
            }
        }
        Ok(())
    }
}

impl ServiceAccount {
    /// A Google service account with this e-mail and public key.
    pub fn new(client_email: &str, public_key_pem: &str) -> Self {
        ServiceAccount {
            app: App::Google,
            client_email: client_email.to_owned(),
            public_key_pem: public_key_pem.to_owned(),
            allowed_scopes: None,
            audience: None,
            allow_subject: false,
        }
    }

    /// Only these scopes may be asked for.
    pub fn allowed_scopes(mut self, scopes: &[&str]) -> Self {
        self.allowed_scopes = Some(scopes.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// Checks the e-mail and that the key parses.
    pub fn validate(&self) -> Result<(), RegistrationError> {
        if self.client_email.is_empty() {
            return Err(RegistrationError::EmptyEmail);
        }
        jwt::public_key(&self.public_key_pem)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys;

    #[test]
    fn registration_checks() {
        let client = OauthClient::new(App::Github, "id", "secret", "http://127.0.0.1/cb");
        assert!(client.validate().is_ok());
        assert_eq!(client.method(), ClientAuth::Post);
        assert!(client.allows("anything"));
        let bad_uri = client.clone().redirect_uri("http://x/cb#frag");
        assert!(matches!(
            bad_uri.validate(),
            Err(RegistrationError::BadRedirectUri(_))
        ));
        let mut no_secret = client.clone().auth_method(ClientAuth::Basic);
        no_secret.client_secret = None;
        assert!(matches!(
            no_secret.validate(),
            Err(RegistrationError::MissingSecret(_))
        ));
        let public = OauthClient {
            client_secret: None,
            ..client.auth_method(ClientAuth::None)
        };
        assert!(public.validate().is_ok());
        assert!(
            ServiceAccount::new("a@b", keys::SERVICE_ACCOUNT_PUBLIC_KEY)
                .validate()
                .is_ok()
        );
        assert!(ServiceAccount::new("a@b", "nope").validate().is_err());
    }

    #[test]
    fn json_defaults() {
        let client: OauthClient = serde_json::from_value(serde_json::json!({
            "app": "notion", "client_id": "n", "client_secret": "s",
            "redirect_uris": ["http://localhost/cb"], "auth_method": "client_secret_basic"
        }))
        .unwrap();
        assert_eq!(client.method(), ClientAuth::Basic);
        assert!(client.require_pkce);
        assert_eq!(client.allowed_scopes, None);
    }
}
