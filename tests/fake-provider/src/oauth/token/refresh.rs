//! `grant_type=refresh_token` (RFC 6749 §6), with rotation and reuse detection: a refresh
//! token presented after it was rotated revokes the whole grant, as strict servers do.

use axum::http::HeaderMap;

use super::issue;
use crate::oauth::app::App;
use crate::oauth::client_auth;
use crate::oauth::error::OauthError;
use crate::oauth::params::Params;
use crate::oauth::reply::Issued;
use crate::oauth::scopes;
use crate::oauth::store::TokenKind;
use crate::state::Inner;

/// Trades a refresh token for a new access token (and, with rotation, a new refresh token).
pub fn exchange(
    inner: &mut Inner,
    app: App,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Issued, OauthError> {
    let client = client_auth::authenticate(&inner.oauth, app, headers, params)?;
    let value = params.require("refresh_token")?;
    let oauth = &mut inner.oauth;
    let found = oauth
        .store
        .token(app, value)
        .filter(|(token, _)| token.kind == TokenKind::Refresh)
        .map(|(token, grant)| (token.clone(), grant.clone()));
    let Some((token, grant)) = found else {
        return Err(OauthError::invalid_grant("The refresh token is invalid."));
    };
    if grant.client_id != client.client_id {
        return Err(OauthError::invalid_grant(
            "The refresh token was issued to another client.",
        ));
    }
    if grant.revoked {
        return Err(OauthError::invalid_grant(
            "Token has been expired or revoked.",
        ));
    }
    if token.rotated {
        oauth.store.revoke_grant(grant.id);
        return Err(OauthError::invalid_grant(
            "The refresh token was already used: reuse detected, the grant is revoked.",
        ));
    }
    if let Some(asked) = params.get("scope") {
        let asked = scopes::parse(app, Some(asked));
        if let Some(extra) = asked.iter().find(|s| !grant.scopes.contains(s)) {
            return Err(OauthError::invalid_scope(format!(
                "Scope `{extra}` was not granted."
            )));
        }
    }
    let rotate = oauth.settings(app).rotation;
    let mut issued = issue::tokens(oauth, app, grant.id, rotate);
    if rotate {
        oauth.store.mark_rotated(value);
    }
    issue::app_fields(inner, app, grant.id, &client, &mut issued);
    Ok(issued)
}
