//! The resource-server side: whether an app API accepts an access token, and with what.

use axum::http::HeaderMap;

use super::app::App;
use super::state::OauthState;
use super::store::TokenKind;

/// Who a valid token acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub user: String,
    pub client_id: String,
    pub grant_id: u64,
    /// The grant's current scopes.
    pub scopes: Vec<String>,
    /// A user token (Slack's `xoxp-`), not the grant's main access token.
    pub user_token: bool,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Not an access token of this app.
    Unknown,
    Expired,
    /// Its grant was revoked.
    Revoked,
}

/// Checks `token` as an access token of `app`.
pub fn check(oauth: &OauthState, app: App, token: &str) -> Result<Access, Denied> {
    let (token, grant) = oauth
        .store
        .token(app, token)
        .filter(|(t, _)| matches!(t.kind, TokenKind::Access | TokenKind::UserAccess))
        .ok_or(Denied::Unknown)?;
    if grant.revoked {
        return Err(Denied::Revoked);
    }
    if token.expires_at.is_some_and(|at| oauth.now() >= at) {
        return Err(Denied::Expired);
    }
    Ok(Access {
        user: grant.user.clone(),
        client_id: grant.client_id.clone(),
        grant_id: grant.id,
        scopes: grant.scopes.clone(),
        user_token: token.kind == TokenKind::UserAccess,
    })
}

/// The token of `Authorization: Bearer <t>` (or GitHub's `token <t>`, Salesforce's `OAuth <t>`).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let ok = ["bearer", "token", "oauth"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    let token = token.trim();
    (ok && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::store::GrantKind;

    #[test]
    fn expired_revoked_unknown() {
        let mut oauth = OauthState::default();
        let grant =
            oauth
                .store
                .add_grant(App::Google, "c", "ada", vec!["s".into()], GrantKind::Minted);
        let now = oauth.now();
        let live = oauth
            .store
            .issue(App::Google, grant, TokenKind::Access, Some(now + 60));
        let refresh = oauth
            .store
            .issue(App::Google, grant, TokenKind::Refresh, None);
        assert_eq!(
            check(&oauth, App::Google, &live).map(|a| a.user),
            Ok("ada".into())
        );
        assert_eq!(check(&oauth, App::Google, &refresh), Err(Denied::Unknown));
        assert_eq!(check(&oauth, App::Github, &live), Err(Denied::Unknown));
        oauth.clock_offset_secs = 60;
        assert_eq!(check(&oauth, App::Google, &live), Err(Denied::Expired));
        oauth.store.revoke_grant(grant);
        assert_eq!(check(&oauth, App::Google, &live), Err(Denied::Revoked));
    }

    #[test]
    fn bearer_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert("authorization", "token gho_x".parse().unwrap());
        assert_eq!(bearer(&headers), Some("gho_x"));
        headers.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
        headers.insert("authorization", "Bearer ".parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }
}
