//! [`OauthControl`]: the Rust API tests use to set up the authorization server, inject faults
//! and inspect what happened. The `/_fake/oauth/...` HTTP controls call the same methods.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::app::{App, Settings};
use super::client::{OauthClient, RegistrationError, ServiceAccount};
use super::consent::Consent;
use super::faults::Fault;
use super::journal::{AssertionRecord, Revocation, TokenCall, TokenCounts};
use super::store::IssuedToken;
use super::token;
use crate::state::State;

use super::token::MintedTokens;

/// Changes to an app's [`Settings`]; absent fields stay as they are.
///
/// JSON: `{"access_ttl_secs": 60 | null, "refresh_tokens": true, "rotation": true,
/// "issuer": "https://…", "send_iss": true, "omit_scope": false}` (`null` TTL: never expire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsUpdate {
    #[serde(default, deserialize_with = "present")]
    pub access_ttl_secs: Option<Option<u64>>,
    pub refresh_tokens: Option<bool>,
    pub rotation: Option<bool>,
    pub issuer: Option<String>,
    pub send_iss: Option<bool>,
    pub omit_scope: Option<bool>,
}

/// A field that is present (possibly `null`) becomes `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// Handle on the fake's authorization server (cheap to clone).
#[derive(Clone)]
pub struct OauthControl {
    state: State,
}

impl OauthControl {
    /// A handle on the server inside `state`.
    pub(crate) fn new(state: State) -> Self {
        OauthControl { state }
    }

    /// Registers (or replaces) a client.
    pub fn register_client(&self, client: OauthClient) -> Result<(), RegistrationError> {
        client.validate()?;
        self.state.with(|inner| {
            inner.oauth.clients.insert(client.client_id.clone(), client);
        });
        Ok(())
    }

    /// The registered clients.
    pub fn clients(&self) -> Vec<OauthClient> {
        self.state
            .with(|inner| inner.oauth.clients.values().cloned().collect())
    }

    /// Registers (or replaces) a service account.
    pub fn add_service_account(&self, account: ServiceAccount) -> Result<(), RegistrationError> {
        account.validate()?;
        self.state.with(|inner| {
            inner
                .oauth
                .service_accounts
                .insert(account.client_email.clone(), account);
        });
        Ok(())
    }

    /// Sets who is signed in at `app`, what they grant, and whether a page asks them.
    pub fn set_consent(&self, app: App, consent: Consent) {
        self.state
            .with(|inner| inner.oauth.settings(app).consent = consent);
    }

    /// Changes only the signed-in user's name.
    pub fn set_user(&self, app: App, user: &str) {
        self.state
            .with(|inner| inner.oauth.settings(app).consent.user = user.to_owned());
    }

    /// `app`'s settings.
    pub fn settings(&self, app: App) -> Settings {
        self.state.with(|inner| inner.oauth.settings(app).clone())
    }

    /// Applies `update` and returns the settings in force.
    pub fn update_settings(&self, app: App, update: SettingsUpdate) -> Settings {
        self.state.with(|inner| {
            let settings = inner.oauth.settings(app);
            if let Some(ttl) = update.access_ttl_secs {
                settings.access_ttl_secs = ttl;
            }
            if let Some(on) = update.refresh_tokens {
                settings.refresh_tokens = on;
            }
            if let Some(on) = update.rotation {
                settings.rotation = on;
            }
            if let Some(issuer) = update.issuer {
                settings.issuer = issuer;
            }
            if let Some(on) = update.send_iss {
                settings.send_iss = on;
            }
            if let Some(on) = update.omit_scope {
                settings.omit_scope = on;
            }
            settings.clone()
        })
    }

    /// Lifetime of access tokens issued from now on (`None`: never expire).
    pub fn set_access_ttl(&self, app: App, secs: Option<u64>) {
        self.update_settings(
            app,
            SettingsUpdate {
                access_ttl_secs: Some(secs),
                ..SettingsUpdate::default()
            },
        );
    }

    /// Turns refresh-token rotation on or off.
    pub fn set_rotation(&self, app: App, on: bool) {
        self.update_settings(
            app,
            SettingsUpdate {
                rotation: Some(on),
                ..SettingsUpdate::default()
            },
        );
    }

    /// Whether the code grant issues refresh tokens (GitHub: expiring user tokens).
    pub fn set_refresh_tokens(&self, app: App, on: bool) {
        self.update_settings(
            app,
            SettingsUpdate {
                refresh_tokens: Some(on),
                ..SettingsUpdate::default()
            },
        );
    }

    /// The `iss` sent in authorization responses, and whether it is sent at all.
    pub fn set_issuer(&self, app: App, issuer: &str, send: bool) {
        self.update_settings(
            app,
            SettingsUpdate {
                issuer: Some(issuer.to_owned()),
                send_iss: Some(send),
                ..SettingsUpdate::default()
            },
        );
    }

    /// Leave `scope` out of token responses.
    pub fn set_omit_scope(&self, app: App, omit: bool) {
        self.update_settings(
            app,
            SettingsUpdate {
                omit_scope: Some(omit),
                ..SettingsUpdate::default()
            },
        );
    }

