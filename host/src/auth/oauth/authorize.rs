//! The authorization request: PKCE S256 with a fresh verifier, a CSPRNG `state` stored
//! server-side (bound to the connect session, the browser, the verifier, the redirect URI and
//! the expected issuer), and the URL the user's browser is sent to.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::{CsrfToken, PkceCodeChallenge};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::provider::{self, ProviderError};
use crate::app::App;
use crate::clock::now_ms;
use crate::plugin::LoadedPlugin;
use crate::vault::flows::{ConnectSession, PendingState};

/// How long a `state` may wait for its callback.
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;

/// Where to send the browser, and the cookie value that binds the flow to it.
pub struct Started {
    pub authorize_url: String,
    pub browser_nonce: SecretString,
}

/// A fresh high-entropy token (256 bits), URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The digest under which a bearer value (state, browser nonce) is stored.
pub fn digest(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}

/// The per-connector callback URL.
pub fn redirect_uri(app: &App, connector_id: &str) -> String {
    format!("{}/v1/oauth/callback/{connector_id}", app.public_base())
}

/// Begin consent for `session`. `browser_nonce` is the caller's existing binding cookie, if any.
pub async fn start(
    app: &App,
    plugin: &LoadedPlugin,
    session: &ConnectSession,
    browser_nonce: Option<SecretString>,
) -> Result<Started, ProviderError> {
    let resolved = provider::resolve(app, plugin).await?;
    let redirect_uri = redirect_uri(app, &resolved.connector_id);
    let client = resolved.client(Some(&redirect_uri))?;
    let mut scopes = if session.scopes.is_empty() {
        resolved.default_scopes.clone()
    } else {
        session.scopes.clone()
    };
    for base in &resolved.scheme.base_scopes {
        if !scopes.contains(base) {
            scopes.push(base.clone());
        }
    }
    let state = random_token();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let browser_nonce = browser_nonce.unwrap_or_else(|| SecretString::from(random_token()));
    let now = now_ms();
    let pending = PendingState {
        session_id: session.id.clone(),
        connector_id: resolved.connector_id.clone(),
        browser_hash: digest(browser_nonce.expose_secret()),
        redirect_uri: redirect_uri.clone(),
        issuer: resolved.issuer.clone(),
        scopes: scopes.clone(),
        verifier: SecretString::from(verifier.secret().to_string()),
        created_at: now,
        expires_at: now + STATE_TTL_MS,
    };
    let state_hash = digest(&state);
    app.vault.flows().insert_state(&state_hash, pending).await?;

    let state_for_url = state.clone();
    let mut request = client
        .authorize_url(move || CsrfToken::new(state_for_url))
        .map_err(|e| ProviderError::BadEndpoint {
            connector: resolved.connector_id.clone(),
            reason: e.to_string(),
        })?
        .set_pkce_challenge(challenge);
    // Scopes with a declared prefix go to their own parameter (Slack's user_scope).
    let mut by_param: Vec<(String, Vec<String>)> = vec![("scope".to_string(), Vec::new())];
    for scope in &scopes {
        let (param, value) = resolved
            .scheme
            .scope_params
            .iter()
            .find_map(|(prefix, param)| {
                scope
                    .strip_prefix(prefix.as_str())
                    .map(|rest| (param.clone(), rest.to_string()))
            })
            .unwrap_or_else(|| ("scope".to_string(), scope.clone()));
        match by_param.iter_mut().find(|(p, _)| *p == param) {
            Some((_, list)) => list.push(value),
            None => by_param.push((param, vec![value])),
        }
    }
    for (param, list) in by_param {
        if !list.is_empty() {
            request = request.add_extra_param(param, list.join(resolved.separator()));
        }
    }
    if resolved.scheme.include_granted_scopes {
        request = request.add_extra_param("include_granted_scopes", "true");
    }
    for (k, v) in &resolved.scheme.extra_authorize_params {
        request = request.add_extra_param(k.clone(), v.clone());
    }
    let (url, _) = request.url();
    // The browser follows the same routing as the gateway's own requests (demo, tests).
    let routed = app.egress.route(&url);
    Ok(Started {
        authorize_url: routed.to_string(),
        browser_nonce,
    })
}
