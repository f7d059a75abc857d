//! The apps the authorization server serves, what each one does differently (its fixed
//! quirks), and what tests may change at run time (its settings).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::consent::Consent;

/// The prefix under which scopes of a second token are granted and recorded (Slack's
/// `user_scope` scopes: `user:search:read`), as Latchkey's `extra-scopes` name them.
pub const USER_SCOPE_PREFIX: &str = "user:";

/// An app with an OAuth server on the fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    Notion,
    Github,
    Google,
    Atlassian,
    Salesforce,
    Slack,
    /// Any other connector: its endpoints live under `/generic/{host}` and are told apart by
    /// the shape of the request (see [`crate::generic`]).
    Generic,
}

/// How an app shapes its token responses and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// RFC 6749 JSON, `token_type: "Bearer"`, errors with 4xx (Google).
    Standard,
    /// GitHub: errors with HTTP 200, `token_type: "bearer"`, comma-separated `scope`, form
    /// encoding unless the client accepts JSON.
    Github,
    /// Notion: `token_type: "bearer"`, no `scope`, plus `bot_id`, `workspace_*` and `owner`.
    Notion,
    /// Atlassian: RFC 6749 JSON, but a dead refresh token is a 403 `invalid_grant`.
    Atlassian,
    /// Salesforce: no `expires_in` (sessions still time out), plus `instance_url`, `id`,
    /// `issued_at` and `signature`; `invalid_client_id` for an unknown client; errors with 400.
    Salesforce,
    /// Slack: `ok`, the bot token at `access_token` (`token_type: "bot"`), the user token in
    /// `authed_user`, comma-separated scopes, and every error as HTTP 200
    /// `{"ok": false, "error": …}` with Slack's own codes.
    Slack,
}

/// What an app does differently, fixed per app.
#[derive(Debug, Clone, Copy)]
pub struct Quirks {
    /// Display name on the consent page.
    pub name: &'static str,
    /// Fake prefix of the authorize endpoint's origin, e.g. `/github-web`.
    pub authorize_prefix: &'static str,
    /// Path of the authorize endpoint under that prefix.
    pub authorize_path: &'static str,
    /// Fake prefix of the token endpoint's origin, e.g. `/google-oauth`.
    pub token_prefix: &'static str,
    /// Path of the token endpoint under that prefix.
    pub token_path: &'static str,
    /// Path of the RFC 7009 revocation endpoint under the token prefix, if the app has one.
    pub revoke_path: Option<&'static str>,
    /// The real token URL: the `aud` a JWT assertion must carry.
    pub token_url: &'static str,
    pub shape: Shape,
    /// Separator of scopes in token responses.
    pub scope_separator: &'static str,
    /// The app has no scopes at all (Notion): `scope` is ignored.
    pub scopeless: bool,
    /// Scopes are required on the authorize request (Google).
    pub scope_required: bool,
    /// A refresh token is only issued with `access_type=offline` (Google).
    pub refresh_needs_offline: bool,
    /// Parameters the authorize request must carry with exactly these values (Notion's
    /// `owner=user`, Atlassian's `audience=api.atlassian.com`).
    pub required_params: &'static [(&'static str, &'static str)],
    /// Another authorize parameter with scopes of a second token, granted with a `user:` prefix
    /// (Slack's `user_scope`, for the user token beside the bot token).
    pub user_scope_param: Option<&'static str>,
    /// Scopes granted when the authorize request names none (Salesforce: the connected app's).
    pub default_scopes: &'static [&'static str],
    /// A refresh token is only issued when one of these scopes is granted (Atlassian's
    /// `offline_access`, Salesforce's `refresh_token`); empty: no such condition.
    pub refresh_needs_scope: &'static [&'static str],
    /// Token responses never carry `expires_in`, though access tokens do expire (Salesforce).
    pub omit_expires_in: bool,
    /// The authorization response also carries `scope` (Google).
    pub redirect_carries_scope: bool,
    /// Revocation needs client authentication (Notion).
    pub revoke_needs_client: bool,
    /// Revoking an unknown token is a 400 `invalid_token` rather than RFC 7009's 200 (Google).
    pub revoke_unknown_is_error: bool,
    /// The token a client gets starts with this.
    pub access_prefix: &'static str,
    /// A refresh token starts with this.
    pub refresh_prefix: &'static str,
    /// A second ("user") access token starts with this (Slack's `xoxp-`).
    pub user_access_prefix: &'static str,
}

impl App {
    /// Every app.
    pub const ALL: [App; 7] = [
        App::Notion,
        App::Github,
        App::Google,
        App::Atlassian,
        App::Salesforce,
        App::Slack,
        App::Generic,
    ];

