//! Harness for end-to-end tests: builds what is needed once, starts the real `latchkey`
//! binary on a port the OS picks with its own SQLite file, and talks to it over HTTP.

pub mod browser;
pub mod build;
pub mod chromium;
pub mod gateway;
pub mod mcp;
pub mod oidc;
pub mod process;
pub mod variant;
pub mod webhooks;

pub use gateway::{Gateway, GatewayOptions};

/// reqwest is built without a TLS provider of its own: install ring once per process.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
