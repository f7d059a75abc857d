//! Issuing the tokens of a grant, as the app's settings say (lifetime, refresh token, scope).

use serde::{Deserialize, Serialize};

use crate::oauth::app::App;
use crate::oauth::reply::Issued;
use crate::oauth::state::OauthState;
use crate::oauth::store::{GrantKind, TokenKind};

/// An access token for `grant`, and a refresh token when `with_refresh`.
pub fn tokens(oauth: &mut OauthState, app: App, grant: u64, with_refresh: bool) -> Issued {
    let settings = oauth.settings(app).clone();
    let expires_at = settings
        .access_ttl_secs
        .map(|ttl| oauth.now().saturating_add(ttl));
    let access_token = oauth.store.issue(app, grant, TokenKind::Access, expires_at);
    let refresh_token =
        with_refresh.then(|| oauth.store.issue(app, grant, TokenKind::Refresh, None));
    let scopes = oauth
        .store
        .grant(grant)
        .map(|g| g.scopes.clone())
        .unwrap_or_default();
    Issued {
        access_token,
        refresh_token,
        expires_in: settings.access_ttl_secs,
        scopes: (!settings.omit_scope).then_some(scopes),
        extra: serde_json::Map::new(),
    }
}

/// Tokens minted by a test control, without any flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub grant_id: u64,
}

/// A grant for `user` with `scopes` (client `fake-minted`), and its tokens.
pub fn mint(oauth: &mut OauthState, app: App, user: &str, scopes: &[String]) -> MintedTokens {
    let grant = oauth
        .store
        .add_grant(app, "fake-minted", user, scopes.to_vec(), GrantKind::Minted);
    let with_refresh = oauth.settings(app).refresh_tokens;
    let issued = tokens(oauth, app, grant, with_refresh);
    MintedTokens {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        grant_id: grant,
    }
}
