//! The connector contract in host-native Rust types. The rest of the host uses these, never
//! the generated bindings, so a WIT revision changes one module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bindings::latchkey::connector::{http as wit_http, log as wit_log, types as wit};

/// Where the host puts a credential in an outgoing request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Placement {
    Bearer,
    Header { name: String, prefix: String },
    Query { name: String },
    Basic,
}

/// How the gateway authenticates itself at a token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuth {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

/// JSON pointers to the fields of a token response, for providers that bend RFC 6749.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponseShape {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    /// Provider error code → RFC 6749 error code.
    pub error_aliases: Vec<(String, String)>,
    /// Named further tokens: (name, pointer).
    pub extra_tokens: Vec<(String, String)>,
    /// Further granted scopes: (prefix, pointer).
    pub extra_scopes: Vec<(String, String)>,
}

/// OAuth 2.0 authorization code with PKCE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2Scheme {
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
    pub issuer: Option<String>,
    pub default_scopes: Vec<String>,
    /// Always requested on top (protocol scopes such as `offline_access`).
    pub base_scopes: Vec<String>,
    pub scope_separator: Option<String>,
    pub extra_authorize_params: Vec<(String, String)>,
    pub include_granted_scopes: bool,
    /// Scope prefix → authorize parameter for scopes that go elsewhere (Slack's `user_scope`).
    pub scope_params: Vec<(String, String)>,
    pub token_endpoint_auth: TokenEndpointAuth,
    pub token_response: TokenResponseShape,
    pub placement: Placement,
}

/// A static secret pasted by a user or operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyScheme {
    pub label: String,
    pub placement: Placement,
}

/// Username and password with HTTP Basic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicScheme {
    pub username_label: String,
    pub password_label: String,
}

/// How a service account obtains tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAccountKind {
    JwtBearer,
    ClientCredentials,
}

/// Tokens without a user present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountScheme {
    pub kind: ServiceAccountKind,
    pub token_url: String,
    pub scopes: Vec<String>,
    pub audience: Option<String>,
    pub placement: Placement,
}

/// One of the ways a connector accepts to be authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuthScheme {
    Oauth2(Box<OAuth2Scheme>),
    ApiKey(ApiKeyScheme),
    Basic(BasicScheme),
    ServiceAccount(ServiceAccountScheme),
}

/// A tool as the connector declares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
    pub required_scopes: Vec<String>,
    pub read_only: bool,
}

/// What a connector says about itself (checked by `manifest::validate` before use).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub auth: Vec<AuthScheme>,
    pub allowed_hosts: Vec<String>,
    pub setup_instructions: String,
    pub tools: Vec<ToolSpec>,
}

/// Who and what a call runs for; never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallContext {
    pub user_id: String,
    pub connection_id: String,
    pub metadata: BTreeMap<String, String>,
    pub granted_scopes: Vec<String>,
}

/// Why a credential did not work, as the connector reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AuthError {
    Expired,
    Revoked,
    InsufficientScope(Vec<String>),
    Invalid(String),
}

/// A tool's failure, as the connector reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    InvalidInput(String),
    Auth(AuthError),
    Upstream { status: u16, message: String },
    RateLimited { retry_after_secs: Option<u32> },
    Internal(String),
}

/// Who a credential belongs to upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub subject: String,
    pub display_name: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// HTTP method a connector may use: the egress crate's, one type from the WIT `http.method`
/// to the wire.
pub use latchkey_egress::Method;

/// An outgoing request as the connector asked for it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub authenticate: bool,
    /// A named extra token instead of the main one.
    pub token: Option<String>,
    pub timeout_ms: Option<u32>,
}

/// What the connector gets back (already redacted by egress).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why an outgoing request did not happen or did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    Denied(String),
    InvalidRequest(String),
    NoCredential,
    Timeout,
    TooLarge,
    Transport(String),
}

/// Severity of a connector's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

// ---- conversions from and to the generated bindings ----

impl From<wit::Placement> for Placement {
    fn from(p: wit::Placement) -> Self {
        match p {
            wit::Placement::Bearer => Placement::Bearer,
            wit::Placement::Header(h) => Placement::Header {
                name: h.name,
                prefix: h.prefix,
            },
            wit::Placement::Query(name) => Placement::Query { name },
            wit::Placement::Basic => Placement::Basic,
        }
    }
}

impl From<wit::TokenEndpointAuth> for TokenEndpointAuth {
    fn from(a: wit::TokenEndpointAuth) -> Self {
        match a {
            wit::TokenEndpointAuth::ClientSecretBasic => TokenEndpointAuth::ClientSecretBasic,
            wit::TokenEndpointAuth::ClientSecretPost => TokenEndpointAuth::ClientSecretPost,
            wit::TokenEndpointAuth::None => TokenEndpointAuth::None,
        }
    }
}

