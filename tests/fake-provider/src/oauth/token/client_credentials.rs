//! `grant_type=client_credentials` (RFC 6749 §4.4): the client acts for itself.

use axum::http::HeaderMap;

use super::issue;
use crate::oauth::app::App;
use crate::oauth::client::ClientAuth;
use crate::oauth::client_auth;
use crate::oauth::error::OauthError;
use crate::oauth::params::Params;
use crate::oauth::reply::Issued;
use crate::oauth::scopes;
use crate::oauth::store::GrantKind;
use crate::state::Inner;

/// Tokens for the authenticated confidential client itself (the grant's user is its id).
pub fn exchange(
    inner: &mut Inner,
    app: App,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Issued, OauthError> {
    let client = client_auth::authenticate(&inner.oauth, app, headers, params)?;
    if client.method() == ClientAuth::None {
        return Err(OauthError::unauthorized_client(
            "A public client cannot use client_credentials.",
        ));
    }
    let asked = scopes::parse(app, params.get("scope"));
    if let Some(bad) = asked.iter().find(|s| !client.allows(s)) {
        return Err(OauthError::invalid_scope(format!(
            "Scope `{bad}` is not allowed for this client."
        )));
    }
    let grant = inner.oauth.store.add_grant(
        app,
        &client.client_id,
        &client.client_id,
        asked,
        GrantKind::ClientCredentials,
    );
    Ok(issue::tokens(&mut inner.oauth, app, grant, false))
}
