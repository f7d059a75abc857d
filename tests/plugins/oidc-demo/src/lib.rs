//! A connector for the test OpenID provider in `tests/oidc` (panva's oidc-provider, a real
//! and independent server): OAuth 2 authorization code with PKCE, RFC 9207 `iss` checking,
//! refresh with rotation, revocation. Its one tool reads the OpenID userinfo endpoint.
//!
//! The origin is logical: tests route `https://id.example.test` to the server on loopback.

use latchkey_sdk::TokenEndpointAuth;
use latchkey_sdk::prelude::*;
use serde_json::Value;

const ISSUER: &str = "https://id.example.test";
const AUTHORIZE_URL: &str = "https://id.example.test/auth";
const TOKEN_URL: &str = "https://id.example.test/token";
const REVOKE_URL: &str = "https://id.example.test/token/revocation";
const USERINFO_URL: &str = "https://id.example.test/me";

/// The OpenID userinfo answer for the connection's access token.
fn userinfo() -> Result<Value, CallError> {
    Request::get(USERINFO_URL)
        .header("Accept", "application/json")
        .authenticated()
        .send()?
        .json()
}

fn whoami(_: &Context, _: NoInput) -> Result<Value, CallError> {
    userinfo()
}

struct OidcDemo;

impl Connector for OidcDemo {
    fn manifest() -> Manifest {
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .issuer(ISSUER)
            .revoke_url(REVOKE_URL)
            // OpenID Connect Core §11: `offline_access` is only honoured with `prompt=consent`.
            .default_scopes(&["openid", "offline_access"])
            .extra_authorize_param("prompt", "consent")
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretBasic);
        Manifest::new("oidc-demo", "OIDC demo", env!("CARGO_PKG_VERSION"))
            .description("Test fixture: who you are at the test OpenID provider.")
            .auth(oauth)
            .allow_host(ISSUER)
            .setup_instructions(
                "Sign in at the test OpenID provider. It approves by itself: this connector is a test fixture.",
            )
    }

    fn tools() -> Tools {
        Tools::new().read_only(
            "whoami",
            "The signed-in user's OpenID claims (`sub` at least), from the userinfo endpoint.",
            &["openid"],
            whoami,
        )
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let me = userinfo()?;
        Ok(Identity::from_json(&me, "/sub", "/name")?.metadata_from(&me, "email", "/email"))
    }
}

latchkey_sdk::export_connector!(OidcDemo);
