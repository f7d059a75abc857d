//! Auth test kit fixture: `add_item` writes but declares only `items:read`; its provider (the
//! fake's generic app, set up by `check.toml` beside this crate) wants `items:write`.

use latchkey_sdk::prelude::*;
use serde_json::{Value, json};

const API: &str = "https://api.kit-undeclared.test";

/// A new item.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddItem {
    /// Its name.
    name: String,
}

fn list_items(_: &Context, _: NoInput) -> Result<Value, CallError> {
    Request::get(format!("{API}/v1/items"))
        .authenticated()
        .send()?
        .json()
}

fn add_item(_: &Context, input: AddItem) -> Result<Value, CallError> {
    Request::post(format!("{API}/v1/items"))
        .json(&json!({ "name": input.name }))?
        .authenticated()
        .send()?
        .json()
}

struct KitUndeclaredScope;

impl Connector for KitUndeclaredScope {
    fn manifest() -> Manifest {
        let oauth = Oauth2Scheme::new(
            "https://auth.kit-undeclared.test/authorize",
            "https://auth.kit-undeclared.test/token",
        )
        .default_scopes(&["items:read", "items:write"]);
        Manifest::new(
            "kit-undeclared-scope",
            "Kit Undeclared Scope",
            env!("CARGO_PKG_VERSION"),
        )
        .auth(oauth)
        .allow_host(API)
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only("list_items", "All items.", &["items:read"], list_items)
            // The mistake: it needs items:write.
            .tool("add_item", "Add an item.", &["items:read"], add_item)
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me: Value = Request::get(format!("{API}/v1/me"))
            .authenticated()
            .send()?
            .json()?;
        Ok(Identity::new(me["id"].as_str().unwrap_or("someone")))
    }
}

latchkey_sdk::export_connector!(KitUndeclaredScope);
