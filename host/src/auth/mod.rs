//! Authentication: of callers (agent and admin keys), and of users with their apps (connect
//! sessions, OAuth, service accounts).

pub mod api_keys;
pub mod connect;
pub mod connectable;
pub mod oauth;
pub mod pack_flow;
