//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1), as Google's
//! service accounts use it: an RS256 assertion with `iss` (the account's e-mail), `aud` (the
//! token URL), `iat`/`exp` at most an hour apart, `scope`, and optionally `sub`.

use serde_json::Value;

use super::issue;
use crate::oauth::app::App;
use crate::oauth::error::OauthError;
use crate::oauth::journal::AssertionRecord;
use crate::oauth::jwt::{self, Jwt, JwtError};
use crate::oauth::params::Params;
use crate::oauth::reply::Issued;
use crate::oauth::scopes;
use crate::oauth::state::{OauthState, real_now};
use crate::oauth::store::GrantKind;
use crate::state::Inner;

/// The grant type's URN.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Longest accepted `exp - iat`, in seconds.
const MAX_LIFETIME_SECS: u64 = 3600;
/// Tolerated clock skew for `iat` in the future, in seconds.
const SKEW_SECS: u64 = 300;

const BAD_TIMES: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a \
                         reasonable timeframe. Check your iat and exp values in the JWT claim.";

/// Verifies the assertion and issues an access token; the decoded claims are journaled
/// whatever the outcome.
pub fn exchange(inner: &mut Inner, app: App, params: &Params) -> Result<Issued, OauthError> {
    let assertion = params.require("assertion")?;
    let jwt = jwt::decode(assertion)
        .map_err(|e| OauthError::invalid_grant(format!("Invalid JWT: {e}.")))?;
    let result = check(&mut inner.oauth, app, &jwt);
    inner.oauth.journal.assertions.push(AssertionRecord {
        app,
        header: jwt.header.clone(),
        claims: jwt.claims.clone(),
        outcome: match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code.to_owned(),
        },
    });
    if let Ok(user) = &result {
        inner.people.get(&user.user);
    }
    result.map(|granted| granted.issued)
}

/// What a valid assertion yields.
struct Granted {
    user: String,
    issued: Issued,
}

fn check(oauth: &mut OauthState, app: App, jwt: &Jwt) -> Result<Granted, OauthError> {
    let claims = &jwt.claims;
    let iss = claims["iss"].as_str().unwrap_or_default();
    let account = oauth
        .service_accounts
        .get(iss)
        .filter(|sa| sa.app == app)
        .cloned()
        .ok_or_else(|| OauthError::invalid_grant("Invalid grant: account not found"))?;
    jwt.verify_rs256(&account.public_key_pem)
        .map_err(|e| match e {
            JwtError::Algorithm(alg) => {
                OauthError::invalid_grant(format!("Invalid JWT: alg `{alg}` is not RS256."))
            }
            _ => OauthError::invalid_grant("Invalid JWT Signature."),
        })?;
    let expected = app.quirks().token_url;
    let aud_ok = |aud: &str| aud == expected || account.audience.as_deref() == Some(aud);
    let audience_matches = match &claims["aud"] {
        Value::String(aud) => aud_ok(aud),
        Value::Array(auds) => auds.iter().filter_map(Value::as_str).any(aud_ok),
        _ => false,
    };
    if !audience_matches {
        return Err(OauthError::invalid_grant(format!(
            "Invalid JWT: Failed audience check. The expected value was {expected}."
        )));
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_u64(), claims["exp"].as_u64()) else {
        return Err(OauthError::invalid_grant(BAD_TIMES));
    };
    let now = real_now();
    if exp <= iat
        || exp - iat > MAX_LIFETIME_SECS
        || exp <= now
        || iat > now.saturating_add(SKEW_SECS)
    {
        return Err(OauthError::invalid_grant(BAD_TIMES));
    }
    let asked = scopes::parse(app, claims["scope"].as_str());
    if asked.is_empty() {
        return Err(OauthError::invalid_scope(
            "Invalid OAuth scope or ID token audience provided.",
        ));
    }
    if let Some(bad) = asked.iter().find(|s| {
        account
            .allowed_scopes
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(s))
    }) {
        return Err(OauthError::invalid_scope(format!(
            "Scope `{bad}` is not allowed for this service account."
        )));
    }
    let user = match claims["sub"].as_str() {
        Some(sub) if sub != iss && !account.allow_subject => {
            return Err(OauthError::unauthorized_client(
                "Client is unauthorized to retrieve access tokens using this method, or client \
                 not authorized for any of the scopes requested.",
            ));
        }
        Some(sub) => sub.to_owned(),
        None => iss.to_owned(),
    };
    let grant = oauth
        .store
        .add_grant(app, iss, &user, asked, GrantKind::JwtBearer);
    let mut issued = issue::tokens(oauth, app, grant, false);
    // Google leaves `scope` out of service-account token responses.
    issued.scopes = None;
    Ok(Granted { user, issued })
}
