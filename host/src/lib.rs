//! Latchkey: an auth gateway for AI agents.
//!
//! Agents call tools through the gateway; it holds the credentials, runs each connector in a
//! WebAssembly sandbox, and attaches credentials to the connector's outgoing requests itself,
//! only toward the hosts the connector declared.

pub mod alerts;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub use latchkey_store::clock;
pub mod config;
pub mod hardening;
pub use latchkey_egress as egress;
pub mod gateway;
pub mod health;
pub use latchkey_runtime::hotload;
pub mod plugin_client;
pub use latchkey_store::ids;
pub mod jobs;
pub mod mcp;
pub use latchkey_runtime as plugin;
pub mod policy;
pub mod retry_delay;
pub mod secret_env;
pub mod testhooks;
pub mod toolcall;
pub use latchkey_store as vault;
