//! Who plays a connector's provider in a check: the fake provider's realistic app for a
//! bundled connector (see [`super::bundled`]), or its generic app for any other, which every
//! origin the connector declares (OAuth endpoints and allowed hosts) is routed to.
//!
//! The kit drives the provider through controls only a test double has (fault injection, its
//! clock, revoking a user's grants, removing a scope). A staging provider would plug in here
//! with fewer [`Capabilities`]: the scenarios that need a missing control are skipped and
//! say so (see the README's "staging providers").

use std::collections::BTreeMap;

use fake_provider::oauth::keys;
use fake_provider::{
    App, ClientAuth, Consent, ConsentGrant, FakeProvider, OauthClient, RunningFake, ServiceAccount,
};
use serde_json::{Value, json};

use super::CheckError;
use super::bundled::{self, Bundled};
use super::sample::Vars;
use super::scenario_file::{ConnectorScenarios, ScenarioFile};
use latchkey::egress::{HostPattern, Origin};
use latchkey::plugin::{
    AuthScheme, Manifest, OAuth2Scheme, ServiceAccountKind, ServiceAccountScheme, TokenEndpointAuth,
};

/// The name of the person signed in at the fake provider during a check.
pub const PERSON: &str = "Kit Tester";
/// The OAuth client the gateway is registered as.
pub const CLIENT_ID: &str = "latchkey-check";
const CLIENT_SECRET: &str = "latchkey-check-secret";

/// What the kit may do to the provider.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// Inject token-endpoint faults (`invalid_grant`, 429).
    pub faults: bool,
    /// Move the provider's clock (expire tokens, skew).
    pub clock: bool,
    /// Revoke grants and keys, remove scopes.
    pub revoke: bool,
}

/// The fake provider, set up for one connector.
pub struct Upstream {
    pub fake: RunningFake,
    /// The fake app behind the connector's OAuth scheme.
    pub app: Option<App>,
    /// `github`, `generic`…
    pub provider: String,
    /// Egress overrides for the gateway.
    pub overrides: BTreeMap<String, String>,
    /// What could not be routed (wildcard hosts), for the report.
    pub notes: Vec<String>,
    bundled: Option<Bundled>,
    keys: std::sync::atomic::AtomicU32,
}

fn origin_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

/// Every concrete origin and every host pattern the manifest names.
fn declared(manifest: &Manifest) -> (Vec<String>, Vec<String>) {
    let mut origins = Vec::new();
    for scheme in &manifest.auth {
        match scheme {
            AuthScheme::Oauth2(o) => {
                origins.extend(
                    [
                        Some(&o.authorize_url),
                        Some(&o.token_url),
                        o.revoke_url.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .filter_map(|u| origin_of(u)),
                );
            }
            AuthScheme::ServiceAccount(s) => origins.extend(origin_of(&s.token_url)),
            AuthScheme::ApiKey(_) | AuthScheme::Basic(_) => {}
        }
    }
    (origins, manifest.allowed_hosts.clone())
}

/// Whether `pattern` (an allowed host) is matched by one of `origins`.
fn pattern_covered(pattern: &str, origins: &[String]) -> bool {
    let Ok(p) = pattern.parse::<HostPattern>() else {
        return false;
    };
    origins.iter().any(|o| {
        url::Url::parse(o)
            .ok()
            .and_then(|u| Origin::of(&u))
            .is_some_and(|origin| p.matches(&origin))
    })
}

/// The bundled mapping for `manifest`, if its id is bundled and every origin it declares is
/// one the mapping routes.
fn bundled_for(manifest: &Manifest) -> Option<Bundled> {
    let b = bundled::all().into_iter().find(|b| b.id == manifest.id)?;
    let mapped: Vec<String> = b.origins.keys().cloned().collect();
    let (origins, hosts) = declared(manifest);
    let covered = origins.iter().all(|o| mapped.contains(o))
        && hosts.iter().all(|h| pattern_covered(h, &mapped));
    covered.then_some(b)
}

/// The path segment under `/generic` for an origin.
fn generic_key(origin: &str) -> String {
    match url::Url::parse(origin) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("host").to_string();
            let port = u.port().map(|p| format!("_{p}")).unwrap_or_default();
            let scheme = if u.scheme() == "http" { "_http" } else { "" };
            format!("{host}{port}{scheme}")
        }
        Err(_) => "host".into(),
    }
}

