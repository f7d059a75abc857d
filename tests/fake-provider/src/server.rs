//! Starting, controlling and stopping a fake provider in-process.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Json;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::generic::{self, GenericControl};
use crate::linear::{self, LinearSeed};
use crate::notion::{self, NotionSeed};
use crate::oauth::{self, App, Endpoints, OauthControl};
use crate::record::RecordedRequest;
use crate::state::State;
use crate::{atlassian, control, echo, github, google, record, salesforce, slack};

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot resolve `{0}`: {1}")]
    Resolve(String, #[source] io::Error),
    #[error("`{0}` is not a loopback address: the fake provider only listens on this machine")]
    NotLoopback(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] io::Error),
}

/// Entry point: `FakeProvider::start("127.0.0.1:0")`.
pub struct FakeProvider;

impl FakeProvider {
    /// Listens on `addr` (loopback only; port 0 picks a free port) and serves in the background.
    pub async fn start(addr: &str) -> Result<RunningFake, StartError> {
        let candidates: Vec<SocketAddr> = tokio::net::lookup_host(addr)
            .await
            .map_err(|e| StartError::Resolve(addr.to_owned(), e))?
            .collect();
        let Some(&first) = candidates.first() else {
            return Err(StartError::NotLoopback(addr.to_owned()));
        };
        if !candidates.iter().all(|a| a.ip().is_loopback()) {
            return Err(StartError::NotLoopback(addr.to_owned()));
        }
        let listener = TcpListener::bind(first)
            .await
            .map_err(|e| StartError::Bind(first, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(first, e))?;
        let state = State::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let app = app(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // A dropped sender stops the server too.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(RunningFake {
            addr,
            state,
            stop: Some(stop),
            server: Some(server),
        })
    }
}

/// Every route: the apps (recorded, echoed) under their prefixes, and the controls.
fn app(state: State) -> Router {
    let notion = notion::router()
        .merge(oauth::authorize_routes(App::Notion))
        .merge(oauth::token_routes(App::Notion));
    let github_web = oauth::authorize_routes(App::Github).merge(oauth::token_routes(App::Github));
    let atlassian_auth =
        oauth::authorize_routes(App::Atlassian).merge(oauth::token_routes(App::Atlassian));
    let salesforce_login =
        oauth::authorize_routes(App::Salesforce).merge(oauth::token_routes(App::Salesforce));
    let slack = slack::router()
        .merge(oauth::authorize_routes(App::Slack))
        .merge(oauth::token_routes(App::Slack));
    let apps = Router::new()
        .nest("/notion", notion)
        .nest("/linear", linear::router())
        .nest("/github-web", github_web)
        .nest("/github", github::router())
        .nest("/google-accounts", oauth::authorize_routes(App::Google))
        .nest("/google-oauth", oauth::token_routes(App::Google))
        .nest("/google", google::router())
        .nest("/atlassian-auth", atlassian_auth)
        .nest("/atlassian", atlassian::router())
        .nest("/salesforce-login", salesforce_login)
        .nest("/salesforce", salesforce::router())
        .nest("/slack", slack)
        .nest("/generic", generic::router())
        .layer(from_fn_with_state(state.clone(), echo::layer))
        .layer(from_fn_with_state(state.clone(), record::layer));
    apps.merge(control::router())
        .merge(oauth::control::router())
        .merge(generic::control::router())
        .fallback(|| async {
            let body = json!({ "error": "no such route on the fake provider" });
            (StatusCode::NOT_FOUND, Json(body))
        })
        .with_state(state)
}

/// A fake provider serving in the background; dropping it stops the server.
pub struct RunningFake {
    addr: SocketAddr,
    state: State,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<io::Result<()>>>,
}

impl RunningFake {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`; apps live under their prefixes (see the crate docs).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The authorization server: clients, consent, settings, faults, introspection.
    pub fn oauth(&self) -> OauthControl {
        OauthControl::new(self.state.clone())
    }

    /// Where `app`'s authorize, token and revocation endpoints are on this fake.
    pub fn oauth_endpoints(&self, app: App) -> Endpoints {
        oauth::endpoints(app, &self.base_url())
    }

    /// The Notion workspace of OAuth user `user` (created on first use, as an authorization
    /// would), e.g. for its root page id.
    pub fn notion_oauth_workspace(&self, user: &str) -> NotionSeed {
        self.state
            .with(|inner| notion::oauth_workspace(inner, user))
    }

    /// The generic app: canned answers and API keys (see [`crate::generic`]).
    pub fn generic(&self) -> GenericControl {
        GenericControl::new(self.state.clone())
    }

    /// Where the generic app serves the origin `https://{host}`: route it here.
    pub fn generic_base(&self, host: &str) -> String {
        format!("{}/generic/{host}", self.base_url())
    }

    /// The owner revokes a Notion integration secret or a Linear API key: it is refused (401)
    /// from now on. Returns whether it was known.
    pub fn revoke_app_key(&self, key: &str) -> bool {
        self.state.with(|inner| {
            let notion = inner.notion.remove(key).is_some();
            let linear = inner.linear.remove(key).is_some();
            notion || linear
        })
    }

    /// Accepts `token` as a Notion integration secret for a new workspace (idempotent).
    pub fn add_notion_token(&self, token: &str, user_name: &str) -> NotionSeed {
        self.state
            .with(|inner| notion::add_token(inner, token, user_name))
    }

    /// Accepts `key` as a Linear API key for a new account with one team (idempotent).
    pub fn add_linear_key(&self, key: &str, user_name: &str) -> LinearSeed {
        self.state
            .with(|inner| linear::add_key(inner, key, user_name))
    }

    /// Every issue of the Jira site, as `GET …/issue/{key}` shows it, oldest first.
    pub fn jira_issues(&self) -> Vec<serde_json::Value> {
        self.state.with(atlassian::issues)
    }

    /// Every Account of the Salesforce org, with all its fields.
    pub fn salesforce_accounts(&self) -> Vec<serde_json::Value> {
        self.state.with(salesforce::accounts)
    }

    /// Move the Salesforce org to `instance_url` (as Salesforce does in an instance refresh):
    /// the next token response, a refresh included, names the new instance.
    pub fn move_salesforce_org(&self, instance_url: &str) {
        self.state
            .with(|inner| inner.salesforce.move_to(instance_url));
    }

    /// The Slack workspace's messages, oldest first; only `channel`'s (id or name) when given.
    pub fn slack_messages(&self, channel: Option<&str>) -> Vec<slack::Message> {
        self.state.with(|inner| slack::messages(inner, channel))
    }

    /// The next `times` Slack Web API calls answer 429 `ratelimited` with this `Retry-After`.
    /// Returns how many are queued.
    pub fn slack_rate_limit(&self, times: u32, retry_after_secs: u32) -> u32 {
        self.state
            .with(|inner| slack::rate_limit(inner, times, retry_after_secs))
    }

    /// The app requests received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.with(|inner| inner.requests.clone())
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.with(|inner| inner.requests.clear());
    }

    /// Turns echo mode on or off (see [`crate::echo`]).
    pub fn set_echo(&self, enabled: bool) {
        self.state.with(|inner| inner.echo = enabled);
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}
