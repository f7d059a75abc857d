//! A connector that misbehaves on purpose, so the host can prove its sandbox limits hold:
//! CPU (`spin`), memory (`grow`), stack (`recurse`), panics (`trap`), egress (`fetch`),
//! output size (`huge_output`), output shape (`nested_output`, `invalid_utf8`: raw text the
//! SDK would never produce, so this fixture exports the plugin interface by hand) and
//! per-call isolation (`global_counter`).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use latchkey_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The only origin this connector declares; everything else must be refused by the host.
const ALLOWED_HOST: &str = "https://allowed.test";

/// Counts calls within one instance; a fresh instance per call always answers 1.
static CALLS: AtomicU64 = AtomicU64::new(0);

#[derive(Deserialize, JsonSchema)]
struct Fetch {
    /// Absolute URL, allowed or not: the host decides.
    url: String,
    /// GET (default), HEAD, POST, PUT, PATCH, DELETE or OPTIONS.
    method: Option<String>,
    /// Ask the host to attach the connection's credential.
    #[serde(default)]
    authenticate: bool,
    /// Extra request headers.
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// Request body, sent as UTF-8.
    body: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct Nested {
    /// How many arrays deep.
    depth: u32,
}

#[derive(Deserialize, JsonSchema)]
struct HugeOutput {
    /// Length of the returned string, in bytes.
    bytes: u64,
}

/// Any JSON object, returned as is.
#[derive(Deserialize, JsonSchema)]
struct Anything {
    #[serde(flatten)]
    fields: Map<String, Value>,
}

fn spin(_: &Context, _: NoInput) -> Result<Value, CallError> {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn grow(_: &Context, _: NoInput) -> Result<Value, CallError> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1; 1 << 20]);
        black_box(&hoard);
    }
}

fn recurse(_: &Context, _: NoInput) -> Result<Value, CallError> {
    Ok(json!(deeper(black_box(0))))
}

/// Recursion the optimiser cannot turn into a loop (a frame holds a live buffer).
#[allow(unconditional_recursion, reason = "running out of stack is the point")]
fn deeper(depth: u64) -> u64 {
    let frame = black_box([depth; 64]);
    deeper(black_box(depth + 1)).wrapping_add(frame[black_box(7)])
}

fn trap(_: &Context, _: NoInput) -> Result<Value, CallError> {
    panic!("misbehave: trap requested");
}

fn fetch(_: &Context, input: Fetch) -> Result<Value, CallError> {
    let method = match input
        .method
        .as_deref()
        .unwrap_or("GET")
        .to_ascii_uppercase()
        .as_str()
    {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        other => {
            return Err(CallError::invalid_input(format!(
                "unknown method `{other}`"
            )));
        }
    };
    let mut request = Request::new(method, input.url);
    for (name, value) in input.headers {
        request = request.header(name, value);
    }
    if let Some(body) = input.body {
        request = request.body(body.into_bytes());
    }
    if input.authenticate {
        request = request.authenticated();
    }
    // Transport errors are data here, so tests can tell `denied` from `timeout`.
    Ok(match request.send() {
        Ok(response) => json!({
            "status": response.status(),
            "headers": response.headers(),
            "body": response.text(),
        }),
        Err(error) => json!({ "http_error": http_error(&error) }),
    })
}

/// The WIT name and detail of a transport error.
fn http_error(error: &HttpError) -> Value {
    let (kind, detail) = match error {
        HttpError::Denied(why) => ("denied", why.as_str()),
        HttpError::InvalidRequest(why) => ("invalid-request", why.as_str()),
        HttpError::NoCredential => ("no-credential", ""),
        HttpError::Timeout => ("timeout", ""),
        HttpError::TooLarge => ("too-large", ""),
        HttpError::Transport(why) => ("transport", why.as_str()),
    };
    json!({ "kind": kind, "detail": detail })
}

fn echo(_: &Context, input: Anything) -> Result<Value, CallError> {
    Ok(Value::Object(input.fields))
}

fn huge_output(_: &Context, input: HugeOutput) -> Result<String, CallError> {
    let bytes = usize::try_from(input.bytes)
        .map_err(|_| CallError::invalid_input("bytes does not fit in memory"))?;
    Ok("x".repeat(bytes))
}

