//! The redirect back from the provider: every check on `state` happens before any token
//! request, and a code exchange is never retried after an ambiguous failure.
//!
//! The state is read first and spent only once the response passed the checks that tell a
//! foreign response from the user's own (the browser binding, the issuer): a response from
//! another browser or a mixed-up issuer is refused without using up the user's state.

use std::collections::BTreeMap;
use std::sync::Arc;

use oauth2::{AuthorizationCode, PkceCodeVerifier};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::authorize::digest;
use super::error::{TokenError, classify};
use super::provider::{self, ProviderError};
use super::tokens::{TokenSet, received_now};
use crate::app::App;
use crate::auth::connect;
use crate::clock::now_ms;
use crate::plugin::LoadedPlugin;
use crate::vault::flows::{ConnectSession, Consumed, Peeked, SessionStatus};
use crate::vault::{ConnectionRecord, NewConnection, SchemeKind, SecretField, VaultError};

/// The query of a callback request (its `code` and `state` are credentials: no `Debug`).
#[derive(Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Why a callback was refused. None of these sends a token request.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("the response carries no state parameter")]
    MissingState,
    #[error("the state is not one this gateway issued (forged or altered)")]
    UnknownState,
    #[error("this authorization response was already used")]
    ReplayedState,
    #[error("the authorization took too long; start again")]
    ExpiredState,
    #[error("the authorization was started in another browser session")]
    WrongBrowser,
    #[error("the response arrived at the wrong connector's callback")]
    WrongConnector,
    #[error("the response comes from an unexpected issuer (possible mix-up attack)")]
    WrongIssuer,
    #[error("the response does not name its issuer although the server always does (RFC 9207)")]
    MissingIssuer,
    #[error("the connect link is no longer usable: {0}")]
    SessionClosed(String),
    #[error("the response carries no authorization code")]
    MissingCode,
    #[error("access was not granted: {0}")]
    Denied(String),
    #[error("the connector {0} is not loaded")]
    UnknownConnector(String),
    #[error("the code could not be exchanged: {0}")]
    Exchange(TokenError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// A finished connection.
#[derive(Debug)]
pub struct Connected {
    pub session: ConnectSession,
    pub connection: ConnectionRecord,
    pub plugin: Arc<LoadedPlugin>,
}

/// A refusal, with the session it belonged to when one was identified (for a retry link).
#[derive(Debug)]
pub struct Refused {
    pub error: CallbackError,
    pub session: Option<ConnectSession>,
}

fn refuse(error: CallbackError, session: Option<ConnectSession>) -> Refused {
    Refused { error, session }
}

/// Handle `GET /v1/oauth/callback/{connector}`.
pub async fn handle(
    app: &App,
    connector_id: &str,
    query: CallbackQuery,
    browser_nonce: Option<SecretString>,
) -> Result<Connected, Refused> {
    let state = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(refuse(CallbackError::MissingState, None))?;
    let (state_hash, now) = (digest(state), now_ms());
    let peeked = app
        .vault
        .flows()
        .peek_state(&state_hash)
        .await
        .map_err(|e| refuse(e.into(), None))?;
    let pending = match peeked {
        Peeked::Unknown => return Err(refuse(CallbackError::UnknownState, None)),
        Peeked::AlreadyUsed => return Err(refuse(CallbackError::ReplayedState, None)),
        Peeked::Pending(p) => p,
    };
    let session = connect::get(app, &pending.session_id)
        .await
        .map_err(|e| refuse(e.into(), None))?;
    let session = session.ok_or(refuse(CallbackError::UnknownState, None))?;
    let with = |e: CallbackError| refuse(e, Some(session.clone()));

    if now >= pending.expires_at {
        return Err(with(CallbackError::ExpiredState));
    }
    if pending.connector_id != connector_id {
        return Err(with(CallbackError::WrongConnector));
    }
    let browser_ok = browser_nonce
        .as_ref()
        .map(|n| bool::from(digest(n.expose_secret()).ct_eq(&pending.browser_hash)))
        .unwrap_or(false);
    if !browser_ok {
        return Err(with(CallbackError::WrongBrowser));
    }
    match session.effective_status(now) {
        SessionStatus::Pending => {}
        other => return Err(with(CallbackError::SessionClosed(other.name().to_string()))),
    }
    let plugin = app
        .registry
        .get(connector_id)
        .ok_or(with(CallbackError::UnknownConnector(
            connector_id.to_string(),
        )))?;
    let resolved = provider::resolve(app, &plugin)
        .await
        .map_err(|e| with(e.into()))?;
    // RFC 9207: when the server names itself, it must be the one we sent the user to; a server
    // that promised to always name itself must have done so.
    match (&query.iss, &pending.issuer) {
        (Some(iss), Some(expected)) if iss != expected => {
            return Err(with(CallbackError::WrongIssuer));
        }
        (None, Some(_)) if resolved.iss_required => {
            return Err(with(CallbackError::MissingIssuer));
        }
        (Some(_), None) => tracing::debug!(
            connector = connector_id,
            "callback carries iss but no issuer is configured"
        ),
        _ => {}
    }
    // The response is this browser's own: spend the state (a concurrent replay loses here).
    let consumed = app
        .vault
        .flows()
        .consume_state(&state_hash, now)
        .await
        .map_err(|e| with(e.into()))?;
    if !matches!(consumed, Consumed::Fresh(_)) {
        return Err(with(CallbackError::ReplayedState));
    }
    if let Some(error) = &query.error {
        let detail = match &query.error_description {
            Some(d) => format!("{error}: {}", d.chars().take(200).collect::<String>()),
            None => error.clone(),
        };
        // Denied or failed at the provider: the link stays usable, so "Try again" works.
        let refused = CallbackError::Denied(detail);
        let _ = connect::record_error(app, &session.id, &refused.to_string()).await;
        return Err(with(refused));
    }
    let code = query
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(with(CallbackError::MissingCode))?;

    let client = resolved
        .client(Some(&pending.redirect_uri))
        .map_err(|e| with(e.into()))?;
    let http = resolved
        .token_http(&app.egress)
        .map_err(|e| with(e.into()))?;
    let verifier = PkceCodeVerifier::new(pending.verifier.expose_secret().to_string());
    let exchange = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| {
            with(CallbackError::Provider(ProviderError::BadEndpoint {
                connector: connector_id.to_string(),
                reason: e.to_string(),
            }))
        })?
        .set_pkce_verifier(verifier);
    let result = exchange.request_async(&http).await;
    let received_at = received_now();
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            // Never retried: after an ambiguous failure the code may be spent; the user starts over.
            let err = classify(e, &http.observed());
            tracing::warn!(connector = connector_id, session = %session.id, error = %err, "code exchange failed");
            let _ = connect::record_error(app, &session.id, &err.to_string()).await;
            return Err(with(CallbackError::Exchange(err)));
        }
    };
    let tokens = TokenSet::from_response(&response, &http.observed());
    let metadata = connection_metadata(app, &plugin, http.observed().public).await;
    let secrets = {
        let mut s = vec![(SecretField::AccessToken, tokens.access_token.clone())];
        if let Some(r) = &tokens.refresh_token {
            s.push((SecretField::RefreshToken, r.clone()));
        }
        if let Some(extra) = tokens.extra_tokens_json() {
            s.push((SecretField::ExtraTokens, extra));
        }
        s
    };
    let new = NewConnection {
        connector_id: connector_id.to_string(),
        owner: session.owner.clone(),
        scheme: SchemeKind::Oauth2,
        // Providers that do not echo scopes granted what was asked (RFC 6749 §5.1).
        granted_scopes: tokens
            .scopes
            .clone()
            .unwrap_or_else(|| pending.scopes.clone()),
        metadata,
        expires_at: tokens.expires_at(received_at),
    };
    let connection = app
        .vault
        .connections()
        .put(new, secrets)
        .await
        .map_err(|e| with(e.into()))?;
    let connection = learn_identity(app, &plugin, connection).await;
    if let Err(e) = crate::health::connected(app, &connection).await {
        tracing::error!(connection = %connection.id, error = %e, "cannot resolve alerts or resume jobs");
    }
    if !connect::complete(app, &session.id, &connection.id)
        .await
        .map_err(|e| with(e.into()))?
    {
        tracing::warn!(session = %session.id, "session ended while its code was being exchanged");
    }
    crate::audit::record(
        app,
        crate::vault::audit::Event {
            event: "connect".into(),
            user_id: Some(connection.owner.id().to_string()),
            connector: Some(connector_id.to_string()),
            connection: Some(connection.id.clone()),
            scopes: connection.granted_scopes.clone(),
            outcome: "ok".into(),
            detail: Some("oauth2".into()),
            ..Default::default()
        },
    )
    .await;
    tracing::info!(
        connector = connector_id,
        connection = %connection.id,
        owner = ?connection.owner,
        scopes = ?connection.granted_scopes,
        "connected"
    );
    let session = connect::get(app, &session.id)
        .await
        .ok()
        .flatten()
        .unwrap_or(session);
    Ok(Connected {
        session,
        connection,
        plugin,
    })
}