impl Upstream {
    /// Start a fake provider and set it up for `manifest`.
    pub async fn start(
        manifest: &Manifest,
        scenarios: &ConnectorScenarios,
    ) -> Result<Upstream, CheckError> {
        let fake = FakeProvider::start("127.0.0.1:0")
            .await
            .map_err(|e| CheckError::Setup(format!("cannot start the fake provider: {e}")))?;
        let base = fake.base_url();
        let mut overrides = BTreeMap::new();
        let mut notes = Vec::new();
        let bundled = bundled_for(manifest);
        let (app, provider) = match &bundled {
            Some(b) => {
                for (origin, prefix) in &b.origins {
                    overrides.insert(origin.clone(), format!("{base}{prefix}"));
                }
                if let (Some(app), Some(settings)) = (b.app, &b.settings) {
                    fake.oauth().update_settings(app, settings.clone());
                }
                (b.app, b.id.clone())
            }
            None => {
                let (mut origins, hosts) = declared(manifest);
                origins.extend(scenarios.origins.iter().cloned());
                for host in &hosts {
                    if host.contains('*') {
                        if !pattern_covered(host, &origins) {
                            notes.push(format!(
                                "allowed host {host} is a wildcard: requests to it are not routed to the fake provider (name a concrete origin with `origins = [...]` in a scenario file)"
                            ));
                        }
                    } else if let Some(o) = origin_of(host) {
                        origins.push(o);
                    }
                }
                for origin in origins {
                    let target = format!("{base}/generic/{}", generic_key(&origin));
                    overrides.insert(origin, target);
                }
                for canned in &scenarios.responses {
                    fake.generic().add_response(canned.clone());
                }
                let app = manifest
                    .auth
                    .iter()
                    .any(|s| matches!(s, AuthScheme::Oauth2(_)))
                    .then_some(App::Generic);
                (app, "generic".to_string())
            }
        };
        if let Some(app) = app {
            fake.oauth().set_consent(
                app,
                Consent {
                    user: PERSON.into(),
                    grant: ConsentGrant::All,
                    page: false,
                },
            );
        }
        Ok(Upstream {
            fake,
            app,
            provider,
            overrides,
            notes,
            bundled,
            keys: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// What the kit may do to this provider (a fake: everything).
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            faults: true,
            clock: true,
            revoke: true,
        }
    }

    /// The built-in samples and sequences of a bundled connector (from its `kit.toml`).
    pub fn builtin_samples(&self) -> Option<&ScenarioFile> {
        self.bundled.as_ref().map(|b| &b.samples)
    }

    /// Variables every input may use.
    pub fn base_vars(&self, user: &str) -> Vars {
        let login = PERSON.to_lowercase().replace(' ', "-");
        [
            ("user".to_string(), json!(user)),
            ("name".to_string(), json!(PERSON)),
            ("email".to_string(), json!(format!("{login}@example.com"))),
            ("login".to_string(), json!(login)),
        ]
        .into()
    }

    /// Variables of an OAuth connection of `user`.
    pub fn oauth_vars(&self, user: &str) -> Vars {
        let mut vars = self.base_vars(user);
        if let Some(b) = &self.bundled {
            vars.extend(b.oauth_vars(&self.fake, PERSON));
        }
        vars
    }

    /// A new API key the provider accepts, and the variables of a connection with it.
    pub fn new_api_key(&self, user: &str) -> (String, Vars) {
        let n = self.keys.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let key = format!("kit_key_{n}_{:032x}", rand::random::<u128>());
        let mut vars = self.base_vars(user);
        match self
            .bundled
            .as_ref()
            .and_then(|b| b.api_key_vars(&self.fake, &key, PERSON))
        {
            Some(seeded) => vars.extend(seeded),
            None => self.fake.generic().add_api_key(&key),
        }
        (key, vars)
    }

    /// The key's owner revokes it at the provider.
    pub fn revoke_api_key(&self, key: &str) {
        if !self.fake.revoke_app_key(key) {
            self.fake.generic().revoke_api_key(key);
        }
    }

    /// Register the gateway at `redirect_uri` as an OAuth client of the app; returns the
    /// client id and secret to configure in the gateway.
    pub fn register_client(
        &self,
        scheme: &OAuth2Scheme,
        redirect_uri: &str,
    ) -> Result<(String, Option<String>), CheckError> {
        let Some(app) = self.app else {
            return Err(CheckError::Setup("the connector has no OAuth app".into()));
        };
        let auth = match (&self.bundled, scheme.token_endpoint_auth) {
            (Some(b), _) => b.client_auth,
            (None, TokenEndpointAuth::ClientSecretBasic) => ClientAuth::Basic,
            (None, TokenEndpointAuth::ClientSecretPost) => ClientAuth::Post,
            (None, TokenEndpointAuth::None) => ClientAuth::None,
        };
        let secret = (auth != ClientAuth::None).then(|| CLIENT_SECRET.to_string());
        self.fake
            .oauth()
            .register_client(OauthClient {
                app,
                client_id: CLIENT_ID.into(),
                client_secret: secret.clone(),
                redirect_uris: vec![redirect_uri.to_string()],
                auth_method: Some(auth),
                allowed_scopes: None,
                require_pkce: true,
            })
            .map_err(|e| CheckError::Setup(format!("registering the OAuth client: {e}")))?;
        Ok((CLIENT_ID.into(), secret))
    }

    /// Register a service account for `scheme` and return the credential the operator stores
    /// (`POST /v1/admin/connections`), and the fake app that serves its tokens.
    pub fn service_account(
        &self,
        scheme: &ServiceAccountScheme,
    ) -> Result<(Value, App), CheckError> {
        let app = match &self.bundled {
            Some(b) => b.app.unwrap_or(App::Generic),
            None => App::Generic,
        };
        match scheme.kind {
            ServiceAccountKind::JwtBearer => {
                let email = "kit-reader@latchkey-check.iam.gserviceaccount.com";
                self.fake
                    .oauth()
                    .add_service_account(ServiceAccount {
                        app,
                        client_email: email.into(),
                        public_key_pem: keys::SERVICE_ACCOUNT_PUBLIC_KEY.into(),
                        allowed_scopes: None,
                        audience: Some(
                            scheme
                                .audience
                                .clone()
                                .unwrap_or_else(|| scheme.token_url.clone()),
                        ),
                        allow_subject: false,
                    })
                    .map_err(|e| CheckError::Setup(format!("service account: {e}")))?;
                Ok((
                    json!({"type": "service_account", "client_email": email,
                           "private_key": keys::SERVICE_ACCOUNT_PRIVATE_KEY}),
                    app,
                ))
            }
            ServiceAccountKind::ClientCredentials => {
                let (id, secret) = ("kit-service", "kit-service-secret");
                self.fake
                    .oauth()
                    .register_client(OauthClient {
                        app,
                        client_id: id.into(),
                        client_secret: Some(secret.into()),
                        redirect_uris: Vec::new(),
                        auth_method: Some(ClientAuth::Basic),
                        allowed_scopes: None,
                        require_pkce: true,
                    })
                    .map_err(|e| CheckError::Setup(format!("service client: {e}")))?;
                Ok((
                    json!({"type": "client_credentials", "client_id": id, "client_secret": secret}),
                    app,
                ))
            }
        }
    }

    /// Stop the fake provider.
    pub async fn shutdown(self) {
        let _ = self.fake.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_keys_and_coverage() {
        assert_eq!(generic_key("https://api.acme.test"), "api.acme.test");
        assert_eq!(
            generic_key("http://api.acme.test:8080"),
            "api.acme.test_8080_http"
        );
        assert!(pattern_covered(
            "https://*.my.salesforce.com",
            &["https://acme.my.salesforce.com".into()]
        ));
        assert!(!pattern_covered(
            "https://*.atlassian.net",
            &["https://api.atlassian.com".into()]
        ));
    }
}