fn global_counter(_: &Context, _: NoInput) -> Result<Value, CallError> {
    Ok(json!({ "count": CALLS.fetch_add(1, Ordering::SeqCst) + 1 }))
}

struct Misbehave;

impl Connector for Misbehave {
    fn manifest() -> Manifest {
        Manifest::new("misbehave", "Misbehave", env!("CARGO_PKG_VERSION"))
            .description("Test fixture: a connector that tries to escape its sandbox limits.")
            .auth(ApiKeyScheme::bearer("Test API key"))
            .allow_host(ALLOWED_HOST)
            .setup_instructions("Any string works as the key: this connector is a test fixture.")
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only("spin", "Loops forever.", &[], spin)
            .read_only(
                "grow",
                "Allocates 1 MiB blocks until memory runs out.",
                &[],
                grow,
            )
            .read_only(
                "recurse",
                "Recurses until the stack runs out.",
                &[],
                recurse,
            )
            .read_only("trap", "Panics.", &[], trap)
            .tool(
                "fetch",
                "Sends any HTTP request; returns status, headers and body.",
                &[],
                fetch,
            )
            .read_only("echo", "Returns its input.", &[], echo)
            .read_only(
                "huge_output",
                "Returns a string of `bytes` bytes.",
                &[],
                huge_output,
            )
            .read_only(
                "nested_output",
                "Returns `depth` nested JSON arrays.",
                &[],
                raw_only::<Nested>,
            )
            .read_only(
                "invalid_utf8",
                "Returns bytes that are not UTF-8 where the contract says string.",
                &[],
                raw_only::<NoInput>,
            )
            .read_only(
                "global_counter",
                "Counts calls in this instance.",
                &[],
                global_counter,
            )
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        Ok(Identity::new(ctx.user_id()).display_name("Misbehave test user"))
    }
}

/// Placeholder handler for tools answered by [`RawGuest`] before the SDK sees them.
fn raw_only<I>(_: &Context, _: I) -> Result<Value, CallError> {
    Err(CallError::internal("answered by the raw export"))
}

/// `[[[…]]]`, `depth` deep: valid JSON the host must still refuse to parse recursively.
fn nested_text(input: &str) -> Result<String, CallError> {
    let n: Nested =
        serde_json::from_str(input).map_err(|e| CallError::invalid_input(e.to_string()))?;
    let depth = n.depth.min(4_000_000) as usize;
    Ok("[".repeat(depth) + &"]".repeat(depth))
}

/// Bytes that are not UTF-8, smuggled into a `String`.
fn invalid_utf8_text() -> String {
    let bytes = std::hint::black_box(vec![b'"', 0xff, 0xfe, 0xc3, b'"']);
    // SAFETY: deliberately not — this breaks `String`'s invariant to test the host's lifting.
    // The string is only handed to the canonical ABI, which copies the bytes as they are.
    unsafe { String::from_utf8_unchecked(bytes) }
}

/// The plugin interface, by hand: the SDK's glue for everything but the raw-output tools.
struct RawGuest;

impl latchkey_sdk::bindings::exports::latchkey::connector::plugin::Guest for RawGuest {
    fn describe() -> latchkey_sdk::Manifest {
        latchkey_sdk::connector::describe::<Misbehave>()
    }

    fn call_tool(
        ctx: latchkey_sdk::CallContext,
        name: String,
        input: String,
    ) -> Result<String, CallError> {
        match name.as_str() {
            "nested_output" => nested_text(&input),
            "invalid_utf8" => Ok(invalid_utf8_text()),
            _ => latchkey_sdk::connector::call_tool::<Misbehave>(ctx, &name, &input),
        }
    }

    fn verify(ctx: latchkey_sdk::CallContext) -> Result<Identity, CallError> {
        latchkey_sdk::connector::verify::<Misbehave>(ctx)
    }

    fn connection_metadata(token_response: String) -> Result<Vec<(String, String)>, CallError> {
        latchkey_sdk::connector::connection_metadata::<Misbehave>(&token_response)
    }
}

latchkey_sdk::bindings::__export_bindings!(RawGuest with_types_in latchkey_sdk::bindings);
