//! Issuing the tokens of a grant, as the app's settings say (lifetime, refresh token, scope),
//! and the fields an app adds to its token responses.

use serde::{Deserialize, Serialize};

use crate::oauth::app::{App, USER_SCOPE_PREFIX};
use crate::oauth::client::OauthClient;
use crate::oauth::reply::Issued;
use crate::oauth::state::OauthState;
use crate::oauth::store::{GrantKind, TokenKind};
use crate::state::Inner;

/// An access token for `grant`, and a refresh token when `with_refresh`.
pub fn tokens(oauth: &mut OauthState, app: App, grant: u64, with_refresh: bool) -> Issued {
    let settings = oauth.settings(app).clone();
    let expires_at = access_expiry(oauth, app);
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
        expires_in: settings
            .access_ttl_secs
            .filter(|_| !app.quirks().omit_expires_in),
        scopes: (!settings.omit_scope).then_some(scopes),
        extra: serde_json::Map::new(),
    }
}

/// The fake-clock second after which an access token issued now stops working.
pub fn access_expiry(oauth: &mut OauthState, app: App) -> Option<u64> {
    let ttl = oauth.settings(app).access_ttl_secs;
    ttl.map(|ttl| oauth.now().saturating_add(ttl))
}

/// Whether a grant with `scopes` may get a refresh token: some apps issue one only with a
/// scope that asks for it (Atlassian's `offline_access`, Salesforce's `refresh_token`).
pub fn refresh_allowed(app: App, scopes: &[String]) -> bool {
    let needed = app.quirks().refresh_needs_scope;
    needed.is_empty() || scopes.iter().any(|s| needed.contains(&s.as_str()))
}

/// Adds what `app` puts in a token response beyond RFC 6749 for `grant` (Notion's workspace,
/// Salesforce's instance and identity URL, Slack's team and user token).
pub fn app_fields(
    inner: &mut Inner,
    app: App,
    grant: u64,
    client: &OauthClient,
    issued: &mut Issued,
) {
    let Some(grant) = inner.oauth.store.grant(grant).cloned() else {
        return;
    };
    match app {
        App::Notion => issued.extra = crate::notion::oauth_token_fields(inner, &grant.user),
        App::Salesforce => crate::salesforce::oauth_token_fields(inner, &grant, client, issued),
        App::Slack => crate::slack::oauth_token_fields(inner, &grant, issued),
        App::Github | App::Google | App::Atlassian | App::Generic => {}
    }
}

/// Tokens minted by a test control, without any flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub grant_id: u64,
    /// Slack's user token (`xoxp-`), when `user:` scopes were asked for.
    #[serde(default)]
    pub user_access_token: Option<String>,
}

/// A grant for `user` with `scopes` (client `fake-minted`), and its tokens.
pub fn mint(oauth: &mut OauthState, app: App, user: &str, scopes: &[String]) -> MintedTokens {
    let grant = oauth
        .store
        .add_grant(app, "fake-minted", user, scopes.to_vec(), GrantKind::Minted);
    let with_refresh = oauth.settings(app).refresh_tokens && refresh_allowed(app, scopes);
    let issued = tokens(oauth, app, grant, with_refresh);
    let wants_user_token = app.quirks().user_scope_param.is_some()
        && scopes.iter().any(|s| s.starts_with(USER_SCOPE_PREFIX));
    let user_access_token = wants_user_token.then(|| {
        let expires_at = access_expiry(oauth, app);
        oauth
            .store
            .issue(app, grant, TokenKind::UserAccess, expires_at)
    });
    MintedTokens {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        grant_id: grant,
        user_access_token,
    }
}
