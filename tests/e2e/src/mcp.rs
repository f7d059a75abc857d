//! Real MCP clients for the end-to-end tests: the official TypeScript SDKs
//! (`tests/mcp-clients/client.mjs`: `@modelcontextprotocol/sdk` for 2025-11-25,
//! `@modelcontextprotocol/client` for 2026-07-28) and the official Python SDK
//! (`tests/mcp-clients/client.py`, `mcp` from PyPI in `target/mcp-venv`).
//!
//! A client runs a scenario and reports each observation as a JSON line; when a person must
//! act (an elicitation, a pause) it waits for the test to answer on stdin.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

use crate::build;

/// Which official SDK drives the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// `@modelcontextprotocol/sdk` (TypeScript v1): protocol 2025-11-25 with sessions.
    TypeScriptV1,
    /// `@modelcontextprotocol/client` (TypeScript v2): protocol 2026-07-28, stateless.
    TypeScriptV2,
    /// `mcp` (Python): both eras (`version` "auto" probes, "legacy" forces 2025-11-25).
    Python,
}

/// What a client does: where, with which token, and the steps.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub url: String,
    pub token: Option<String>,
    /// `Latchkey-User`, as the agent's host app would set it.
    pub user: Option<String>,
    /// "auto", "legacy" (Python) or a version to pin.
    pub version: String,
    /// Declare URL-mode elicitation.
    pub elicitation: bool,
    pub steps: Vec<Value>,
}

impl Scenario {
    /// A scenario against `base/mcp` with `token`, no user header, no elicitation, no steps.
    pub fn new(base_url: &str, token: &str) -> Scenario {
        Scenario {
            url: format!("{base_url}/mcp"),
            token: Some(token.to_string()),
            user: None,
            version: "auto".into(),
            elicitation: false,
            steps: Vec::new(),
        }
    }

    /// Set `Latchkey-User`.
    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.to_string());
        self
    }

    /// Choose the protocol version mode.
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// Declare URL-mode elicitation.
    pub fn elicitation(mut self) -> Self {
        self.elicitation = true;
        self
    }

    /// List the tools.
    pub fn list(mut self) -> Self {
        self.steps.push(json!({"op": "list"}));
        self
    }

    /// Call `tool` with `args`.
    pub fn call(mut self, tool: &str, args: Value) -> Self {
        self.steps
            .push(json!({"op": "call", "tool": tool, "args": args}));
        self
    }

    /// Wait for the test (to follow a link, say).
    pub fn pause(mut self) -> Self {
        self.steps.push(json!({"op": "pause"}));
        self
    }

    fn to_json(&self, sdk: Sdk) -> Value {
        json!({
            "url": self.url,
            "token": self.token,
            "user": self.user,
            "sdk": if sdk == Sdk::TypeScriptV2 { "v2" } else { "v1" },
            "version": self.version,
            "elicitation": self.elicitation,
            "steps": self.steps,
        })
    }
}

/// The folder of the client scripts.
pub fn dir() -> PathBuf {
    build::root().join("tests").join("mcp-clients")
}

/// The Python interpreter of the test virtualenv.
pub fn python() -> PathBuf {
    build::root()
        .join("target")
        .join("mcp-venv")
        .join("bin")
        .join("python")
}

fn xtask(step: &str) {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(build::root())
        .args(["run", "--quiet", "-p", "xtask", "--", step]);
    let status = cargo
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo xtask {step}: {e}"));
    assert!(status.success(), "cargo xtask {step} failed with {status}");
}

/// Install the clients once per process when they are missing (`cargo xtask test` installs
/// them up front, and again when a lockfile or the requirements change).
pub fn ensure_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let marker = dir()
            .join("node_modules")
            .join("@modelcontextprotocol")
            .join("client")
            .join("package.json");
        if !marker.exists() {
            xtask("node-deps");
        }
        if !python().exists() {
            xtask("python-deps");
        }
    });
}

/// A client process running a scenario; killed on drop.
pub struct McpClient {
    child: Child,
    stdin: Option<ChildStdin>,
    events: tokio::sync::mpsc::UnboundedReceiver<Value>,
    stderr: Arc<Mutex<String>>,
}

impl McpClient {
    /// Start `sdk` on `scenario`.
    pub fn start(sdk: Sdk, scenario: &Scenario) -> McpClient {
        ensure_installed();
        let arg = scenario.to_json(sdk).to_string();
        let mut cmd = match sdk {
            Sdk::Python => {
                let mut c = Command::new(python());
                c.arg("client.py");
                c
            }
            Sdk::TypeScriptV1 | Sdk::TypeScriptV2 => {
                let mut c = Command::new("node");
                c.arg("client.mjs");
                c
            }
        };
        cmd.current_dir(dir())
            .arg(arg)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {sdk:?} MCP client: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let stderr_pipe = child.stderr.take().expect("stderr");
        let stdin = child.stdin.take();
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({"event": "stdout", "line": line}));
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                if let Ok(mut l) = log.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        McpClient {
            child,
            stdin,
            events,
            stderr,
        }
    }

    /// What the client wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The next observation (anything but stray stdout lines), waiting up to 60 s.
    pub async fn next(&mut self) -> Value {
        loop {
            match tokio::time::timeout(Duration::from_secs(60), self.events.recv()).await {
                Ok(Some(e)) if e["event"] == "stdout" => continue,
                Ok(Some(e)) => return e,
                Ok(None) => panic!("the MCP client ended early; stderr:\n{}", self.stderr()),
                Err(_) => panic!(
                    "no event from the MCP client in 60 s; stderr:\n{}",
                    self.stderr()
                ),
            }
        }
    }

    /// The next observation, which must be `event`.
    pub async fn expect(&mut self, event: &str) -> Value {
        let e = self.next().await;
        assert_eq!(
            e["event"],
            event,
            "expected {event}, got {e}; stderr:\n{}",
            self.stderr()
        );
        e
    }

    /// Answer an elicitation (accept, decline, cancel) or end a pause.
    pub fn reply(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    /// Wait for the end of the scenario.
    pub async fn finish(&mut self) {
        self.expect("done").await;
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
