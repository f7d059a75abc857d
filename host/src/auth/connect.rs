//! Connect sessions: the single-use, expiring link a user follows to connect one connector.
//! The link carries a MAC of the session id (nothing secret is stored); a session completes
//! once, and agents can wait for it.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::app::App;
use crate::clock::now_ms;
use crate::ids::new_id;
use crate::vault::flows::{ConnectSession, SessionStatus};
use crate::vault::{Owner, VaultError};

/// Longest a connect link lives (DESIGN: ≤ 30 minutes).
pub const MAX_TTL_MS: i64 = 30 * 60 * 1000;

/// Why a link cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
    #[error("this link was already used")]
    Used,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// A session with the URL to hand to its user.
#[derive(Debug, Clone)]
pub struct ConnectLink {
    pub session: ConnectSession,
    pub url: String,
}

fn mac(app: &App, session_id: &str) -> Result<Vec<u8>, VaultError> {
    link_mac(app, "connect-link", session_id)
}

/// A MAC of `id` under the key for `purpose`: links carry it instead of a stored secret.
pub fn link_mac(app: &App, purpose: &str, id: &str) -> Result<Vec<u8>, VaultError> {
    let key = app.vault.derive_key(purpose)?;
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .map_err(|_| VaultError::Malformed("link key".into()))?;
    m.update(id.as_bytes());
    Ok(m.finalize().into_bytes().to_vec())
}

/// The URL of a session's connect page.
pub fn url(app: &App, session_id: &str) -> Result<String, VaultError> {
    let token = URL_SAFE_NO_PAD.encode(mac(app, session_id)?);
    Ok(format!(
        "{}/connect/{session_id}/{token}",
        app.public_base()
    ))
}

/// Check a link's MAC in constant time.
pub fn verify(app: &App, session_id: &str, token: &str) -> Result<bool, VaultError> {
    let Ok(presented) = URL_SAFE_NO_PAD.decode(token) else {
        return Ok(false);
    };
    Ok(mac(app, session_id)?.ct_eq(&presented).into())
}

/// Whether `return_to` may be used: an absolute http(s) URL on an origin the operator allowed.
pub fn return_to_allowed(app: &App, return_to: &str) -> bool {
    let Ok(url) = url::Url::parse(return_to) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return false;
    }
    let origin = url.origin().ascii_serialization();
    app.config
        .connect
        .allowed_return_origins
        .iter()
        .any(|o| o.trim_end_matches('/') == origin)
}

/// Start a new session for `owner` to connect `connector_id`.
pub async fn create(
    app: &App,
    connector_id: &str,
    owner: Owner,
    scopes: Vec<String>,
    return_to: Option<String>,
) -> Result<ConnectLink, LinkError> {
    create_step(app, connector_id, owner, scopes, return_to, None).await
}

/// Start a session, as one step of the pack flow `pack_session_id` when given.
pub async fn create_step(
    app: &App,
    connector_id: &str,
    owner: Owner,
    scopes: Vec<String>,
    return_to: Option<String>,
    pack_session_id: Option<String>,
) -> Result<ConnectLink, LinkError> {
    if let Some(r) = &return_to
        && !return_to_allowed(app, r)
    {
        return Err(LinkError::Refused(format!(
            "return_to {r:?} is not on an origin the operator allowed ([connect] allowed_return_origins)"
        )));
    }
    let now = now_ms();
    let session = ConnectSession {
        id: new_id("cs"),
        connector_id: connector_id.to_string(),
        owner,
        scopes,
        return_to,
        status: SessionStatus::Pending,
        error: None,
        connection_id: None,
        created_at: now,
        expires_at: now + app.config.connect.session_ttl_ms(),
        completed_at: None,
        pack_session_id,
    };
    app.vault.flows().insert_session(&session).await?;
    let url = url(app, &session.id)?;
    Ok(ConnectLink { session, url })
}

/// A pending session for (connector, owner) that asks for at least `scopes`, or a new one.
pub async fn find_or_create(
    app: &App,
    connector_id: &str,
    owner: Owner,
    scopes: Vec<String>,
) -> Result<ConnectLink, LinkError> {
    let now = now_ms();
    let pending = app
        .vault
        .flows()
        .pending_sessions(connector_id, &owner, now)
        .await?;
    // Reuse only sessions with plenty of life left (a third of the configured lifetime), so
    // the user is not handed a dying link.
    let plenty = app.config.connect.session_ttl_ms() / 3;
    if let Some(session) = pending.into_iter().find(|s| {
        s.return_to.is_none()
            && s.expires_at - now > plenty
            && scopes.iter().all(|x| s.scopes.contains(x))
    }) {
        let url = url(app, &session.id)?;
        return Ok(ConnectLink { session, url });
    }
    create(app, connector_id, owner, scopes, None).await
}

/// Load a session from a link, checking the MAC and that it is still usable.
pub async fn open(app: &App, session_id: &str, token: &str) -> Result<ConnectSession, LinkError> {
    if !crate::ids::looks_like("cs", session_id) || !verify(app, session_id, token)? {
        return Err(LinkError::Invalid);
    }
    let session = get(app, session_id).await?.ok_or(LinkError::Invalid)?;
    match session.effective_status(now_ms()) {
        SessionStatus::Pending => Ok(session),
        SessionStatus::Expired => Err(LinkError::Expired),
        SessionStatus::Completed => Err(LinkError::Used),
        SessionStatus::Failed => Err(LinkError::Refused(
            session
                .error
                .clone()
                .unwrap_or_else(|| "this connection attempt failed".into()),
        )),
    }
}

/// A session by id.
pub async fn get(app: &App, session_id: &str) -> Result<Option<ConnectSession>, VaultError> {
    app.vault.flows().get_session(session_id).await
}

/// Mark a session completed; false if it was no longer pending (a link works once).
pub async fn complete(
    app: &App,
    session_id: &str,
    connection_id: &str,
) -> Result<bool, VaultError> {
    let done = app
        .vault
        .flows()
        .complete_session(session_id, connection_id)
        .await?;
    app.sessions_changed.notify_waiters();
    Ok(done)
}

/// Remember why the last attempt failed; the link stays usable for a retry.
pub async fn record_error(app: &App, session_id: &str, reason: &str) -> Result<(), VaultError> {
    app.vault
        .flows()
        .record_session_error(session_id, reason)
        .await
}

/// Wait up to `timeout` for a session to reach a final state; returns it as it stands then.
pub async fn wait(
    app: &App,
    session_id: &str,
    timeout: Duration,
) -> Result<Option<ConnectSession>, VaultError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // Register interest before reading, so a change in between is not missed.
        let changed = app.sessions_changed.notified();
        let session = get(app, session_id).await?;
        let Some(session) = session else {
            return Ok(None);
        };
        if session.effective_status(now_ms()).is_final() || tokio::time::Instant::now() >= deadline
        {
            return Ok(Some(session));
        }
        // Another gateway instance may complete it: re-read at least every second.
        let tick = deadline.min(tokio::time::Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = changed => {}
            _ = tokio::time::sleep_until(tick) => {}
        }
    }
}
