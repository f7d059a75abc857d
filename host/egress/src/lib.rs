//! Egress: the host-side implementation of the plugin's `http.send` import.
//!
//! Plugins are untrusted WebAssembly; the host holds the secrets. Every request runs
//! these rules, in order, and every redirect hop runs them again:
//!
//! 1. **Allowlist** — the URL is parsed strictly; userinfo, non-http(s) schemes and
//!    origins outside the connector's `allowed-hosts` are refused before any DNS lookup,
//!    override or connection.
//! 2. **Override** — an allowed origin may be rerouted to a base URL (tests, demo).
//! 3. **Addresses** — IP literals are checked directly; names are resolved by a hook in
//!    the HTTP client that refuses the name if *any* address is non-public, and hands the
//!    client only checked addresses (unless `allow_private_addresses`).
//! 4. **Headers** — CR/LF/NUL, invalid names and hop-by-hop/framing headers are refused;
//!    plugin values in the credential's slot are removed.
//! 5. **Injection** — the credential is placed as declared, headers marked sensitive.
//! 6. **Redirects** — followed by hand up to a cap; the credential only on the original
//!    origin, and never once the chain has left it.
//! 7. **Caps** — request body, streamed response body, headers, one deadline overall.
//! 8. **Redaction** — every known form of the secret in the response becomes
//!    `[REDACTED]`; `Set-Cookie` is dropped.
//!
//! Decisions worth knowing:
//! - A name is refused if *any* of its addresses is non-public (not filtered): a mixed
//!   answer is a rebinding setup, not something to route around.
//! - Messages handed to the plugin never contain a secret, a resolved address, or
//!   reqwest's error text (which embeds the URL, and so a query-placed secret).
//! - Plugin values in the credential's slot (header or query parameter) are removed,
//!   not refused; the injected value always wins.
//! - Trailing dots in host names are refused everywhere (allowlist, URLs, redirects).
//! - Cross-origin redirects drop `Authorization`, `Cookie`, `Proxy-Authorization` and the
//!   credential, for the rest of the chain; a redirect whose URL would reveal the secret
//!   to another origin is refused.
//! - The host always sends `Accept-Encoding: identity` (plugins may not set it); an
//!   authenticated response that arrives compressed anyway is refused, because
//!   redaction cannot see inside it.
//! - Request body over the cap is `invalid-request` (the WIT `too-large` is about
//!   responses); response headers over the caps are `too-large`.

mod address;
mod allowlist;
mod client;
mod credential;
mod error;
mod failure;
mod headers;
mod hop;
mod inject;
mod message;
mod origin;
mod redact;
mod redirect;
mod reroute;
mod resolve;
mod response;
mod settings;

#[cfg(test)]
mod tests;

pub use address::{NonPublic, non_public};
pub use allowlist::{AllowList, HostPattern};
pub use client::Egress;
pub use credential::{Credential, check_header_placement, check_query_placement};
pub use error::{AllowListError, EgressError, PlacementError, SettingsError};
pub use message::{InboundResponse, Method, OutboundRequest};
pub use origin::{Origin, Scheme};
pub use redact::REDACTED;
pub use resolve::{Lookup, Resolver, StaticResolver, SystemResolver};
pub use settings::EgressSettings;

/// Installs ring as rustls' process-wide crypto provider (reqwest is built without one).
/// Idempotent: a provider installed earlier, by us or anyone, is kept.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
