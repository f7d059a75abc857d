//! A running gateway: the one constructor that assembles it from a configuration, starts the
//! background work asked for and serves the HTTP API on a listener. `latchkey serve` starts
//! its gateway here, and so does the auth test kit (`latchkey-check`), which then talks to it
//! over the HTTP API only; the few things it needs that the API does not offer an operator
//! (an admin key to begin with, a refresh on demand) are methods of [`Gateway`].

use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{App, StartError, StartOptions};
use crate::auth::api_keys::{self, Grant};
use crate::vault::{KeyKind, VaultError};

/// Which background loops run beside request handling.
#[derive(Debug, Clone, Copy)]
pub struct Workers {
    /// Deliver alerts to webhooks and Slack.
    pub alert_delivery: bool,
    /// Run queued and resumed jobs.
    pub jobs: bool,
    /// Health probes and proactive refresh ahead of expiry.
    pub health: bool,
}

impl Default for Workers {
    /// Everything, as a serving gateway runs.
    fn default() -> Self {
        Workers {
            alert_delivery: true,
            jobs: true,
            health: true,
        }
    }
}

/// A gateway serving its HTTP API until [`Gateway::shutdown`].
pub struct Gateway {
    app: Arc<App>,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    alert_worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Why a [`Gateway::refresh_now`] did not refresh.
#[derive(Debug, thiserror::Error)]
pub enum RefreshNowError {
    #[error("no connection {0:?}")]
    NoConnection(String),
    #[error("connector {0:?} is not loaded")]
    NotLoaded(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Refresh(String),
}

impl Gateway {
    /// Assemble the gateway from `config` (vault, plugins, egress, alerts), start the
    /// `workers` asked for and serve the API on `listener`. Links use the listener's address
    /// unless the configuration names a `public_url`.
    pub async fn start(
        config: crate::config::Config,
        listener: TcpListener,
        options: StartOptions,
        workers: Workers,
    ) -> Result<Gateway, StartError> {
        let address = listener
            .local_addr()
            .map_err(|source| StartError::Listen { source })?;
        let app = App::start_with(config, Some(address), options).await?;
        // MCP sessions hear of hot loads and unloads (`tools/list_changed`).
        app.tool_changes.watch_registry(app.registry.clone());
        let alert_worker = workers
            .alert_delivery
            .then(|| crate::alerts::deliver::spawn(app.clone()));
        if workers.jobs {
            crate::jobs::spawn_workers(app.clone());
        }
        if workers.health {
            crate::health::probe::spawn(app.clone());
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let router = crate::api::router(app.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Gateway {
            app,
            address,
            stop: Some(stop),
            server: Some(server),
            alert_worker,
        })
    }

    /// The address the API is served on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The externally visible base URL (links handed to users start with it).
    pub fn base_url(&self) -> &str {
        self.app.public_base()
    }

    /// Where the provider sends users back after consent for `connector_id`: the redirect URI
    /// an OAuth client must be registered with.
    pub fn redirect_uri(&self, connector_id: &str) -> String {
        crate::auth::oauth::authorize::redirect_uri(&self.app, connector_id)
    }

    /// A new admin key, shown once: what an operator gets from `latchkey admin-key create`.
    pub async fn create_admin_key(&self, name: &str) -> Result<SecretString, api_keys::KeyError> {
        let (_, key) =
            api_keys::create(&self.app.vault, KeyKind::Admin, name, Grant::default()).await?;
        Ok(key)
    }

    /// Refresh a connection's tokens now, whether or not they are due (the path a tool call
    /// takes when the upstream says the token expired).
    pub async fn refresh_now(&self, connection_id: &str) -> Result<(), RefreshNowError> {
        let connection = self
            .app
            .vault
            .connections()
            .get(connection_id)
            .await?
            .ok_or_else(|| RefreshNowError::NoConnection(connection_id.to_string()))?;
        let plugin = self
            .app
            .registry
            .get(&connection.connector_id)
            .ok_or_else(|| RefreshNowError::NotLoaded(connection.connector_id.clone()))?;
        crate::auth::oauth::refresh::ensure_fresh(&self.app, &plugin, &connection, true)
            .await
            .map(|_| ())
            .map_err(|e| RefreshNowError::Refresh(e.to_string()))
    }

    /// Serve until `signal` completes (then shut down) or the server fails.
    pub async fn serve_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        tokio::select! {
            ended = &mut server => return ended.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = signal => {}
        }
        self.server = Some(server);
        self.shutdown().await
    }

    /// Stop accepting requests, let the ones in flight finish, stop alert delivery.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(worker) = self.alert_worker.take() {
            worker.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}
