//! Hot-loading: the plugins folder is watched, uploads come through the admin API, and every
//! load, swap, approval, rollback and unload goes through one [`PluginManager`].
//!
//! A new version is compiled (or taken from the authenticated artifact cache), checked
//! (imports, contract version, manifest, a `describe` smoke call), then swapped into the
//! registry atomically; calls already running keep the version they started with. A version
//! that fails any check is refused with the reason and the serving version stays. An update
//! that asks for more than was approved (new hosts, scopes or auth schemes) waits in
//! `pending_approval` while the old version keeps serving.

pub mod cache_key;
pub mod manager;
pub mod permissions;
pub mod status;
pub mod store;
pub mod watch;

pub use manager::{Applied, LimitsFor, ManageError, PluginManager};
pub use permissions::Permissions;
pub use status::{Overview, Via};
