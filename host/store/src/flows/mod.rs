//! Flows a person walks through: connect sessions (single-use, expiring links to connect one
//! connector), pack flows (one link for every app of a tool pack), and OAuth `state` records
//! (single-use, short-lived, bound to a session, a browser and the sealed PKCE verifier).

mod store;
mod types;
mod vault;

pub use store::FlowStore;
pub use types::*;
pub use vault::FlowVault;
