//! Constructors for the auth schemes a connector declares, with the usual defaults.

pub use crate::bindings::latchkey::connector::types::{
    ApiKeyScheme, AuthScheme, BasicScheme, HeaderPlacement, Oauth2Scheme, Placement,
    ServiceAccountKind, ServiceAccountScheme, TokenEndpointAuth, TokenResponseShape,
};

impl Placement {
    /// `<name>: <prefix><secret>`, e.g. `Placement::header("Authorization", "")` for Linear.
    pub fn header(name: &str, prefix: &str) -> Self {
        Placement::Header(HeaderPlacement {
            name: name.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl ApiKeyScheme {
    /// A pasted key sent as `Authorization: Bearer <key>`; `label` is what the user is asked for.
    pub fn bearer(label: &str) -> Self {
        Self::new(label, Placement::Bearer)
    }

    /// A pasted key sent as `<name>: <prefix><key>`.
    pub fn header(label: &str, name: &str, prefix: &str) -> Self {
        Self::new(label, Placement::header(name, prefix))
    }

    /// A pasted key sent as the query parameter `?<name>=<key>`.
    pub fn query(label: &str, name: &str) -> Self {
        Self::new(label, Placement::Query(name.to_owned()))
    }

    /// A pasted key placed as `placement` says.
    pub fn new(label: &str, placement: Placement) -> Self {
        ApiKeyScheme {
            label: label.to_owned(),
            placement,
        }
    }
}

impl BasicScheme {
    /// HTTP Basic; the labels name the two fields on the connect page.
    pub fn new(username_label: &str, password_label: &str) -> Self {
        BasicScheme {
            username_label: username_label.to_owned(),
            password_label: password_label.to_owned(),
        }
    }
}

impl Oauth2Scheme {
    /// Authorization code + PKCE with RFC 6749 defaults: no scopes, space-separated,
    /// `client_secret_basic`, standard token response, bearer placement. URLs of an app every
    /// customer runs at their own address start with `{base}` (`"{base}/oauth/authorize"`):
    /// the gateway fills in the operator's base URL or the issuer's published endpoints.
    pub fn new(authorize_url: &str, token_url: &str) -> Self {
        Oauth2Scheme {
            authorize_url: authorize_url.to_owned(),
            token_url: token_url.to_owned(),
            revoke_url: None,
            issuer: None,
            default_scopes: Vec::new(),
            scope_separator: None,
            extra_authorize_params: Vec::new(),
            include_granted_scopes: false,
            scope_params: Vec::new(),
            base_scopes: Vec::new(),
            token_endpoint_auth: TokenEndpointAuth::ClientSecretBasic,
            token_response: TokenResponseShape::default(),
            placement: Placement::Bearer,
        }
    }

    /// Scopes always asked for on top of the tools' (e.g. `offline_access`, `openid`).
    pub fn base_scopes(mut self, scopes: &[&str]) -> Self {
        self.base_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Scopes asked for when no tool narrows them.
    pub fn default_scopes(mut self, scopes: &[&str]) -> Self {
        self.default_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// The RFC 7009 endpoint called when a connection is deleted.
    pub fn revoke_url(mut self, url: &str) -> Self {
        self.revoke_url = Some(url.to_owned());
        self
    }

    /// The expected `iss` of authorization responses (RFC 9207).
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// Scope separator when it is not a space (Slack: `,`).
    pub fn scope_separator(mut self, separator: &str) -> Self {
        self.scope_separator = Some(separator.to_owned());
        self
    }

    /// An extra authorize-request parameter, e.g. `owner=user` for Notion.
    pub fn extra_authorize_param(mut self, name: &str, value: &str) -> Self {
        self.extra_authorize_params
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// Send scopes starting with `prefix` (prefix removed) in the authorize parameter `param`,
    /// e.g. Slack's user scopes: `.scope_param("user:", "user_scope")`.
    pub fn scope_param(mut self, prefix: &str, param: &str) -> Self {
        self.scope_params
            .push((prefix.to_owned(), param.to_owned()));
        self
    }

    /// Ask the provider to keep earlier grants (`include_granted_scopes=true`).
    pub fn include_granted_scopes(mut self) -> Self {
        self.include_granted_scopes = true;
        self
    }

    /// How the client authenticates at the token endpoint.
    pub fn token_endpoint_auth(mut self, method: TokenEndpointAuth) -> Self {
        self.token_endpoint_auth = method;
        self
    }

    /// Where the token response keeps its fields, for providers that bend RFC 6749.
    pub fn token_response(mut self, shape: TokenResponseShape) -> Self {
        self.token_response = shape;
        self
    }

    /// Where the access token goes in requests (bearer unless set).
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }
}

impl Default for TokenResponseShape {
    /// Every field at its RFC 6749 place.
    fn default() -> Self {
        TokenResponseShape {
            access_token: None,
            refresh_token: None,
            expires_in: None,
            scope: None,
            error: None,
            error_aliases: Vec::new(),
            extra_tokens: Vec::new(),
            extra_scopes: Vec::new(),
        }
    }
}

impl ServiceAccountScheme {
    /// RFC 7523: the host signs a JWT assertion with the stored key and trades it at `token_url`.
    pub fn jwt_bearer(token_url: &str) -> Self {
        Self::new(ServiceAccountKind::JwtBearer, token_url)
    }

    /// RFC 6749 §4.4: the host trades the stored client id and secret at `token_url`.
    pub fn client_credentials(token_url: &str) -> Self {
        Self::new(ServiceAccountKind::ClientCredentials, token_url)
    }

    fn new(kind: ServiceAccountKind, token_url: &str) -> Self {
        ServiceAccountScheme {
            kind,
            token_url: token_url.to_owned(),
            scopes: Vec::new(),
            audience: None,
            placement: Placement::Bearer,
        }
    }

    /// Scopes requested for the token.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// The assertion's `aud`, when it is not the token URL.
    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.to_owned());
        self
    }

    /// Where the access token goes in requests (bearer unless set).
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }
}

impl From<Oauth2Scheme> for AuthScheme {
    fn from(scheme: Oauth2Scheme) -> Self {
        AuthScheme::Oauth2(scheme)
    }
}

impl From<ApiKeyScheme> for AuthScheme {
    fn from(scheme: ApiKeyScheme) -> Self {
        AuthScheme::ApiKey(scheme)
    }
}

impl From<BasicScheme> for AuthScheme {
    fn from(scheme: BasicScheme) -> Self {
        AuthScheme::Basic(scheme)
    }
}

impl From<ServiceAccountScheme> for AuthScheme {
    fn from(scheme: ServiceAccountScheme) -> Self {
        AuthScheme::ServiceAccount(scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_placements() {
        assert_eq!(ApiKeyScheme::bearer("Key").placement, Placement::Bearer);
        assert_eq!(
            ApiKeyScheme::header("Personal API key", "Authorization", "").placement,
            Placement::Header(HeaderPlacement {
                name: "Authorization".into(),
                prefix: String::new()
            })
        );
        assert_eq!(
            ApiKeyScheme::query("Key", "api_key").placement,
            Placement::Query("api_key".into())
        );
    }

    #[test]
    fn oauth2_defaults_follow_rfc_6749() {
        let scheme = Oauth2Scheme::new("https://a/authorize", "https://a/token")
            .default_scopes(&["read"])
            .extra_authorize_param("owner", "user")
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretPost);
        assert_eq!(scheme.default_scopes, ["read".to_owned()]);
        assert_eq!(scheme.placement, Placement::Bearer);
        assert_eq!(
            scheme.token_endpoint_auth,
            TokenEndpointAuth::ClientSecretPost
        );
        assert_eq!(
            scheme.extra_authorize_params,
            [("owner".into(), "user".into())]
        );
        assert_eq!(scheme.token_response, TokenResponseShape::default());
        assert!(!scheme.include_granted_scopes);
        assert!(matches!(AuthScheme::from(scheme), AuthScheme::Oauth2(_)));
    }

    #[test]
    fn service_accounts() {
        let scheme = ServiceAccountScheme::jwt_bearer("https://oauth2.googleapis.com/token")
            .scopes(&["https://www.googleapis.com/auth/drive"]);
        assert_eq!(scheme.kind, ServiceAccountKind::JwtBearer);
        assert_eq!(scheme.audience, None);
        assert_eq!(
            ServiceAccountScheme::client_credentials("https://t").kind,
            ServiceAccountKind::ClientCredentials
        );
    }
}
