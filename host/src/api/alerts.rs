//! Alerts: the operator's list, manual probes, and the stable reconnect link alerts carry.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::caller::AdminCaller;
use super::pages;
use super::problem::Problem;
use crate::app::App;
use crate::auth::connect;

/// Query of `GET /v1/alerts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default)]
    open: bool,
}

/// `GET /v1/alerts[?open=true]`: incidents with their delivery state.
pub async fn list(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    query: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(f) = query.map_err(|e| Problem::invalid_request(e.body_text()))?;
    let mut found = Vec::new();
    for a in app
        .vault
        .alerts()
        .list_alerts(f.open)
        .await
        .map_err(Problem::from)?
    {
        let deliveries = app
            .vault
            .alerts()
            .deliveries_of(&a.id)
            .await
            .map_err(Problem::from)?;
        found.push((a, deliveries));
    }
    let shown: Vec<Value> = found
        .into_iter()
        .map(|(a, deliveries)| {
            let mut v = json!(a);
            v["deliveries"] = json!(deliveries);
            if a.status == "open" {
                v["reconnect_url"] = json!(crate::alerts::reconnect_url(&app, &a.id).ok());
            }
            v
        })
        .collect();
    Ok(Json(json!({ "alerts": shown })))
}

/// `POST /v1/admin/connections/{id}/probe`: check one connection now.
pub async fn probe(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let connection = super::admin::connection_or_404(&app, &id).await?;
    let outcome = crate::health::probe::probe(&app, &connection)
        .await
        .map_err(Problem::from)?;
    Ok(Json(json!(outcome)))
}

/// `GET /reconnect/{alert}/{token}`: while the alert is open, start a fresh connect session for
/// the connection's owner (asking again for what it had, plus anything it lost).
pub async fn reconnect(
    State(app): State<Arc<App>>,
    Path((alert_id, token)): Path<(String, String)>,
) -> Response {
    let gone = || {
        pages::result(
            StatusCode::GONE,
            false,
            "This link cannot be used",
            "This connection was already fixed, or the link is not valid.",
            None,
        )
    };
    if !crate::ids::looks_like("al", &alert_id)
        || !crate::alerts::verify_reconnect(&app, &alert_id, &token).unwrap_or(false)
    {
        return gone();
    }
    let alert = match app.vault.alerts().get_alert(&alert_id).await {
        Ok(Some(a)) if a.status == "open" => a,
        Ok(_) => return gone(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read an alert");
            return pages::result(
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                "Try again later",
                "The gateway cannot reach its storage.",
                None,
            );
        }
    };
    let connection = match app.vault.connections().get(&alert.connection_id).await {
        Ok(Some(c)) => c,
        _ => return gone(),
    };
    let mut scopes = connection.granted_scopes.clone();
    for s in connection
        .lost_scopes
        .iter()
        .chain(alert.missing_scopes.iter())
    {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    match connect::find_or_create(
        &app,
        &connection.connector_id,
        connection.owner.clone(),
        scopes,
    )
    .await
    {
        Ok(link) => Redirect::to(&link.url).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot start a reconnect session");
            pages::result(
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                "Try again later",
                "The gateway could not start the connection.",
                None,
            )
        }
    }
}
