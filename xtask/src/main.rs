//! `cargo xtask …`: the project's commands, each doing its own set-up on a fresh machine.
//!
//! - `cargo xtask demo`  — build everything, start the fake provider and the gateway, print a
//!   tool call to try.
//! - `cargo xtask test`  — build plugins and fixtures, install the test Node projects' npm
//!   packages, the Python MCP client and Debian's Chromium (for the browser tests), then run
//!   the whole test suite, then `demo --smoke`.
//! - `cargo xtask demo --smoke` — the demo's printed steps, done with curl and checked.
//! - `cargo xtask build-plugins` — build the bundled connectors and the test fixtures.
//! - `cargo xtask node-deps` — install the test Node projects' npm packages (`tests/oidc`,
//!   `tests/webhook-receiver`, `tests/browser`, `tests/mcp-clients`).
//! - `cargo xtask python-deps` — create `target/mcp-venv` with the pinned Python MCP client.
//! - `cargo xtask chromium` — install Debian's Chromium (`/usr/bin/chromium`) when missing.
//! - `cargo xtask bench` — release build, then the benchmarks.

mod build;
mod chromium;
mod debian;
mod demo;
mod demo_smoke;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the connector plugins (and test fixtures) for wasm32-wasip2.
    BuildPlugins,
    /// Install the test Node projects' npm packages (`npm ci` in each) when needed.
    NodeDeps,
    /// Create target/mcp-venv with the pinned Python MCP client when needed.
    PythonDeps,
    /// Install Debian's Chromium (`/usr/bin/chromium`, for the browser tests) when missing.
    Chromium,
    /// Run the gateway with SQLite, the bundled plugins and a local fake provider.
    Demo {
        /// Port for the gateway (default 8080; with --smoke, a free one).
        #[arg(long)]
        port: Option<u16>,
        /// Do what the demo prints (with curl), check every step works, and stop.
        #[arg(long)]
        smoke: bool,
    },
    /// Run the whole test suite.
    Test {
        /// Extra arguments passed to `cargo test` (after `--`).
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
    /// Run the benchmarks (release build).
    Bench {
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::BuildPlugins => build::plugins(),
        Command::NodeDeps => build::node_deps(),
        Command::PythonDeps => build::python_deps(),
        Command::Chromium => chromium::ensure(),
        Command::Demo { port, smoke } => demo::run(port, smoke),
        Command::Test { args } => {
            build::plugins()?;
            build::node_deps()?;
            build::python_deps()?;
            chromium::ensure()?;
            debian::ensure_command(
                "curl",
                "curl",
                "the demo smoke test drives the demo with it",
            )?;
            let mut cmd = build::cargo();
            cmd.args(["test", "--workspace", "--no-fail-fast"]);
            if !args.is_empty() {
                cmd.arg("--").args(args);
            }
            let tests = build::run(&mut cmd);
            // The README's first command, checked too (whatever the tests said).
            let smoke = demo::run(None, true);
            tests.and(smoke)
        }
        Command::Bench { args } => {
            build::plugins()?;
            let mut cmd = build::cargo();
            cmd.args(["bench", "-p", "latchkey"]);
            if !args.is_empty() {
                cmd.arg("--").args(args);
            }
            build::run(&mut cmd)
        }
    }
}
