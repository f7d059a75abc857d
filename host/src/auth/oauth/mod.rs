//! OAuth 2.0 with the `oauth2` crate: authorization code + PKCE, token exchange, refresh,
//! service accounts and revocation. Provider quirks are normalised in one HTTP client.

pub mod authorize;
pub mod callback;
pub mod discovery;
pub mod error;
pub mod http;
pub mod jwt;
pub mod normalize;
pub mod provider;
pub mod refresh;
pub mod revoke;
pub mod service_account;
pub mod tokens;
