//! Write a Latchkey connector in a few lines: typed tools with derived JSON Schemas, a manifest
//! builder, and HTTP where "attach the user's credential" is one call and the credential itself
//! never enters the sandbox.
//!
//! ```no_run
//! use latchkey_sdk::prelude::*;
//!
//! /// Find pages by title.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Search { query: String }
//!
//! fn search(_: &Context, input: Search) -> Result<serde_json::Value, CallError> {
//!     Request::post("https://api.example.com/search")
//!         .json(&serde_json::json!({ "q": input.query }))?
//!         .authenticated()
//!         .send()?
//!         .json()
//! }
//!
//! struct Example;
//!
//! impl Connector for Example {
//!     fn manifest() -> Manifest {
//!         Manifest::new("example", "Example", env!("CARGO_PKG_VERSION"))
//!             .auth(ApiKeyScheme::bearer("API key"))
//!             .allow_host("https://api.example.com")
//!     }
//!     fn tools() -> Tools {
//!         Tools::new().read_only("search", "Find pages by title.", &[], search)
//!     }
//!     fn verify(_: &Context) -> Result<Identity, CallError> {
//!         let me: serde_json::Value = Request::get("https://api.example.com/me").authenticated().send()?.json()?;
//!         Ok(Identity::new(me["id"].as_str().unwrap_or_default()))
//!     }
//! }
//!
//! latchkey_sdk::export_connector!(Example);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2`; on other targets the crate still
//! compiles (for clippy and tests) and [`testing`] stands in for the host. With the `testkit`
//! feature (host target only), `testkit` runs the auth test kit of `latchkey check` from the
//! connector's own `cargo test`.

pub mod auth;
pub mod bindings;
pub mod connector;
pub mod context;
pub mod error;
pub mod graphql;
pub mod http;
pub mod identity;
pub mod log;
pub mod manifest;
mod percent;
pub mod schema;
pub mod status;
pub mod testing;
#[cfg(all(feature = "testkit", not(target_arch = "wasm32")))]
pub mod testkit;
pub mod tools;
mod transport;

pub use auth::{
    ApiKeyScheme, AuthScheme, BasicScheme, Oauth2Scheme, Placement, ServiceAccountScheme,
    TokenEndpointAuth, TokenResponseShape,
};
pub use connector::Connector;
pub use context::{CallContext, Context};
pub use error::{AuthError, CallError, UpstreamError};
pub use http::{HttpError, Method, Request, Response};
pub use identity::Identity;
pub use manifest::Manifest;
pub use schema::NoInput;
pub use tools::Tools;

/// The schemars this SDK derives input schemas with: derive `JsonSchema` with
/// `#[schemars(crate = "latchkey_sdk::schemars")]` and no schemars dependency is needed.
pub use schemars;
/// The serde this SDK builds with: derive with `#[serde(crate = "latchkey_sdk::serde")]` and a
/// connector needs no serde dependency of its own (nor to guess a matching version).
pub use serde;
/// The serde_json this SDK builds with (tool outputs are `serde_json::Value`s).
pub use serde_json;

/// Everything a connector usually needs, in one `use`.
pub mod prelude {
    pub use crate::{
        ApiKeyScheme, AuthError, BasicScheme, CallError, Connector, Context, HttpError, Identity,
        Manifest, Method, NoInput, Oauth2Scheme, Placement, Request, Response,
        ServiceAccountScheme, Tools, graphql,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{Value, json};
}
