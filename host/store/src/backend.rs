//! What a storage backend implements: one trait per aggregate, gathered in [`Backend`]. The
//! vault holds an `Arc<dyn Backend>` chosen at run time from the configuration; a backend sees
//! secrets only as [`crate::SealedValue`]s and holds no key.

pub use crate::alerts::AlertStore;
pub use crate::audit::AuditStore;
pub use crate::catalog::CatalogStore;
pub use crate::connections::ConnectionStore;
pub use crate::flows::FlowStore;
pub use crate::jobs::JobStore;
pub use crate::journal::JournalStore;
pub use crate::keyring::DataKeyStore;
pub use crate::lease::LeaseStore;
pub use crate::plugins::PluginStore;
pub use crate::principals::PrincipalStore;

/// Everything the gateway stores. A new backend is one module implementing these traits, and
/// passes the conformance suite (`conformance_suite!`).
pub trait Backend:
    ConnectionStore
    + JournalStore
    + LeaseStore
    + PrincipalStore
    + FlowStore
    + CatalogStore
    + PluginStore
    + AlertStore
    + JobStore
    + AuditStore
    + DataKeyStore
    + Send
    + Sync
    + 'static
{
    /// Where the data lives, for logs and `Debug` (never a password).
    fn describe(&self) -> String;
}
