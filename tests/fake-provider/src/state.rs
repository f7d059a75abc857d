//! Everything the fake remembers, behind one lock: each app's data, the authorization
//! server, the people it knows, the recorded requests, the echo switch, and the id counter.

use std::sync::{Arc, Mutex, PoisonError};

use crate::atlassian::JiraData;
use crate::generic::GenericData;
use crate::github::GithubData;
use crate::google::DriveData;
use crate::linear::Accounts;
use crate::notion::Workspaces;
use crate::oauth::OauthState;
use crate::people::People;
use crate::record::RecordedRequest;
use crate::salesforce::SalesforceData;
use crate::slack::SlackData;

/// Shared, cheaply cloned handle on the fake's memory.
#[derive(Clone, Default)]
pub struct State(Arc<Mutex<Inner>>);

/// The fake's memory.
#[derive(Default)]
pub struct Inner {
    /// Notion workspaces by integration token.
    pub notion: Workspaces,
    /// Linear accounts by API key.
    pub linear: Accounts,
    /// GitHub users' repositories and issues.
    pub github: GithubData,
    /// Google Drive files.
    pub google: DriveData,
    /// The Jira site's issues.
    pub jira: JiraData,
    /// The Salesforce org's records.
    pub salesforce: SalesforceData,
    /// The Slack workspace's messages.
    pub slack: SlackData,
    /// The generic app's canned answers and API keys.
    pub generic: GenericData,
    /// The OAuth authorization server of every app.
    pub oauth: OauthState,
    /// The people the apps know.
    pub people: People,
    /// App requests, oldest first.
    pub requests: Vec<RecordedRequest>,
    /// Reflect what was received in every app response.
    pub echo: bool,
    /// Where new object ids come from.
    pub ids: Ids,
}

/// Deterministic, UUID-shaped ids: `00000000-0000-4000-8000-00000000000N`.
#[derive(Default)]
pub struct Ids(u64);

impl Ids {
    /// The next id.
    pub fn next_id(&mut self) -> String {
        self.0 += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.0)
    }
}

impl Inner {
    /// A fresh id.
    pub fn new_id(&mut self) -> String {
        self.ids.next_id()
    }
}

impl State {
    /// Runs `f` with the memory locked (a panic elsewhere does not poison the fake).
    pub fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut inner)
    }
}
