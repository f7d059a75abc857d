//! Tool packs: the operator defines them; agents connect a user to a whole pack at once.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::caller::{AdminCaller, AgentCaller};
use super::pages;
use super::problem::Problem;
use crate::app::App;
use crate::auth::connect::LinkError;
use crate::auth::pack_flow::{self, Step};
use crate::clock::format_utc;
use crate::vault::Owner;
use crate::vault::catalog::Pack;

/// Whether `name` is a valid pack name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Body of `PUT /v1/admin/packs/{name}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutPack {
    #[serde(default)]
    pub description: String,
    pub tools: Vec<String>,
}

/// `PUT /v1/admin/packs/{name}`: define a pack; every tool must exist now.
pub async fn put(
    State(app): State<Arc<App>>,
    AdminCaller(admin): AdminCaller,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<PutPack>,
) -> Result<Json<Pack>, Problem> {
    if !valid_name(&name) {
        return Err(Problem::invalid_request(
            "pack names are 1..64 of [a-z0-9_-]",
        ));
    }
    if body.tools.is_empty() || body.tools.len() > 256 {
        return Err(Problem::invalid_request("a pack lists 1..256 tools"));
    }
    if let Some(unknown) = body
        .tools
        .iter()
        .find(|t| app.registry.resolve_tool(t).is_none())
    {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "tool_not_found",
            "No such tool",
            format!("no tool named {unknown:?}"),
        ));
    }
    let pack = Pack {
        name,
        description: body.description,
        tools: body.tools,
    };
    app.vault
        .catalog()
        .put_pack(&pack)
        .await
        .map_err(Problem::from)?;
    tracing::info!(admin = %admin.id, pack = %pack.name, tools = pack.tools.len(), "pack set");
    app.tool_changes.bump();
    Ok(Json(pack))
}

/// `GET /v1/admin/packs`: every pack with the scopes it asks of each connector.
pub async fn list(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
) -> Result<Json<Value>, Problem> {
    let all = app
        .vault
        .catalog()
        .list_packs()
        .await
        .map_err(Problem::from)?;
    let shown: Vec<Value> = all
        .into_iter()
        .map(|p| {
            let scopes = crate::policy::scopes_by_connector(&app.registry, p.tools.iter());
            json!({"name": p.name, "description": p.description, "tools": p.tools, "scopes": scopes})
        })
        .collect();
    Ok(Json(json!({ "packs": shown })))
}

/// `DELETE /v1/admin/packs/{name}`.
pub async fn delete(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    if app
        .vault
        .catalog()
        .delete_pack(&name)
        .await
        .map_err(Problem::from)?
    {
        app.tool_changes.bump();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            "pack_not_found",
            "No such pack",
            format!("no pack {name:?}"),
        ))
    }
}

/// Body of `POST /v1/pack-sessions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPackSession {
    pub pack: String,
    pub user_id: Option<String>,
    pub return_to: Option<String>,
}

fn step_json(steps: &[Step]) -> Value {
    json!(steps)
}

/// `POST /v1/pack-sessions`: one link for a user to connect every app of a pack.
pub async fn create(
    State(app): State<Arc<App>>,
    caller: AgentCaller,
    JsonBody(body): JsonBody<NewPackSession>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let user = super::tools::acting_user(&caller, body.user_id.as_deref())?;
    if let Some(own) = &caller.0.packs
        && !own.contains(&body.pack)
    {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "pack_not_allowed",
            "This caller may not use that pack",
            format!("pack {:?} is not among the caller's", body.pack),
        ));
    }
    let link = pack_flow::start(&app, &body.pack, Owner::User(user), body.return_to).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": link.session.id,
            "url": link.url,
            "expires_at": link.session.expires_at,
            "status_url": format!("/v1/authorizations/{}", link.session.id),
            "apps": step_json(&link.steps),
        })),
    ))
}

/// `GET /connect/pack/{id}/{token}`: the pack page — each app, its status, the next step.
pub async fn page(
    State(app): State<Arc<App>>,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    let (session, steps) = match pack_flow::open(&app, &id, &token).await {
        Ok(x) => x,
        Err(LinkError::Vault(e)) => {
            tracing::error!(error = %e, "cannot open a pack flow");
            return pages::result(
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                "Try again later",
                "The gateway cannot reach its storage.",
                None,
            );
        }
        Err(e) => {
            return pages::result(
                StatusCode::GONE,
                false,
                "This link cannot be used",
                &format!(
                    "{} Ask your agent for a new link.",
                    pages::sentence(&e.to_string())
                ),
                None,
            );
        }
    };
    let done = pack_flow::complete(&steps);
    if done
        && let Some(return_to) = &session.return_to
        && let Ok(mut url) = url::Url::parse(return_to)
    {
        url.query_pairs_mut()
            .append_pair("latchkey_status", "connected");
        return Redirect::to(url.as_str()).into_response();
    }
    let next = pack_flow::next(&steps).map(|s| s.connector.clone());
    // Only an OAuth consent asks the app for permissions; a pasted key brings its own.
    let shown: Vec<Value> = steps
        .iter()
        .map(|step| {
            let plugin = app.registry.get(&step.connector);
            let asks = plugin
                .as_deref()
                .is_some_and(|p| crate::auth::oauth::provider::scheme_of(p).is_some());
            let meanings = plugin
                .as_deref()
                .map(|p| pages::instructions::split(&p.manifest.setup_instructions).scopes)
                .unwrap_or_default();
            let scopes: Vec<Value> = if asks {
                step.scopes
                    .iter()
                    .map(|s| json!({"name": s, "meaning": meanings.get(s)}))
                    .collect()
            } else {
                Vec::new()
            };
            json!({
                "connector": step.connector,
                "name": step.name,
                "connected": step.connected,
                "connect_url": step.connect_url,
                "scopes": scopes,
                "pasted_key": !asks,
            })
        })
        .collect();
    pages::render(
        StatusCode::OK,
        "pack.html",
        minijinja::context! {
            pack => session.pack.clone(),
            owner => session.owner.id().to_string(),
            operator => app.config.connect.operator_name.clone(),
            steps => minijinja::Value::from(minijinja::value::Serde(&shown)),
            next => next,
            done => done,
            expires => format_utc(session.expires_at),
        },
    )
}
