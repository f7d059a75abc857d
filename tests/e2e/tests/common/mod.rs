//! Set-up shared by the end-to-end suites.

#![allow(dead_code)]

use e2e::{Gateway, GatewayOptions, build};
use fake_provider::{FakeProvider, RunningFake};

/// A fake provider plus a gateway whose real API origins route to it.
pub struct Stack {
    pub fake: RunningFake,
    pub gw: Gateway,
}

/// The bundled connectors and the hostile fixture, routed to a fresh fake provider.
pub async fn stack(extra_config: &str) -> Stack {
    e2e::install_crypto_provider();
    let fake = FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake provider");
    let base = fake.base_url();
    let gw = Gateway::start(GatewayOptions {
        plugins: vec![
            build::plugin("notion"),
            build::plugin("linear"),
            build::fixture("misbehave"),
        ],
        overrides: vec![
            ("https://api.notion.com".into(), format!("{base}/notion")),
            ("https://api.linear.app".into(), format!("{base}/linear")),
            ("https://allowed.test".into(), base.clone()),
        ],
        extra_config: extra_config.to_string(),
        master_key: None,
    })
    .await;
    Stack { fake, gw }
}

/// A value unique to this test run, to search for in places it must never appear.
pub fn canary() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("canary{nanos:x}{:x}", std::process::id())
}
