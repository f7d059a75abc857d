//! Operator API for the audit log: read entries, verify the chain.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::caller::AdminCaller;
use super::problem::Problem;
use crate::app::App;
use crate::vault::audit;

/// Query of `GET /v1/admin/audit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

/// `GET /v1/admin/audit?after=SEQ&limit=N`: entries in order.
pub async fn list(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(page) = query.map_err(|e| Problem::invalid_request(e.body_text()))?;
    let limit = page.limit.clamp(1, 1000);
    let entries = app
        .vault
        .audit()
        .list(page.after, limit)
        .await
        .map_err(Problem::from)?;
    Ok(Json(json!({ "entries": entries })))
}

/// `GET /v1/admin/audit/verify`: walk the chain.
pub async fn verify(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
) -> Result<Json<audit::Verdict>, Problem> {
    app.vault
        .audit()
        .verify()
        .await
        .map(Json)
        .map_err(Problem::from)
}
