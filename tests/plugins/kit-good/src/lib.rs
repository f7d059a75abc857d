//! A well-behaved connector for an app the fake provider has no realistic stand-in for, so the
//! auth test kit drives it against the fake's generic app: OAuth 2.0 (PKCE, refresh), an API
//! key and username/password, a read tool and a write tool with their scopes, errors mapped by
//! the SDK.

use latchkey_sdk::prelude::*;
use serde_json::{Value, json};

const API: &str = "https://api.kit-good.test";

/// Items whose name contains some text.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListItems {
    /// Text to look for.
    query: Option<String>,
}

/// A new item.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddItem {
    /// Its name.
    name: String,
}

fn list_items(_: &Context, input: ListItems) -> Result<Value, CallError> {
    let mut request = Request::get(format!("{API}/v1/items")).authenticated();
    if let Some(q) = &input.query {
        request = request.query("q", q);
    }
    request.send()?.json()
}

fn add_item(_: &Context, input: AddItem) -> Result<Value, CallError> {
    Request::post(format!("{API}/v1/items"))
        .json(&json!({ "name": input.name }))?
        .authenticated()
        .send()?
        .json()
}

struct KitGood;

impl Connector for KitGood {
    fn manifest() -> Manifest {
        let oauth = Oauth2Scheme::new(
            "https://auth.kit-good.test/oauth/authorize",
            "https://auth.kit-good.test/oauth/token",
        )
        .revoke_url("https://auth.kit-good.test/oauth/revoke")
        .default_scopes(&["items:read", "items:write"]);
        Manifest::new("kit-good", "Kit Good", env!("CARGO_PKG_VERSION"))
            .description("Items, for the auth test kit's tests.")
            .auth(oauth)
            .auth(ApiKeyScheme::header("API key", "X-Api-Key", ""))
            .auth(BasicScheme::new("Username", "Password"))
            .allow_host(API)
            .setup_instructions("Create an API key under Settings → Keys.")
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only(
                "list_items",
                "Items whose name contains some text.",
                &["items:read"],
                list_items,
            )
            .tool("add_item", "Add an item.", &["items:write"], add_item)
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me: Value = Request::get(format!("{API}/v1/me"))
            .authenticated()
            .send()?
            .json()?;
        Ok(Identity::new(me["id"].as_str().unwrap_or("someone")))
    }
}

latchkey_sdk::export_connector!(KitGood);
