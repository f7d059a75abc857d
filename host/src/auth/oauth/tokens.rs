//! Token sets as the gateway stores them, from whichever grant produced them.

use oauth2::TokenResponse;
use oauth2::basic::BasicTokenResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::http::Observed;
use crate::clock::now_ms;
use crate::vault::TokenUpdate;

/// What a token endpoint granted.
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// Seconds of validity, counted from when the answer was received here.
    pub expires_in: Option<u64>,
    /// Scopes the provider reported; `None` when it did not say.
    pub scopes: Option<Vec<String>>,
    /// Named further tokens (Slack's user token).
    pub extra_tokens: Vec<(String, SecretString)>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// The tokens of a response `oauth2` parsed, plus what the normalising client saw beside
    /// them (extra tokens and scopes the connector declared).
    pub fn from_response(r: &BasicTokenResponse, seen: &Observed) -> Self {
        let mut scopes: Option<Vec<String>> = r
            .scopes()
            .map(|s| s.iter().map(|x| x.to_string()).collect());
        if !seen.extra_scopes.is_empty() {
            let mut all = scopes.unwrap_or_default();
            all.extend(seen.extra_scopes.iter().cloned());
            scopes = Some(all);
        }
        TokenSet {
            access_token: SecretString::from(r.access_token().secret().to_string()),
            refresh_token: r
                .refresh_token()
                .map(|t| SecretString::from(t.secret().to_string())),
            expires_in: r.expires_in().map(|d| d.as_secs()),
            scopes,
            extra_tokens: seen.extra_tokens.clone(),
        }
    }

    /// The extra tokens as the sealed JSON object the vault keeps; `None` when there are none.
    pub fn extra_tokens_json(&self) -> Option<SecretString> {
        if self.extra_tokens.is_empty() {
            return None;
        }
        let map: serde_json::Map<String, serde_json::Value> = self
            .extra_tokens
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::Value::String(v.expose_secret().to_string()),
                )
            })
            .collect();
        Some(SecretString::from(
            serde_json::Value::Object(map).to_string(),
        ))
    }
}

/// The journal's serialized form of a token set (sealed before it is written).
#[derive(Serialize, Deserialize)]
pub struct Journaled {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<i64>,
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub extra_tokens: Option<String>,
}

impl TokenSet {
    /// Absolute expiry from local receive time (never trusting the provider's clock).
    pub fn expires_at(&self, received_at: i64) -> Option<i64> {
        self.expires_in.map(|s| {
            received_at.saturating_add(
                i64::try_from(s)
                    .unwrap_or(i64::MAX / 2)
                    .saturating_mul(1000),
            )
        })
    }

    /// The vault update for these tokens; `fallback_scopes` when the provider reported none.
    pub fn to_update(&self, received_at: i64, fallback_scopes: Option<Vec<String>>) -> TokenUpdate {
        TokenUpdate {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: self.expires_at(received_at),
            granted_scopes: self.scopes.clone().or(fallback_scopes),
            extra_tokens: self.extra_tokens_json(),
        }
    }

    /// Serialize for the journal.
    pub fn journal(
        &self,
        received_at: i64,
        fallback_scopes: Option<Vec<String>>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, serde_json::Error> {
        let j = Journaled {
            access_token: self.access_token.expose_secret().to_string(),
            refresh_token: self
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            expires_at: self.expires_at(received_at),
            scopes: self.scopes.clone().or(fallback_scopes),
            extra_tokens: self
                .extra_tokens_json()
                .map(|t| t.expose_secret().to_string()),
        };
        serde_json::to_vec(&j).map(zeroize::Zeroizing::new)
    }
}

impl Journaled {
    /// Back into a vault update.
    pub fn into_update(self) -> TokenUpdate {
        TokenUpdate {
            access_token: SecretString::from(self.access_token),
            refresh_token: self.refresh_token.map(SecretString::from),
            expires_at: self.expires_at,
            granted_scopes: self.scopes,
            extra_tokens: self.extra_tokens.map(SecretString::from),
        }
    }
}

/// Now, for stamping receive times.
pub fn received_now() -> i64 {
    now_ms()
}
