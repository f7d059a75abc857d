//! The vault: every secret sealed (envelope encryption under a master key), and the storage
//! behind it as async per-aggregate traits ([`backend`]) with SQLite as the embedded backend
//! ([`sqlite`], the only module that knows SQLite).

pub mod alerts;
pub mod audit;
pub mod backend;
pub mod bindings;
pub mod catalog;
pub mod clock;
pub mod connections;
pub mod error;
pub mod files;
pub mod flows;
pub mod ids;
pub mod jobs;
pub mod journal;
pub mod keyring;
pub mod lease;
pub mod master_key;
pub mod plugins;
pub mod principals;
pub mod seal;
pub mod sqlite;
mod vault;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

pub use backend::Backend;
pub use connections::{
    ConnectionRecord, ConnectionStatus, NewConnection, Owner, SchemeKind, SecretField, TokenUpdate,
    TokenWrite,
};
pub use error::VaultError;
pub use keyring::Keyring;
pub use master_key::MasterKey;
pub use principals::{ApiKeyRecord, KeyKind, NewKey};
pub use seal::SealedValue;
pub use vault::Vault;
