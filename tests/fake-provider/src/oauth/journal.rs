//! What the authorization server saw, for tests to inspect: token calls with their outcome,
//! revocation calls, and the claims of JWT assertions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::app::App;

/// One token-endpoint request and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCall {
    pub app: App,
    /// `grant_type` as sent (empty when missing).
    pub grant_type: String,
    /// `ok`, or the error code answered (`invalid_grant`, `rate_limited`, `server_error`…).
    pub outcome: String,
    /// HTTP status answered.
    pub status: u16,
    /// The client id, when one was presented.
    pub client_id: Option<String>,
}

/// One revocation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub app: App,
    /// `token_type_hint` as sent.
    pub hint: Option<String>,
    /// Whether the token was one the server issued.
    pub known: bool,
    /// The grant revoked by it.
    pub grant_id: Option<u64>,
    pub status: u16,
}

/// One JWT assertion presented to the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionRecord {
    pub app: App,
    pub header: Value,
    pub claims: Value,
    /// `ok` or the error code answered.
    pub outcome: String,
}

/// Counts by app, then grant type, then outcome.
pub type TokenCounts = BTreeMap<App, BTreeMap<String, BTreeMap<String, u64>>>;

/// The journal.
#[derive(Debug, Default)]
pub struct Journal {
    pub token_calls: Vec<TokenCall>,
    pub revocations: Vec<Revocation>,
    pub assertions: Vec<AssertionRecord>,
}

impl Journal {
    /// How many token calls of `app` with this grant type (and outcome, if given) there were.
    pub fn count(&self, app: App, grant_type: &str, outcome: Option<&str>) -> usize {
        self.token_calls
            .iter()
            .filter(|call| {
                call.app == app
                    && call.grant_type == grant_type
                    && outcome.is_none_or(|o| call.outcome == o)
            })
            .count()
    }

    /// Every token call counted by app, grant type and outcome.
    pub fn counts(&self) -> TokenCounts {
        let mut counts = TokenCounts::new();
        for call in &self.token_calls {
            *counts
                .entry(call.app)
                .or_default()
                .entry(call.grant_type.clone())
                .or_default()
                .entry(call.outcome.clone())
                .or_default() += 1;
        }
        counts
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Journal::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(app: App, grant_type: &str, outcome: &str) -> TokenCall {
        TokenCall {
            app,
            grant_type: grant_type.into(),
            outcome: outcome.into(),
            status: 200,
            client_id: None,
        }
    }

    #[test]
    fn counting() {
        let mut journal = Journal::default();
        journal
            .token_calls
            .push(call(App::Google, "refresh_token", "ok"));
        journal
            .token_calls
            .push(call(App::Google, "refresh_token", "invalid_grant"));
        journal
            .token_calls
            .push(call(App::Github, "refresh_token", "ok"));
        assert_eq!(journal.count(App::Google, "refresh_token", None), 2);
        assert_eq!(journal.count(App::Google, "refresh_token", Some("ok")), 1);
        assert_eq!(
            journal.counts()[&App::Google]["refresh_token"]["invalid_grant"],
            1
        );
        journal.clear();
        assert!(journal.counts().is_empty());
    }
}
