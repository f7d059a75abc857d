//! Connections: one stored credential per (connector, owner), with sealed secret fields.
//! [`ConnectionStore`] is what a backend keeps; [`ConnectionVault`] is the vault's face, the
//! only place their secrets are sealed and opened.

mod store;
mod types;
mod vault;

pub use store::{ConnectionStore, TokenWrite};
pub use types::*;
pub use vault::{ConnectionVault, SECRETS_TABLE};