    /// The next `times` token requests of `app` get `fault` (after faults already queued).
    pub fn inject_fault(&self, app: App, fault: Fault, times: u32) {
        self.state
            .with(|inner| inner.oauth.faults(app).push(fault, times));
    }

    /// Faults still waiting, next first.
    pub fn pending_faults(&self, app: App) -> Vec<Fault> {
        self.state.with(|inner| inner.oauth.faults(app).pending())
    }

    /// Drops every queued fault of `app`.
    pub fn clear_faults(&self, app: App) {
        self.state.with(|inner| inner.oauth.faults(app).clear());
    }

    /// The user revokes access at the provider: every live grant of `user` at `app` ends.
    /// Returns how many grants were revoked.
    pub fn revoke_user(&self, app: App, user: &str) -> usize {
        self.state.with(|inner| {
            let mut count = 0;
            for grant in inner.oauth.store.live_grants_mut(app, user) {
                grant.revoked = true;
                count += 1;
            }
            count
        })
    }

    /// Scope drift: `scope` disappears from `user`'s live grants at `app` (refresh responses
    /// and API checks then show fewer scopes). Returns how many grants changed.
    pub fn remove_scope(&self, app: App, user: &str, scope: &str) -> usize {
        self.state.with(|inner| {
            let mut count = 0;
            for grant in inner.oauth.store.live_grants_mut(app, user) {
                let before = grant.scopes.len();
                grant.scopes.retain(|s| s != scope);
                if grant.scopes.len() != before {
                    count += 1;
                }
            }
            count
        })
    }

    /// Moves the fake clock forward (codes and access tokens expire without waiting; JWT
    /// assertions are still checked against the real clock). Returns the total offset.
    pub fn advance_clock(&self, secs: u64) -> u64 {
        self.state.with(|inner| {
            inner.oauth.clock_offset_secs = inner.oauth.clock_offset_secs.saturating_add(secs);
            inner.oauth.clock_offset_secs
        })
    }

    /// Sets the fake clock `secs` behind the real one (on top of any advance): a provider
    /// whose clock lags the gateway's. `0` puts it back. Returns the lag.
    pub fn set_clock_behind(&self, secs: u64) -> u64 {
        self.state.with(|inner| {
            inner.oauth.clock_behind_secs = secs;
            secs
        })
    }

    /// A grant and tokens for `user`, without any flow (for API tests).
    pub fn mint_tokens(&self, app: App, user: &str, scopes: &[&str]) -> MintedTokens {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.state.with(|inner| {
            inner.people.get(user);
            token::mint(&mut inner.oauth, app, user, &scopes)
        })
    }

    /// Every token request so far, oldest first.
    pub fn token_calls(&self) -> Vec<TokenCall> {
        self.state
            .with(|inner| inner.oauth.journal.token_calls.clone())
    }

    /// Token requests of `app` with `grant_type` (`authorization_code`, `refresh_token`,
    /// `client_credentials`, [`super::JWT_BEARER`]) and, if given, this outcome (`ok`, an error code,
    /// `rate_limited`, `server_error`).
    pub fn token_count(&self, app: App, grant_type: &str, outcome: Option<&str>) -> usize {
        self.state
            .with(|inner| inner.oauth.journal.count(app, grant_type, outcome))
    }

    /// Token requests counted by app, grant type and outcome.
    pub fn token_counts(&self) -> TokenCounts {
        self.state.with(|inner| inner.oauth.journal.counts())
    }

    /// Every token issued to `user` (any app), oldest first.
    pub fn issued_tokens_for(&self, user: &str) -> Vec<IssuedToken> {
        self.state.with(|inner| {
            let now = inner.oauth.now();
            inner.oauth.store.issued_to(user, now)
        })
    }

    /// Every JWT assertion presented, oldest first.
    pub fn jwt_assertions(&self) -> Vec<AssertionRecord> {
        self.state
            .with(|inner| inner.oauth.journal.assertions.clone())
    }

    /// The claims of the last JWT assertion presented.
    pub fn last_jwt_claims(&self) -> Option<Value> {
        self.state.with(|inner| {
            inner
                .oauth
                .journal
                .assertions
                .last()
                .map(|a| a.claims.clone())
        })
    }

    /// Every revocation request, oldest first.
    pub fn revocations(&self) -> Vec<Revocation> {
        self.state
            .with(|inner| inner.oauth.journal.revocations.clone())
    }

    /// Forgets token calls, revocations and assertions (not clients, grants or tokens).
    pub fn clear_journal(&self) {
        self.state.with(|inner| inner.oauth.journal.clear());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_update_json() {
        let update: SettingsUpdate =
            serde_json::from_value(serde_json::json!({"access_ttl_secs": null})).unwrap();
        assert_eq!(update.access_ttl_secs, Some(None));
        let update: SettingsUpdate = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(update.access_ttl_secs, None);
        let update: SettingsUpdate =
            serde_json::from_value(serde_json::json!({"access_ttl_secs": 5, "rotation": false}))
                .unwrap();
        assert_eq!(update.access_ttl_secs, Some(Some(5)));
        assert_eq!(update.rotation, Some(false));
    }
}