    /// `notion`, `github`, `google`, `atlassian`, `salesforce`, `slack`, `generic`.
    pub fn id(self) -> &'static str {
        match self {
            App::Notion => "notion",
            App::Github => "github",
            App::Google => "google",
            App::Atlassian => "atlassian",
            App::Salesforce => "salesforce",
            App::Slack => "slack",
            App::Generic => "generic",
        }
    }

    /// The app's fixed behaviour.
    pub fn quirks(self) -> Quirks {
        match self {
            App::Notion => NOTION,
            App::Github => GITHUB,
            App::Google => GOOGLE,
            App::Atlassian => ATLASSIAN,
            App::Salesforce => SALESFORCE,
            App::Slack => SLACK,
            App::Generic => GENERIC,
        }
    }

    /// The settings an app starts with.
    pub fn default_settings(self) -> Settings {
        let (access_ttl_secs, refresh_tokens, rotation, issuer, send_iss) = match self {
            // Notion: non-expiring access tokens with rotated refresh tokens (since 2025).
            App::Notion => (None, true, true, "https://api.notion.com", false),
            // GitHub OAuth apps: tokens that never expire and no refresh token.
            App::Github => (None, false, true, "https://github.com/login/oauth", false),
            // Google: one-hour tokens, long-lived refresh tokens that are not rotated, RFC 9207.
            App::Google => (Some(3599), true, false, "https://accounts.google.com", true),
            // Atlassian: one-hour tokens, rotating refresh tokens (with `offline_access`).
            App::Atlassian => (Some(3600), true, true, "https://auth.atlassian.com", false),
            // Salesforce: sessions time out (2 h by default) though no `expires_in` says so;
            // refresh tokens (with the `refresh_token` scope) are not rotated.
            App::Salesforce => (
                Some(7200),
                true,
                false,
                "https://login.salesforce.com",
                false,
            ),
            // Slack: tokens that never expire unless the app opts into token rotation (then
            // 12-hour tokens and rotated refresh tokens: turn `refresh_tokens` on and set a TTL).
            App::Slack => (None, false, true, "https://slack.com", false),
            // Generic: what most OAuth servers do today, one-hour tokens with rotated refresh
            // tokens (reuse revokes the grant).
            App::Generic => (Some(3600), true, true, "https://generic.fake", false),
        };
        Settings {
            access_ttl_secs,
            refresh_tokens,
            rotation,
            issuer: issuer.to_owned(),
            send_iss,
            omit_scope: false,
            consent: Consent::default(),
        }
    }
}

impl fmt::Display for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An app name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown app `{0}`: expected notion, github, google, atlassian, salesforce, slack or generic"
)]
pub struct UnknownApp(pub String);

impl FromStr for App {
    type Err = UnknownApp;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        App::ALL
            .into_iter()
            .find(|app| app.id() == s)
            .ok_or_else(|| UnknownApp(s.to_owned()))
    }
}

/// What tests may change per app at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Lifetime of new access tokens; `None`: they never expire (no `expires_in`).
    pub access_ttl_secs: Option<u64>,
    /// Whether the code grant issues a refresh token.
    pub refresh_tokens: bool,
    /// Whether a refresh returns a new refresh token and retires the old one.
    pub rotation: bool,
    /// The `iss` sent in authorization responses (RFC 9207) when `send_iss` is on.
    pub issuer: String,
    /// Whether authorization responses carry `iss`.
    pub send_iss: bool,
    /// Leave `scope` out of token responses (GitHub does, for some apps).
    pub omit_scope: bool,
    /// Who is signed in at the app, and what they grant.
    pub consent: Consent,
}

const NOTION: Quirks = Quirks {
    name: "Notion",
    authorize_prefix: "/notion",
    authorize_path: "/v1/oauth/authorize",
    token_prefix: "/notion",
    token_path: "/v1/oauth/token",
    revoke_path: Some("/v1/oauth/revoke"),
    token_url: "https://api.notion.com/v1/oauth/token",
    shape: Shape::Notion,
    scope_separator: " ",
    scopeless: true,
    scope_required: false,
    refresh_needs_offline: false,
    required_params: &[("owner", "user")],
    user_scope_param: None,
    default_scopes: &[],
    refresh_needs_scope: &[],
    omit_expires_in: false,
    redirect_carries_scope: false,
    revoke_needs_client: true,
    revoke_unknown_is_error: false,
    access_prefix: "ntn_",
    refresh_prefix: "nrt_",
    user_access_prefix: "",
};

const GITHUB: Quirks = Quirks {
    name: "GitHub",
    authorize_prefix: "/github-web",
    authorize_path: "/login/oauth/authorize",
    token_prefix: "/github-web",
    token_path: "/login/oauth/access_token",
    revoke_path: None,
    token_url: "https://github.com/login/oauth/access_token",
    shape: Shape::Github,
    scope_separator: ",",
    scopeless: false,
    scope_required: false,
    refresh_needs_offline: false,
    required_params: &[],
    user_scope_param: None,
    default_scopes: &[],
    refresh_needs_scope: &[],
    omit_expires_in: false,
    redirect_carries_scope: false,
    revoke_needs_client: true,
    revoke_unknown_is_error: false,
    access_prefix: "gho_",
    refresh_prefix: "ghr_",
    user_access_prefix: "",
};

