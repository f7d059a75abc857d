//! Operator API for groups: who belongs, and which connectors' group connections they share.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::body::JsonBody;
use super::caller::AdminCaller;
use super::problem::Problem;
use super::tools::valid_principal_id;
use crate::app::App;
use crate::vault::principals::Group;

fn not_found(id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "group_not_found",
        "No such group",
        format!("no group {id:?}"),
    )
}

/// Body of `PUT /v1/admin/groups/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutGroup {
    pub members: Vec<String>,
    /// Connectors whose group connection members may use (explicit policy; empty: none).
    #[serde(default)]
    pub shared_connectors: Vec<String>,
}

/// `PUT /v1/admin/groups/{id}`: create or replace a group.
pub async fn put(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PutGroup>,
) -> Result<Json<Group>, Problem> {
    if !valid_principal_id(&id)
        || body.members.len() > 10_000
        || !body.members.iter().all(|m| valid_principal_id(m))
    {
        return Err(Problem::invalid_request(
            "group and member ids must be 1..256 printable characters",
        ));
    }
    if let Some(bad) = body
        .shared_connectors
        .iter()
        .find(|c| !crate::plugin::manifest::valid_connector_id(c))
    {
        return Err(Problem::invalid_request(format!(
            "{bad:?} is not a connector id"
        )));
    }
    let group = app
        .vault
        .principals()
        .put_group(&id, &body.shared_connectors, &body.members)
        .await
        .map_err(Problem::from)?;
    tracing::info!(admin = %admin.id, group = %group.id, members = group.members.len(), shared = ?group.shared_connectors, "group set");
    Ok(Json(group))
}

/// `GET /v1/admin/groups/{id}`.
pub async fn get(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<Group>, Problem> {
    app.vault
        .principals()
        .get_group(&id)
        .await
        .map_err(Problem::from)?
        .map(Json)
        .ok_or_else(|| not_found(&id))
}

/// `DELETE /v1/admin/groups/{id}` (its connections stay until deleted).
pub async fn delete(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    if app
        .vault
        .principals()
        .delete_group(&id)
        .await
        .map_err(Problem::from)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}