/// Non-secret facts the connector picks out of the (secret-stripped) token response.
pub(crate) async fn connection_metadata(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    public: Option<serde_json::Value>,
) -> BTreeMap<String, String> {
    let Some(public) = public else {
        return BTreeMap::new();
    };
    match app
        .runtime
        .connection_metadata(plugin, public.to_string())
        .await
    {
        Ok(Ok(pairs)) => pairs
            .into_iter()
            .filter(|(k, v)| !k.is_empty() && k.len() <= 64 && v.len() <= 1024)
            .take(32)
            .collect(),
        Ok(Err(e)) => {
            tracing::warn!(connector = %plugin.manifest.id, error = ?e, "connection-metadata refused the token response");
            BTreeMap::new()
        }
        Err(failure) => {
            tracing::warn!(connector = %plugin.manifest.id, %failure, "connection-metadata failed");
            BTreeMap::new()
        }
    }
}

/// What a connection keeps of the identity `verify` answered: the connector's (bounded)
/// metadata and the account's display name.
pub fn identity_metadata(identity: crate::plugin::Identity) -> BTreeMap<String, String> {
    let mut entries: BTreeMap<String, String> = identity
        .metadata
        .into_iter()
        .filter(|(k, v)| !k.is_empty() && k.len() <= 64 && v.len() <= 1024)
        .take(32)
        .collect();
    entries.insert(
        "account".into(),
        identity.display_name.unwrap_or(identity.subject),
    );
    entries
}

