//! A connector whose manifest comes from [`CONFIG`], a fixed-size JSON blob in the data
//! section behind a marker. Tests rewrite the blob in the `.wasm` bytes (same length, padded
//! with spaces) to mint a new version, widen its hosts or scopes, change where the credential
//! goes, or break its manifest — each a real, different component — without a rebuild.
//!
//! The blob: `{"id", "version", "hosts": [..], "scopes": [..], "placement": "bearer" |
//! {"header": name} | {"query": name}}`.

use std::time::Duration;

use latchkey_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

const MARKER: &[u8] = b"LATCHKEY-SHAPESHIFT-CONFIG:";
const SIZE: usize = 1024;
const DEFAULT: &[u8] = br#"{"id":"shapeshift","version":"1.0.0","hosts":["https://allowed.test"],"scopes":[],"placement":"bearer"}"#;

const fn blob() -> [u8; SIZE] {
    let mut out = [b' '; SIZE];
    let mut i = 0;
    while i < MARKER.len() {
        out[i] = MARKER[i];
        i += 1;
    }
    let mut j = 0;
    while j < DEFAULT.len() {
        out[MARKER.len() + j] = DEFAULT[j];
        j += 1;
    }
    out
}

/// Marker followed by the JSON configuration, padded with spaces.
#[used]
static CONFIG: [u8; SIZE] = blob();

#[derive(Deserialize)]
struct Config {
    id: String,
    version: String,
    hosts: Vec<String>,
    scopes: Vec<String>,
    placement: PlacementConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PlacementConfig {
    Bearer,
    Header(String),
    Query(String),
}

fn config() -> Config {
    // `black_box` hides the contents from the optimiser: the bytes are read at run time.
    let bytes: &[u8; SIZE] = std::hint::black_box(&CONFIG);
    let json = &bytes[MARKER.len()..];
    match serde_json::from_slice(json.trim_ascii_end()) {
        Ok(c) => c,
        Err(e) => panic!("shapeshift: bad configuration blob: {e}"),
    }
}

#[derive(Deserialize, JsonSchema)]
struct Fetch {
    url: String,
    #[serde(default)]
    authenticate: bool,
}

#[derive(Deserialize, JsonSchema)]
struct Slow {
    /// How long to take, in milliseconds.
    ms: u64,
}

fn version(_: &Context, _: NoInput) -> Result<Value, CallError> {
    let c = config();
    Ok(json!({ "id": c.id, "version": c.version }))
}

fn slow(ctx: &Context, input: Slow) -> Result<Value, CallError> {
    let started = config().version;
    std::thread::sleep(Duration::from_millis(input.ms.min(5_000)));
    let mut answer = version(ctx, NoInput {})?;
    answer["started_on"] = json!(started);
    Ok(answer)
}

fn fetch(_: &Context, input: Fetch) -> Result<Value, CallError> {
    let mut request = Request::get(input.url);
    if input.authenticate {
        request = request.authenticated();
    }
    Ok(match request.send() {
        Ok(r) => json!({ "status": r.status(), "body": r.text() }),
        Err(e) => json!({ "http_error": format!("{e:?}") }),
    })
}

struct Shapeshift;

impl Connector for Shapeshift {
    fn manifest() -> Manifest {
        let c = config();
        let placement = match c.placement {
            PlacementConfig::Bearer => ApiKeyScheme::bearer("Test key"),
            PlacementConfig::Header(name) => ApiKeyScheme::header("Test key", &name, ""),
            PlacementConfig::Query(name) => ApiKeyScheme::query("Test key", &name),
        };
        let mut m = Manifest::new(&c.id, "Shapeshift", &c.version)
            .description("Test fixture: a connector whose manifest tests rewrite.")
            .auth(placement)
            .setup_instructions("Any string works as the key.");
        for host in &c.hosts {
            m = m.allow_host(host);
        }
        m
    }

    fn tools() -> Tools {
        let c = config();
        let scopes: Vec<&str> = c.scopes.iter().map(String::as_str).collect();
        Tools::new()
            .read_only("version", "Says which version answers.", &scopes, version)
            .read_only(
                "slow",
                "Takes `ms` milliseconds, then says which version answers.",
                &scopes,
                slow,
            )
            .read_only(
                "fetch",
                "GETs a URL; returns status and body.",
                &scopes,
                fetch,
            )
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        Ok(Identity::new(ctx.user_id()))
    }
}

latchkey_sdk::export_connector!(Shapeshift);
