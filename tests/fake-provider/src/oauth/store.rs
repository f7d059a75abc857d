//! Authorization codes, grants and the tokens issued from them. Revocation works on grants:
//! revoking one revokes every token issued from it.

use std::collections::{BTreeMap, HashMap};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

use super::app::App;

/// How long an authorization code lives, in seconds.
pub const CODE_TTL_SECS: u64 = 60;

/// How a grant came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    AuthorizationCode,
    ClientCredentials,
    JwtBearer,
    /// Minted directly by a test control.
    Minted,
}

/// One user's (or service account's) authorization of one client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub id: u64,
    pub app: App,
    pub client_id: String,
    pub user: String,
    /// Current scopes: scope drift shrinks them.
    pub scopes: Vec<String>,
    pub kind: GrantKind,
    pub revoked: bool,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
    /// A second access token of the same grant, acting as the user rather than the app (Slack's
    /// `xoxp-` user token beside the `xoxb-` bot token); it carries the grant's `user:` scopes.
    UserAccess,
}

/// One issued token.
#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub grant: u64,
    /// Fake-clock second after which it no longer works; `None`: never.
    pub expires_at: Option<u64>,
    /// A refresh token already traded for a new one (rotation): presenting it again is reuse.
    pub rotated: bool,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub struct Code {
    pub app: App,
    pub client_id: String,
    /// The `redirect_uri` sent on the authorize request, if one was.
    pub redirect_param: Option<String>,
    /// The redirect URI used (the sent one, or the client's only one).
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub scopes: Vec<String>,
    pub user: String,
    pub expires_at: u64,
    /// Google's `access_type=offline`.
    pub offline: bool,
    pub used: bool,
    /// The grant issued from it, to revoke when the code is replayed.
    pub grant: Option<u64>,
}

/// A token as tests see it (`issued_tokens_for`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub app: App,
    pub grant_id: u64,
    pub grant_kind: GrantKind,
    pub client_id: String,
    pub user: String,
    pub kind: TokenKind,
    pub token: String,
    /// The grant's current scopes.
    pub scopes: Vec<String>,
    /// Fake-clock Unix second of expiry; `None`: never.
    pub expires_at: Option<u64>,
    pub expired: bool,
    pub revoked: bool,
    pub rotated: bool,
}

/// Everything issued so far.
#[derive(Default)]
pub struct Store {
    codes: HashMap<String, Code>,
    grants: BTreeMap<u64, Grant>,
    /// Token value → token, plus issue order for listing.
    tokens: HashMap<String, Token>,
    order: Vec<String>,
    next_grant: u64,
}

