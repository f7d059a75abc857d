//! Connecting a whole tool pack in one flow: one link listing each app of the pack with its
//! own instructions and status, taking the user through each in turn; every app is asked for
//! exactly the scopes the pack's tools need from it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::connect::{self, LinkError};
use super::oauth::provider;
use crate::app::App;
use crate::clock::now_ms;
use crate::ids::new_id;
use crate::policy::scopes_by_connector;
use crate::toolcall::select;
use crate::vault::flows::{ConnectSession, PackSession, SessionStatus};
use crate::vault::{ConnectionStatus, Owner, SchemeKind, VaultError};

const PURPOSE: &str = "pack-link";

/// One app of a pack flow.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub connector: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// The user already has a working connection covering these scopes.
    pub connected: bool,
    /// Where to connect it (absent once connected).
    pub connect_url: Option<String>,
}

/// A pack flow with the URL to hand to its user.
#[derive(Debug, Clone)]
pub struct PackLink {
    pub session: PackSession,
    pub url: String,
    pub steps: Vec<Step>,
}

/// The URL of a pack flow's page.
pub fn url(app: &App, id: &str) -> Result<String, VaultError> {
    let token = URL_SAFE_NO_PAD.encode(connect::link_mac(app, PURPOSE, id)?);
    Ok(format!("{}/connect/pack/{id}/{token}", app.public_base()))
}

fn verify(app: &App, id: &str, token: &str) -> Result<bool, VaultError> {
    let Ok(presented) = URL_SAFE_NO_PAD.decode(token) else {
        return Ok(false);
    };
    Ok(connect::link_mac(app, PURPOSE, id)?
        .ct_eq(&presented)
        .into())
}

/// Start a flow for `owner` to connect every app of `pack`.
pub async fn start(
    app: &App,
    pack: &str,
    owner: Owner,
    return_to: Option<String>,
) -> Result<PackLink, LinkError> {
    if let Some(r) = &return_to
        && !connect::return_to_allowed(app, r)
    {
        return Err(LinkError::Refused(format!(
            "return_to {r:?} is not on an allowed origin"
        )));
    }
    let found = app.vault.catalog().get_pack(pack).await?;
    let found = found.ok_or_else(|| LinkError::Refused(format!("no pack named {pack:?}")))?;
    let now = now_ms();
    let session = PackSession {
        id: new_id("ps"),
        pack: found.name.clone(),
        owner: owner.clone(),
        return_to,
        created_at: now,
        expires_at: now + app.config.connect.session_ttl_ms(),
    };
    app.vault.flows().insert_pack_session(&session).await?;
    for (connector, scopes) in scopes_by_connector(&app.registry, found.tools.iter()) {
        connect::create_step(
            app,
            &connector,
            owner.clone(),
            scopes,
            None,
            Some(session.id.clone()),
        )
        .await?;
    }
    let steps = steps(app, &session).await?;
    Ok(PackLink {
        url: url(app, &session.id)?,
        session,
        steps,
    })
}

/// Open a flow from its link.
pub async fn open(app: &App, id: &str, token: &str) -> Result<(PackSession, Vec<Step>), LinkError> {
    if !crate::ids::looks_like("ps", id) || !verify(app, id, token)? {
        return Err(LinkError::Invalid);
    }
    let session = app
        .vault
        .flows()
        .get_pack_session(id)
        .await?
        .ok_or(LinkError::Invalid)?;
    let steps = steps(app, &session).await?;
    if now_ms() >= session.expires_at && !steps.iter().all(|s| s.connected) {
        return Err(LinkError::Expired);
    }
    Ok((session, steps))
}

/// Where each app of the flow stands, live: connected means a working connection that covers
/// the pack's scopes for that app (made in this flow or before it). An app whose last step was
/// used up without connecting it (e.g. the user unticked a permission) gets a fresh step, so a
/// flow never gets stuck.
pub async fn steps(app: &App, session: &PackSession) -> Result<Vec<Step>, VaultError> {
    let children = app.vault.flows().sessions_of_pack(&session.id).await?;
    // The newest step per app.
    let mut latest: Vec<ConnectSession> = Vec::new();
    for child in children {
        match latest
            .iter_mut()
            .find(|l| l.connector_id == child.connector_id)
        {
            Some(l) if l.created_at <= child.created_at => *l = child,
            Some(_) => {}
            None => latest.push(child),
        }
    }
    let now = now_ms();
    let mut out = Vec::with_capacity(latest.len());
    for child in latest {
        let plugin = app.registry.get(&child.connector_id);
        let name = plugin
            .as_ref()
            .map(|p| p.manifest.name.clone())
            .unwrap_or_else(|| child.connector_id.clone());
        let connected = match &session.owner {
            Owner::User(user) => select::connection_for(app, &child.connector_id, user).await?,
            group => {
                app.vault
                    .connections()
                    .find(&child.connector_id, group)
                    .await?
            }
        }
        .is_some_and(|c| {
            c.status == ConnectionStatus::Active
                && (matches!(c.scheme, SchemeKind::ApiKey | SchemeKind::Basic)
                    || child.scopes.iter().all(|s| c.granted_scopes.contains(s)))
        });
        let connect_url = if connected {
            None
        } else if child.effective_status(now) == SessionStatus::Pending {
            Some(connect::url(app, &child.id)?)
        } else if now < session.expires_at {
            let fresh = connect::create_step(
                app,
                &child.connector_id,
                session.owner.clone(),
                child.scopes.clone(),
                None,
                Some(session.id.clone()),
            )
            .await
            .map_err(|e| match e {
                LinkError::Vault(v) => v,
                other => VaultError::Malformed(other.to_string()),
            })?;
            Some(fresh.url)
        } else {
            None
        };
        // What the consent will ask: the pack's scopes plus the connector's base scopes.
        let mut scopes = child.scopes.clone();
        if let Some(base) = plugin
            .as_ref()
            .and_then(|p| provider::scheme_of(p).map(|s| s.base_scopes.clone()))
        {
            for b in base {
                if !scopes.contains(&b) {
                    scopes.push(b);
                }
            }
        }
        out.push(Step {
            connector: child.connector_id,
            name,
            scopes,
            connected,
            connect_url,
        });
    }
    Ok(out)
}

/// Whether every app of the flow is connected.
pub fn complete(steps: &[Step]) -> bool {
    steps.iter().all(|s| s.connected)
}

/// The first app still to connect: the flow takes the user through them in turn.
pub fn next(steps: &[Step]) -> Option<&Step> {
    steps.iter().find(|s| !s.connected)
}
