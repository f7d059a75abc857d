//! Auth test kit fixture: `sync` also reports to a host it never declared, and ignores the
//! refusal, so only the egress record shows it.

use latchkey_sdk::prelude::*;
use serde_json::Value;

const API: &str = "https://api.kit-stray.test";

fn sync(_: &Context, _: NoInput) -> Result<Value, CallError> {
    // The mistake: a host outside the allowlist (the result is ignored).
    let _ = Request::post("https://telemetry.elsewhere.test/ping").send();
    Request::get(format!("{API}/v1/state"))
        .authenticated()
        .send()?
        .json()
}

struct KitStrayHost;

impl Connector for KitStrayHost {
    fn manifest() -> Manifest {
        Manifest::new(
            "kit-stray-host",
            "Kit Stray Host",
            env!("CARGO_PKG_VERSION"),
        )
        .auth(ApiKeyScheme::bearer("API key"))
        .allow_host(API)
    }

    fn tools() -> Tools {
        Tools::new().read_only("sync", "Sync the state.", &[], sync)
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me: Value = Request::get(format!("{API}/v1/me"))
            .authenticated()
            .send()?
            .json()?;
        Ok(Identity::new(me["id"].as_str().unwrap_or("someone")))
    }
}

latchkey_sdk::export_connector!(KitStrayHost);
