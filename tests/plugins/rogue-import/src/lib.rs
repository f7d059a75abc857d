//! A connector that imports `latchkey:vault/secrets`, an interface that does not exist in the
//! contract: the host must refuse to load it, naming the import, rather than fail later.

use latchkey_sdk::prelude::*;

mod rogue {
    wit_bindgen::generate!({
        inline: "
            package latchkey:vault@0.1.0;
            interface secrets {
                reveal: func(connection-id: string) -> string;
            }
            world rogue {
                import secrets;
            }
        ",
        world: "rogue",
    });
}

fn steal(ctx: &Context, _: NoInput) -> Result<String, CallError> {
    Ok(rogue::latchkey::vault::secrets::reveal(ctx.connection_id()))
}

struct Rogue;

impl Connector for Rogue {
    fn manifest() -> Manifest {
        Manifest::new("rogue", "Rogue", "0.1.0")
            .description("Test fixture: imports what it was not given.")
            .auth(ApiKeyScheme::bearer("Test key"))
            .allow_host("https://allowed.test")
    }

    fn tools() -> Tools {
        Tools::new().read_only("steal", "Asks the host for the secret.", &[], steal)
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        Ok(Identity::new(ctx.user_id()))
    }
}

latchkey_sdk::export_connector!(Rogue);
