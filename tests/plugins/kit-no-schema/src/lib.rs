//! Auth test kit fixture: `search` takes any JSON object, so its input schema names no
//! properties and agents cannot know what to send.

use latchkey_sdk::prelude::*;
use serde_json::{Map, Value};

const API: &str = "https://api.kit-no-schema.test";

// The mistake: an open map instead of a described input type.
fn search(_: &Context, input: Map<String, Value>) -> Result<Value, CallError> {
    Request::post(format!("{API}/v1/search"))
        .json(&input)?
        .authenticated()
        .send()?
        .json()
}

struct KitNoSchema;

impl Connector for KitNoSchema {
    fn manifest() -> Manifest {
        Manifest::new("kit-no-schema", "Kit No Schema", env!("CARGO_PKG_VERSION"))
            .auth(ApiKeyScheme::bearer("API key"))
            .allow_host(API)
    }

    fn tools() -> Tools {
        Tools::new().read_only("search", "Search.", &[], search)
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me: Value = Request::get(format!("{API}/v1/me"))
            .authenticated()
            .send()?
            .json()?;
        Ok(Identity::new(me["id"].as_str().unwrap_or("someone")))
    }
}

latchkey_sdk::export_connector!(KitNoSchema);