const GOOGLE: Quirks = Quirks {
    name: "Google",
    authorize_prefix: "/google-accounts",
    authorize_path: "/o/oauth2/v2/auth",
    token_prefix: "/google-oauth",
    token_path: "/token",
    revoke_path: Some("/revoke"),
    token_url: "https://oauth2.googleapis.com/token",
    shape: Shape::Standard,
    scope_separator: " ",
    scopeless: false,
    scope_required: true,
    refresh_needs_offline: true,
    required_params: &[],
    user_scope_param: None,
    default_scopes: &[],
    refresh_needs_scope: &[],
    omit_expires_in: false,
    redirect_carries_scope: true,
    revoke_needs_client: false,
    revoke_unknown_is_error: true,
    access_prefix: "ya29.",
    refresh_prefix: "1//",
    user_access_prefix: "",
};

const ATLASSIAN: Quirks = Quirks {
    name: "Atlassian",
    authorize_prefix: "/atlassian-auth",
    authorize_path: "/authorize",
    token_prefix: "/atlassian-auth",
    token_path: "/oauth/token",
    revoke_path: None,
    token_url: "https://auth.atlassian.com/oauth/token",
    shape: Shape::Atlassian,
    scope_separator: " ",
    scopeless: false,
    scope_required: true,
    refresh_needs_offline: false,
    required_params: &[("audience", "api.atlassian.com")],
    user_scope_param: None,
    default_scopes: &[],
    refresh_needs_scope: &["offline_access"],
    omit_expires_in: false,
    redirect_carries_scope: false,
    revoke_needs_client: true,
    revoke_unknown_is_error: false,
    access_prefix: "eyJraWQiOiJmYWtlLWF0bGFzc2lhbiJ9.",
    refresh_prefix: "eyJyZnQiOiJmYWtlLWF0bGFzc2lhbiJ9.",
    user_access_prefix: "",
};

const SALESFORCE: Quirks = Quirks {
    name: "Salesforce",
    authorize_prefix: "/salesforce-login",
    authorize_path: "/services/oauth2/authorize",
    token_prefix: "/salesforce-login",
    token_path: "/services/oauth2/token",
    revoke_path: Some("/services/oauth2/revoke"),
    token_url: "https://login.salesforce.com/services/oauth2/token",
    shape: Shape::Salesforce,
    scope_separator: " ",
    scopeless: false,
    scope_required: false,
    refresh_needs_offline: false,
    required_params: &[],
    user_scope_param: None,
    default_scopes: &["api", "refresh_token"],
    refresh_needs_scope: &["refresh_token", "offline_access"],
    omit_expires_in: true,
    redirect_carries_scope: false,
    revoke_needs_client: false,
    revoke_unknown_is_error: true,
    access_prefix: "00D5e0000000FAKEAA!AR",
    refresh_prefix: "5Aep861",
    user_access_prefix: "",
};

const SLACK: Quirks = Quirks {
    name: "Slack",
    authorize_prefix: "/slack",
    authorize_path: "/oauth/v2/authorize",
    token_prefix: "/slack",
    token_path: "/api/oauth.v2.access",
    revoke_path: None,
    token_url: "https://slack.com/api/oauth.v2.access",
    shape: Shape::Slack,
    scope_separator: ",",
    scopeless: false,
    scope_required: true,
    refresh_needs_offline: false,
    required_params: &[],
    user_scope_param: Some("user_scope"),
    default_scopes: &[],
    refresh_needs_scope: &[],
    omit_expires_in: false,
    redirect_carries_scope: false,
    revoke_needs_client: true,
    revoke_unknown_is_error: false,
    access_prefix: "xoxb-",
    refresh_prefix: "xoxe-1-",
    user_access_prefix: "xoxp-",
};

const GENERIC: Quirks = Quirks {
    name: "Generic app",
    // Paths are not fixed: the generic app tells its endpoints apart by request shape.
    authorize_prefix: "/generic",
    authorize_path: "/authorize",
    token_prefix: "/generic",
    token_path: "/token",
    revoke_path: Some("/revoke"),
    token_url: "https://generic.fake/token",
    shape: Shape::Standard,
    scope_separator: " ",
    scopeless: false,
    scope_required: false,
    refresh_needs_offline: false,
    required_params: &[],
    user_scope_param: None,
    default_scopes: &[],
    refresh_needs_scope: &[],
    omit_expires_in: false,
    redirect_carries_scope: false,
    revoke_needs_client: false,
    revoke_unknown_is_error: false,
    access_prefix: "gat_",
    refresh_prefix: "grt_",
    user_access_prefix: "",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_parse_and_print() {
        for app in App::ALL {
            assert_eq!(app.id().parse::<App>().ok(), Some(app));
            assert_eq!(app.to_string(), app.id());
        }
        assert!("gitlab".parse::<App>().is_err());
    }
}
