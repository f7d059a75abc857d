//! A local stand-in for the APIs Latchkey connectors call, over real HTTP on loopback.
//!
//! Each app lives under a path prefix, because the gateway maps a real origin to a base URL in
//! tests: `https://api.notion.com` → `{base_url}/notion`, `https://api.linear.app` →
//! `{base_url}/linear`. The apps check credentials the way the real ones do and keep small
//! in-memory data per credential. Every app request is recorded; echo mode reflects what was
//! received into the response. Controls: the methods of [`RunningFake`], or `/_fake/...` over
//! HTTP (see [`control`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), fake_provider::StartError> {
//! let fake = fake_provider::FakeProvider::start("127.0.0.1:0").await?;
//! let seed = fake.add_notion_token("secret_abc", "Ada Lovelace");
//! // point the gateway's https://api.notion.com at format!("{}/notion", fake.base_url())
//! # let _ = seed;
//! fake.shutdown().await.ok();
//! # Ok(()) }
//! ```

mod clock;
pub mod control;
pub mod echo;
pub mod linear;
pub mod notion;
pub mod record;
mod server;
mod state;

pub use linear::LinearSeed;
pub use notion::NotionSeed;
pub use record::RecordedRequest;
pub use server::{FakeProvider, RunningFake, StartError};