impl From<wit::AuthScheme> for AuthScheme {
    fn from(s: wit::AuthScheme) -> Self {
        match s {
            wit::AuthScheme::Oauth2(o) => AuthScheme::Oauth2(Box::new(OAuth2Scheme {
                authorize_url: o.authorize_url,
                token_url: o.token_url,
                revoke_url: o.revoke_url,
                issuer: o.issuer,
                default_scopes: o.default_scopes,
                base_scopes: o.base_scopes,
                scope_separator: o.scope_separator,
                extra_authorize_params: o.extra_authorize_params,
                include_granted_scopes: o.include_granted_scopes,
                scope_params: o.scope_params,
                token_endpoint_auth: o.token_endpoint_auth.into(),
                token_response: TokenResponseShape {
                    access_token: o.token_response.access_token,
                    refresh_token: o.token_response.refresh_token,
                    expires_in: o.token_response.expires_in,
                    scope: o.token_response.scope,
                    error: o.token_response.error,
                    error_aliases: o.token_response.error_aliases,
                    extra_tokens: o.token_response.extra_tokens,
                    extra_scopes: o.token_response.extra_scopes,
                },
                placement: o.placement.into(),
            })),
            wit::AuthScheme::ApiKey(k) => AuthScheme::ApiKey(ApiKeyScheme {
                label: k.label,
                placement: k.placement.into(),
            }),
            wit::AuthScheme::Basic(b) => AuthScheme::Basic(BasicScheme {
                username_label: b.username_label,
                password_label: b.password_label,
            }),
            wit::AuthScheme::ServiceAccount(s) => {
                AuthScheme::ServiceAccount(ServiceAccountScheme {
                    kind: match s.kind {
                        wit::ServiceAccountKind::JwtBearer => ServiceAccountKind::JwtBearer,
                        wit::ServiceAccountKind::ClientCredentials => {
                            ServiceAccountKind::ClientCredentials
                        }
                    },
                    token_url: s.token_url,
                    scopes: s.scopes,
                    audience: s.audience,
                    placement: s.placement.into(),
                })
            }
        }
    }
}

impl Manifest {
    /// Convert what `describe` returned; a tool schema that is not JSON is an error.
    pub(super) fn from_wit(m: wit::Manifest) -> Result<Manifest, String> {
        let mut tools = Vec::with_capacity(m.tools.len());
        for t in m.tools {
            let input_schema = serde_json::from_str(&t.input_schema)
                .map_err(|e| format!("tool {:?}: input schema is not JSON: {e}", t.name))?;
            tools.push(ToolSpec {
                name: t.name,
                description: t.description,
                input_schema,
                required_scopes: t.required_scopes,
                read_only: t.read_only,
            });
        }
        Ok(Manifest {
            id: m.id,
            name: m.name,
            version: m.version,
            description: m.description,
            auth: m.auth.into_iter().map(AuthScheme::from).collect(),
            allowed_hosts: m.allowed_hosts,
            setup_instructions: m.setup_instructions,
            tools,
        })
    }
}

impl From<&CallContext> for wit::CallContext {
    fn from(c: &CallContext) -> Self {
        wit::CallContext {
            user_id: c.user_id.clone(),
            connection_id: c.connection_id.clone(),
            metadata: c
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            granted_scopes: c.granted_scopes.clone(),
        }
    }
}

impl From<wit::CallError> for CallError {
    fn from(e: wit::CallError) -> Self {
        match e {
            wit::CallError::InvalidInput(m) => CallError::InvalidInput(m),
            wit::CallError::Auth(a) => CallError::Auth(match a {
                wit::AuthError::Expired => AuthError::Expired,
                wit::AuthError::Revoked => AuthError::Revoked,
                wit::AuthError::InsufficientScope(s) => AuthError::InsufficientScope(s),
                wit::AuthError::Invalid(m) => AuthError::Invalid(m),
            }),
            wit::CallError::Upstream(u) => CallError::Upstream {
                status: u.status,
                message: u.message,
            },
            wit::CallError::RateLimited(s) => CallError::RateLimited {
                retry_after_secs: s,
            },
            wit::CallError::Internal(m) => CallError::Internal(m),
        }
    }
}

impl From<wit::Identity> for Identity {
    fn from(i: wit::Identity) -> Self {
        Identity {
            subject: i.subject,
            display_name: i.display_name,
            metadata: i.metadata.into_iter().collect(),
        }
    }
}

impl From<wit_http::Request> for HttpRequest {
    fn from(r: wit_http::Request) -> Self {
        HttpRequest {
            method: match r.method {
                wit_http::Method::Get => Method::Get,
                wit_http::Method::Head => Method::Head,
                wit_http::Method::Post => Method::Post,
                wit_http::Method::Put => Method::Put,
                wit_http::Method::Patch => Method::Patch,
                wit_http::Method::Delete => Method::Delete,
                wit_http::Method::Options => Method::Options,
            },
            url: r.url,
            headers: r.headers,
            body: r.body,
            authenticate: r.authenticate,
            token: r.token,
            timeout_ms: r.timeout_ms,
        }
    }
}

impl From<HttpResponse> for wit_http::Response {
    fn from(r: HttpResponse) -> Self {
        wit_http::Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}

impl From<HttpError> for wit_http::HttpError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(m) => wit_http::HttpError::Denied(m),
            HttpError::InvalidRequest(m) => wit_http::HttpError::InvalidRequest(m),
            HttpError::NoCredential => wit_http::HttpError::NoCredential,
            HttpError::Timeout => wit_http::HttpError::Timeout,
            HttpError::TooLarge => wit_http::HttpError::TooLarge,
            HttpError::Transport(m) => wit_http::HttpError::Transport(m),
        }
    }
}

impl From<wit_log::Level> for LogLevel {
    fn from(l: wit_log::Level) -> Self {
        match l {
            wit_log::Level::Trace => LogLevel::Trace,
            wit_log::Level::Debug => LogLevel::Debug,
            wit_log::Level::Info => LogLevel::Info,
            wit_log::Level::Warn => LogLevel::Warn,
            wit_log::Level::Error => LogLevel::Error,
        }
    }
}
