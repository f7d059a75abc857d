//! Benchmark: what the gateway costs per tool call.
//!
//! Prints (release build only: `cargo xtask bench`):
//! 1. a plugin's fresh instance + one call, in process (no HTTP), and
//! 2. a whole tool call through the gateway over HTTP (agent key check, vault read, plugin,
//!    egress, fake upstream) against calling the fake upstream directly, as a ratio measured
//!    in the same run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey::app::App;
use latchkey::auth::api_keys;
use latchkey::config::Config;
use latchkey::plugin::{CallContext, EngineSettings, NoOutbound, PluginRuntime};
use latchkey::vault::{KeyKind, NewConnection, Owner, SchemeKind, SecretField};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const WARMUP: usize = 50;

struct Stats {
    median: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len().max(1);
    let total: Duration = samples.iter().sum();
    Stats {
        median: samples[n / 2],
        p99: samples[(n * 99 / 100).min(n - 1)],
        mean: total / n as u32,
    }
}

fn show(label: &str, s: &Stats) {
    println!(
        "{label:<44} median {:>9.1} µs   p99 {:>9.1} µs   mean {:>9.1} µs",
        s.median.as_secs_f64() * 1e6,
        s.p99.as_secs_f64() * 1e6,
        s.mean.as_secs_f64() * 1e6
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn wasm(dir: &str, name: &str) -> Vec<u8> {
    let path = root().join("target").join(dir).join(format!("{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build-plugins`)", path.display()))
}

async fn instantiate_and_call(iterations: usize) -> Stats {
    let runtime = PluginRuntime::new(&EngineSettings::default()).expect("runtime");
    let pooling = runtime.pooling();
    let started = Instant::now();
    let plugin = runtime
        .load(wasm("test-plugins", "misbehave"), None, |_| {
            Default::default()
        })
        .await
        .expect("load");
    println!(
        "compile + describe of misbehave.wasm: {:.1} ms (pooling allocator: {pooling})",
        started.elapsed().as_secs_f64() * 1e3
    );
    let ctx = CallContext::default();
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..WARMUP + iterations {
        let t = Instant::now();
        let out = runtime
            .call_tool(
                &plugin,
                &ctx,
                "echo",
                "{\"n\":1}".into(),
                Arc::new(NoOutbound),
            )
            .await
            .expect("no failure");
        let took = t.elapsed();
        assert!(out.is_ok());
        if i >= WARMUP {
            samples.push(took);
        }
    }
    stats(samples)
}

async fn gateway_vs_direct(iterations: usize) -> (Stats, Stats) {
    latchkey::egress::install_crypto_provider();
    let fake = fake_provider::FakeProvider::start("127.0.0.1:0")
        .await
        .expect("fake");
    fake.add_notion_token("bench-token", "Bench");
    let base = fake.base_url();

    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugins dir");
    std::fs::write(plugins.join("notion.wasm"), wasm("plugins", "notion")).expect("copy plugin");
    let config = Config::parse(
        &format!(
            "listen = \"127.0.0.1:0\"\n[egress]\nallow_private_addresses = true\n[egress.overrides]\n\"https://api.notion.com\" = \"{base}/notion\"\n"
        ),
        dir.path(),
    )
    .expect("config");
    let app = App::start(config, None).await.expect("app");
    app.vault
        .connections()
        .put(
            NewConnection {
                connector_id: "notion".into(),
                owner: Owner::User("bench".into()),
                scheme: SchemeKind::ApiKey,
                granted_scopes: vec![],
                metadata: Default::default(),
                expires_at: None,
            },
            vec![(SecretField::ApiKey, SecretString::from("bench-token"))],
        )
        .await
        .expect("credential");
    let (_, agent_key) = api_keys::create(&app.vault, KeyKind::Agent, "bench", Default::default())
        .await
        .expect("agent key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, latchkey::api::router(app)).await });

    let client = reqwest::Client::new();
    let gateway_url = format!("http://{addr}/v1/tools/notion_search/call");
    let gateway_body = json!({"user_id": "bench", "input": {"query": "Sandbox"}});
    let direct_url = format!("{base}/notion/v1/search");
    let direct_body = json!({"query": "Sandbox"});

    let mut via_gateway = Vec::with_capacity(iterations);
    let mut direct = Vec::with_capacity(iterations);
    // Interleave the two so drift on a shared machine hits both alike.
    for i in 0..WARMUP + iterations {
        let t = Instant::now();
        let r = client
            .post(&gateway_url)
            .bearer_auth(agent_key.expose_secret())
            .json(&gateway_body)
            .send()
            .await
            .expect("gateway call");
        assert!(r.status().is_success(), "gateway answered {}", r.status());
        r.bytes().await.expect("body");
        let g = t.elapsed();

        let t = Instant::now();
        let r = client
            .post(&direct_url)
            .bearer_auth("bench-token")
            .header("Notion-Version", "2022-06-28")
            .json(&direct_body)
            .send()
            .await
            .expect("direct call");
        assert!(r.status().is_success());
        r.bytes().await.expect("body");
        let d = t.elapsed();
        if i >= WARMUP {
            via_gateway.push(g);
            direct.push(d);
        }
    }
    (stats(via_gateway), stats(direct))
}

fn main() {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build is 15-35x slower; benchmark with `cargo xtask bench`");
    }
    let iterations: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.strip_prefix("--iterations=").and_then(|n| n.parse().ok()))
        .unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("== plugin instance + call ({iterations} calls, in process)");
        let s = instantiate_and_call(iterations).await;
        show("fresh instance + echo call", &s);

        println!(
            "\n== tool call through the gateway vs the upstream directly ({iterations} calls each)"
        );
        let (g, d) = gateway_vs_direct(iterations).await;
        show("via gateway: POST /v1/tools/notion_search", &g);
        show("direct:      POST fake /notion/v1/search", &d);
        println!(
            "ratio gateway/direct: median {:.2}x, p99 {:.2}x; added per call: median {:.1} µs",
            g.median.as_secs_f64() / d.median.as_secs_f64(),
            g.p99.as_secs_f64() / d.p99.as_secs_f64(),
            (g.median.as_secs_f64() - d.median.as_secs_f64()) * 1e6
        );
    });
}
