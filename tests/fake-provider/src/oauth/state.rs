//! The authorization server's memory: clients, service accounts, per-app settings and fault
//! queues, what was issued, the consent pages waiting for an answer, the clock and the journal.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use super::app::{App, Settings};
use super::authorize::AuthRequest;
use super::client::{OauthClient, ServiceAccount};
use super::faults::FaultQueue;
use super::journal::Journal;
use super::store::Store;

/// Everything the authorization server remembers.
#[derive(Default)]
pub struct OauthState {
    /// Clients by id (ids are global across apps, as they are unique in practice).
    pub clients: HashMap<String, OauthClient>,
    /// Service accounts by client e-mail.
    pub service_accounts: HashMap<String, ServiceAccount>,
    settings: BTreeMap<App, Settings>,
    faults: BTreeMap<App, FaultQueue>,
    pub store: Store,
    /// Consent pages shown and not yet answered, by id.
    pub pending: HashMap<String, AuthRequest>,
    /// Seconds added to the real clock (to expire codes and tokens without waiting).
    pub clock_offset_secs: u64,
    /// Seconds taken off the real clock (a provider whose clock runs behind the gateway's).
    pub clock_behind_secs: u64,
    pub journal: Journal,
}

impl OauthState {
    /// The fake clock: Unix seconds, plus the offset tests added.
    pub fn now(&self) -> u64 {
        real_now()
            .saturating_add(self.clock_offset_secs)
            .saturating_sub(self.clock_behind_secs)
    }

    /// `app`'s settings (its defaults until changed).
    pub fn settings(&mut self, app: App) -> &mut Settings {
        self.settings
            .entry(app)
            .or_insert_with(|| app.default_settings())
    }

    /// `app`'s fault queue.
    pub fn faults(&mut self, app: App) -> &mut FaultQueue {
        self.faults.entry(app).or_default()
    }

    /// The client `client_id` if it is registered for `app`.
    pub fn client(&self, app: App, client_id: &str) -> Option<&OauthClient> {
        self.clients.get(client_id).filter(|c| c.app == app)
    }
}

/// The real clock in Unix seconds (JWT `iat`/`exp` are checked against it: the client signs
/// with its own real clock).
pub fn real_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
