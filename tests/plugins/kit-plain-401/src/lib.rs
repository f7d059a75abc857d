//! Auth test kit fixture: the mistake of reporting any upstream failure, a 401 included, as a
//! plain upstream error, so the gateway can neither refresh the token nor ask the user to
//! reconnect.

use latchkey_sdk::prelude::*;
use serde_json::Value;

const API: &str = "https://api.kit-plain-401.test";

fn get_thing(_: &Context, _: NoInput) -> Result<Value, CallError> {
    let response = Request::get(format!("{API}/v1/thing"))
        .authenticated()
        .send()?;
    if !response.is_success() {
        // The mistake: a 401 becomes upstream(401) instead of an auth error.
        return Err(CallError::upstream(response.status(), "the API refused"));
    }
    serde_json::from_slice(response.body())
        .map_err(|e| CallError::upstream(response.status(), e.to_string()))
}

struct KitPlain401;

impl Connector for KitPlain401 {
    fn manifest() -> Manifest {
        let oauth = Oauth2Scheme::new(
            "https://auth.kit-plain-401.test/authorize",
            "https://auth.kit-plain-401.test/token",
        )
        .default_scopes(&["things:read"]);
        Manifest::new("kit-plain-401", "Kit Plain 401", env!("CARGO_PKG_VERSION"))
            .auth(oauth)
            .allow_host(API)
    }

    fn tools() -> Tools {
        Tools::new().read_only("get_thing", "The thing.", &["things:read"], get_thing)
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me: Value = Request::get(format!("{API}/v1/me"))
            .authenticated()
            .send()?
            .json()?;
        Ok(Identity::new(me["id"].as_str().unwrap_or("someone")))
    }
}

latchkey_sdk::export_connector!(KitPlain401);