/// Ask the connector who the new credential belongs to, and keep the non-secret answer (e.g.
/// Jira's cloud id, the account name) as connection metadata. A failure here does not undo
/// the connection: calls will surface any real problem.
pub async fn learn_identity(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    connection: ConnectionRecord,
) -> ConnectionRecord {
    let credentials = match crate::toolcall::credential::for_connection(
        &app.vault,
        &plugin.manifest,
        &connection,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(connection = %connection.id, error = %e, "cannot build the new connection's credential");
            return connection;
        }
    };
    let ctx = crate::plugin::CallContext {
        user_id: connection.owner.id().to_string(),
        connection_id: connection.id.clone(),
        metadata: connection.metadata.clone(),
        granted_scopes: connection.granted_scopes.clone(),
    };
    let identity = match crate::toolcall::verify_with(app, plugin, credentials, &ctx).await {
        Ok(Ok(identity)) => identity,
        Ok(Err(e)) => {
            tracing::warn!(connection = %connection.id, error = ?e, "verify after connect failed");
            return connection;
        }
        Err(failure) => {
            tracing::warn!(connection = %connection.id, %failure, "verify after connect failed");
            return connection;
        }
    };
    match app
        .vault
        .connections()
        .merge_metadata(&connection.id, &identity_metadata(identity))
        .await
    {
        Ok(Some(updated)) => updated,
        Ok(None) => connection,
        Err(e) => {
            tracing::warn!(connection = %connection.id, error = %e, "cannot store identity metadata");
            connection
        }
    }
}
