//! Shared test setup: a started fake and a plain-HTTP client.

#![allow(dead_code, reason = "each test file uses a different part")]

pub mod flow;

use fake_provider::{FakeProvider, RunningFake};

pub const NOTION_TOKEN: &str = "secret_notion_test";
pub const LINEAR_KEY: &str = "lin_api_test";

/// A fake on a free loopback port, with one Notion token and one Linear key.
pub async fn start() -> RunningFake {
    let fake = FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake starts");
    fake.add_notion_token(NOTION_TOKEN, "Ada Lovelace");
    fake.add_linear_key(LINEAR_KEY, "Grace Hopper");
    fake
}

/// A client for plain HTTP (reqwest still wants a crypto provider installed).
pub fn client() -> reqwest::Client {
    // Already installed by another test in this process: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds")
}
