//! `export_connector!` in a crate of its own, as a connector uses it: it compiles on the host
//! target and adds `latchkey_connector_follows_the_contract` to the crate's tests (which runs
//! here, and passes, for a valid connector; `connector::check` is tested on invalid ones).

use latchkey_sdk::prelude::*;

struct Example;

impl Connector for Example {
    fn manifest() -> Manifest {
        Manifest::new("example", "Example", "0.1.0")
            .auth(ApiKeyScheme::bearer("API key"))
            .allow_host("https://api.example.com")
    }

    fn tools() -> Tools {
        Tools::new().read_only("ping", "Pong.", &[], |_: &Context, _: NoInput| {
            Ok::<_, CallError>("pong")
        })
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        Ok(Identity::new(ctx.user_id()))
    }
}

latchkey_sdk::export_connector!(Example);

#[test]
fn the_exported_connector_is_described_with_its_tools() {
    let manifest = latchkey_sdk::connector::describe::<Example>();
    assert_eq!(manifest.id, "example");
    assert_eq!(manifest.tools.len(), 1);
}
