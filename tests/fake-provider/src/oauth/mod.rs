//! An OAuth 2.0 authorization server, one engine for every app, parameterised by each app's
//! quirks ([`App::quirks`]) and run-time settings ([`Settings`]).
//!
//! Each app's endpoints live under the fake prefix of the origin that serves them in reality:
//!
//! | app | authorize | token | revoke |
//! | --- | --- | --- | --- |
//! | notion | `/notion/v1/oauth/authorize` | `/notion/v1/oauth/token` | `/notion/v1/oauth/revoke` |
//! | github | `/github-web/login/oauth/authorize` | `/github-web/login/oauth/access_token` | — |
//! | google | `/google-accounts/o/oauth2/v2/auth` | `/google-oauth/token` | `/google-oauth/revoke` |
//! | atlassian | `/atlassian-auth/authorize` | `/atlassian-auth/oauth/token` | — |
//! | salesforce | `/salesforce-login/services/oauth2/authorize` | `/salesforce-login/services/oauth2/token` | `/salesforce-login/services/oauth2/revoke` |
//! | slack | `/slack/oauth/v2/authorize` | `/slack/api/oauth.v2.access` | — |
//!
//! Grants: `authorization_code` (PKCE S256 required unless the client opts out; `plain`
//! refused), `refresh_token` (rotation per app, reuse detection revokes the grant),
//! `client_credentials`, and RFC 7523 `jwt-bearer` (RS256). Slack grants carry two token
//! kinds: the bot token for the plain scopes (`scope`) and a user token
//! ([`TokenKind::UserAccess`]) for the `user_scope` ones, recorded with a `user:` prefix
//! ([`USER_SCOPE_PREFIX`]). Tests drive it with
//! [`OauthControl`] or the HTTP controls of [`control`]; app APIs check tokens with
//! [`access::check`].

pub mod access;
pub mod app;
pub mod authorize;
pub mod client;
mod client_auth;
pub mod consent;
mod consent_page;
pub mod control;
pub mod error;
pub mod faults;
pub mod handle;
pub mod journal;
pub mod jwt;
pub mod keys;
mod params;
mod pkce;
pub(crate) mod reply;
mod revoke;
mod scopes;
pub mod state;
pub mod store;
mod token;

use axum::Router;

pub use app::{App, Quirks, Settings, Shape, USER_SCOPE_PREFIX};
pub use client::{ClientAuth, OauthClient, RegistrationError, ServiceAccount};
pub use consent::{Consent, ConsentGrant};
pub use faults::Fault;
pub use handle::{OauthControl, SettingsUpdate};
pub use journal::{AssertionRecord, Revocation, TokenCall, TokenCounts};
pub use pkce::s256 as pkce_challenge;
pub use state::OauthState;
pub use store::{GrantKind, IssuedToken, TokenKind};
pub(crate) use token::access_expiry;
pub use token::{JWT_BEARER, MintedTokens};

use crate::state::State;

// Entry points for the generic app, which routes by request shape ([`crate::generic`]).
pub(crate) use authorize::answer_get as authorize_by_shape;
pub(crate) use revoke::revoke as revoke_by_shape;
pub(crate) use token::endpoint as token_by_shape;

/// The authorize endpoint of `app`, relative to its authorize prefix.
pub fn authorize_routes(app: App) -> Router<State> {
    authorize::routes(app)
}

/// The token and revocation endpoints of `app`, relative to its token prefix.
pub fn token_routes(app: App) -> Router<State> {
    token::routes(app).merge(revoke::routes(app))
}

/// The absolute fake URLs of `app`'s endpoints on a fake at `base_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorize: String,
    pub token: String,
    pub revoke: Option<String>,
}

/// Where `app`'s endpoints are on the fake at `base_url`.
pub fn endpoints(app: App, base_url: &str) -> Endpoints {
    let q = app.quirks();
    Endpoints {
        authorize: format!("{base_url}{}{}", q.authorize_prefix, q.authorize_path),
        token: format!("{base_url}{}{}", q.token_prefix, q.token_path),
        revoke: q
            .revoke_path
            .map(|path| format!("{base_url}{}{path}", q.token_prefix)),
    }
}
