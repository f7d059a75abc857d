//! Integration-style tests: the real [`super::Egress`] against real HTTP servers on
//! 127.0.0.1 (port 0). Names are mapped with a static resolver; nothing leaves the host.

mod limits;
mod placement;
mod policy;
mod redaction;
mod redirects;
mod server;
