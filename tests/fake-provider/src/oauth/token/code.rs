//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6).

use axum::http::HeaderMap;

use super::issue;
use crate::oauth::app::App;
use crate::oauth::client_auth;
use crate::oauth::error::{Case, OauthError};
use crate::oauth::params::Params;
use crate::oauth::pkce;
use crate::oauth::reply::Issued;
use crate::oauth::store::GrantKind;
use crate::state::Inner;

/// Trades a code for tokens. Every presented code is spent; a replayed one revokes the grant
/// issued from it (RFC 6749 §4.1.2).
pub fn exchange(
    inner: &mut Inner,
    app: App,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Issued, OauthError> {
    let client = client_auth::authenticate(&inner.oauth, app, headers, params)?;
    let value = params.require("code")?;
    let now = inner.oauth.now();
    let Some(code) = inner.oauth.store.code_mut(app, value) else {
        return Err(OauthError::invalid_grant(
            "The authorization code is invalid.",
        ));
    };
    if code.used {
        if let Some(grant) = code.grant {
            inner.oauth.store.revoke_grant(grant);
        }
        return Err(OauthError::invalid_grant(
            "The authorization code was already used; the tokens issued from it are revoked.",
        ));
    }
    code.used = true;
    let code = code.clone();
    if code.client_id != client.client_id {
        return Err(OauthError::invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    if now >= code.expires_at {
        return Err(OauthError::invalid_grant(
            "The authorization code has expired.",
        ));
    }
    let sent = params.get("redirect_uri");
    let redirect_ok = match (&code.redirect_param, sent) {
        (Some(expected), Some(sent)) => expected == sent,
        (Some(_), None) => false,
        (None, sent) => sent.is_none_or(|s| s == code.redirect_uri),
    };
    if !redirect_ok {
        return Err(OauthError::invalid_grant(
            "redirect_uri does not match the one of the authorization request.",
        )
        .case(Case::RedirectMismatch));
    }
    match (&code.challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) if pkce::verifies(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OauthError::invalid_grant(
                "code_verifier does not match the code_challenge.",
            ));
        }
        (Some(_), None) => return Err(OauthError::invalid_grant("Missing code_verifier.")),
        (None, Some(_)) => {
            return Err(OauthError::invalid_grant(
                "code_verifier was sent, but the authorization request had no code_challenge.",
            ));
        }
        (None, None) => {}
    }
    let grant = inner.oauth.store.add_grant(
        app,
        &client.client_id,
        &code.user,
        code.scopes.clone(),
        GrantKind::AuthorizationCode,
    );
    if let Some(stored) = inner.oauth.store.code_mut(app, value) {
        stored.grant = Some(grant);
    }
    let settings = inner.oauth.settings(app).clone();
    let with_refresh = settings.refresh_tokens
        && (code.offline || !app.quirks().refresh_needs_offline)
        && issue::refresh_allowed(app, &code.scopes);
    let mut issued = issue::tokens(&mut inner.oauth, app, grant, with_refresh);
    issue::app_fields(inner, app, grant, &client, &mut issued);
    Ok(issued)
}