/// A random token of `len` alphanumerics after `prefix`.
pub fn random_token(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

impl Store {
    /// Stores a new code and returns its value.
    pub fn add_code(&mut self, code: Code) -> String {
        let value = random_token("", 32);
        self.codes.insert(value.clone(), code);
        value
    }

    /// The code with this value, for `app`.
    pub fn code_mut(&mut self, app: App, value: &str) -> Option<&mut Code> {
        self.codes.get_mut(value).filter(|code| code.app == app)
    }

    /// Starts a grant and returns its id.
    pub fn add_grant(
        &mut self,
        app: App,
        client_id: &str,
        user: &str,
        scopes: Vec<String>,
        kind: GrantKind,
    ) -> u64 {
        self.next_grant += 1;
        let id = self.next_grant;
        self.grants.insert(
            id,
            Grant {
                id,
                app,
                client_id: client_id.to_owned(),
                user: user.to_owned(),
                scopes,
                kind,
                revoked: false,
            },
        );
        id
    }

    /// The grant with this id.
    pub fn grant(&self, id: u64) -> Option<&Grant> {
        self.grants.get(&id)
    }

    /// Issues a token of `kind` for `grant`.
    pub fn issue(
        &mut self,
        app: App,
        grant: u64,
        kind: TokenKind,
        expires_at: Option<u64>,
    ) -> String {
        let quirks = app.quirks();
        let prefix = match kind {
            TokenKind::Access => quirks.access_prefix,
            TokenKind::Refresh => quirks.refresh_prefix,
            TokenKind::UserAccess => quirks.user_access_prefix,
        };
        let value = random_token(prefix, 36);
        self.tokens.insert(
            value.clone(),
            Token {
                kind,
                grant,
                expires_at,
                rotated: false,
            },
        );
        self.order.push(value.clone());
        value
    }

    /// A token by value, with its grant, when both belong to `app`.
    pub fn token(&self, app: App, value: &str) -> Option<(&Token, &Grant)> {
        let token = self.tokens.get(value)?;
        let grant = self.grants.get(&token.grant).filter(|g| g.app == app)?;
        Some((token, grant))
    }

    /// Drops an issued token as if it had never been issued (Slack issues no bot token when
    /// only user scopes were granted).
    pub fn forget(&mut self, value: &str) {
        if self.tokens.remove(value).is_some() {
            self.order.retain(|v| v != value);
        }
    }

    /// Marks a refresh token as traded in.
    pub fn mark_rotated(&mut self, value: &str) {
        if let Some(token) = self.tokens.get_mut(value) {
            token.rotated = true;
        }
    }

    /// Revokes a grant (every token of it); `false` if it was unknown or already revoked.
    pub fn revoke_grant(&mut self, id: u64) -> bool {
        match self.grants.get_mut(&id) {
            Some(grant) if !grant.revoked => {
                grant.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Live grants of `user` at `app`, optionally only those of one client.
    pub fn live_grants_mut<'a>(
        &'a mut self,
        app: App,
        user: &'a str,
    ) -> impl Iterator<Item = &'a mut Grant> + 'a {
        self.grants
            .values_mut()
            .filter(move |g| g.app == app && g.user == user && !g.revoked)
    }

    /// Scopes of `user`'s live grants to `client_id` (for `include_granted_scopes`).
    pub fn granted_scopes(&self, app: App, client_id: &str, user: &str) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        for grant in self
            .grants
            .values()
            .filter(|g| g.app == app && g.client_id == client_id && g.user == user && !g.revoked)
        {
            for scope in &grant.scopes {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        scopes
    }

    /// Every token issued to `user`, oldest first, as of fake-clock second `now`.
    pub fn issued_to(&self, user: &str, now: u64) -> Vec<IssuedToken> {
        self.order
            .iter()
            .filter_map(|value| {
                let token = self.tokens.get(value)?;
                let grant = self.grants.get(&token.grant).filter(|g| g.user == user)?;
                Some(IssuedToken {
                    app: grant.app,
                    grant_id: grant.id,
                    grant_kind: grant.kind,
                    client_id: grant.client_id.clone(),
                    user: grant.user.clone(),
                    kind: token.kind,
                    token: value.clone(),
                    scopes: grant.scopes.clone(),
                    expires_at: token.expires_at,
                    expired: token.expires_at.is_some_and(|at| now >= at),
                    revoked: grant.revoked,
                    rotated: token.rotated,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoking_a_grant_covers_its_tokens() {
        let mut store = Store::default();
        let grant = store.add_grant(
            App::Github,
            "c",
            "ada",
            vec!["repo".into()],
            GrantKind::Minted,
        );
        let access = store.issue(App::Github, grant, TokenKind::Access, None);
        assert!(access.starts_with("gho_"));
        assert!(store.token(App::Google, &access).is_none(), "other app");
        assert!(store.revoke_grant(grant));
        assert!(!store.revoke_grant(grant), "already revoked");
        let issued = store.issued_to("ada", 0);
        assert_eq!(issued.len(), 1);
        assert!(issued[0].revoked);
        assert!(store.issued_to("bob", 0).is_empty());
    }

    #[test]
    fn granted_scopes_merge_live_grants() {
        let mut store = Store::default();
        store.add_grant(App::Google, "c", "ada", vec!["a".into()], GrantKind::Minted);
        store.add_grant(
            App::Google,
            "c",
            "ada",
            vec!["a".into(), "b".into()],
            GrantKind::Minted,
        );
        let gone = store.add_grant(App::Google, "c", "ada", vec!["z".into()], GrantKind::Minted);
        store.revoke_grant(gone);
        assert_eq!(store.granted_scopes(App::Google, "c", "ada"), ["a", "b"]);
        assert!(store.granted_scopes(App::Google, "other", "ada").is_empty());
    }
}
