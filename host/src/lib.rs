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
#[cfg(feature = "check")]
pub mod check;
pub mod clock;
pub mod config;
pub mod egress;
pub mod health;
pub mod hotload;
pub mod ids;
pub mod jobs;
pub mod mcp;
pub mod plugin;
pub mod policy;
pub mod testhooks;
pub mod toolcall;
pub mod vault;
