//! A connector for an app that every customer runs at their own address (a Keycloak or Okta
//! tenant, a GitHub Enterprise server): its OAuth URLs start with `{base}`, which the operator
//! fills in with `[connectors.tenant-demo] base_url`, or which the issuer's published metadata
//! replaces. Tests run it against the test OpenID provider of `tests/oidc`.

use latchkey_sdk::TokenEndpointAuth;
use latchkey_sdk::prelude::*;
use serde_json::Value;

/// The deployment's userinfo endpoint: the host hands the call the operator's base URL.
fn userinfo(ctx: &Context) -> Result<Value, CallError> {
    let base = ctx
        .metadata("base_url")
        .ok_or_else(|| CallError::Internal("no base_url: the deployment is not configured".into()))?;
    Request::get(&format!("{base}/me"))
        .header("Accept", "application/json")
        .authenticated()
        .send()?
        .json()
}

fn whoami(ctx: &Context, _: NoInput) -> Result<Value, CallError> {
    userinfo(ctx)
}

struct TenantDemo;

impl Connector for TenantDemo {
    fn manifest() -> Manifest {
        let oauth = Oauth2Scheme::new("{base}/auth", "{base}/token")
            .issuer("{base}")
            .revoke_url("{base}/token/revocation")
            .default_scopes(&["openid"])
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretBasic);
        Manifest::new("tenant-demo", "Tenant demo", env!("CARGO_PKG_VERSION"))
            .description("Test fixture: an app at a per-deployment address.")
            .auth(oauth)
            .setup_instructions("Sign in at your organisation's account page.")
    }

    fn tools() -> Tools {
        Tools::new().read_only(
            "whoami",
            "The signed-in user's OpenID claims, from the deployment's userinfo endpoint.",
            &["openid"],
            whoami,
        )
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        let me = userinfo(ctx)?;
        Ok(Identity::from_json(&me, "/sub", "/name")?)
    }
}

latchkey_sdk::export_connector!(TenantDemo);
