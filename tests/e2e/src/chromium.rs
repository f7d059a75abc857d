//! A real browser for the connect pages: Debian's headless Chromium, driven by the Playwright
//! scripts of `tests/browser` (playwright-core; Chromium itself comes from `cargo xtask
//! chromium`, never from a download of Playwright's own).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::build;

/// Where the scripts expect Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Install Chromium when it is missing (`cargo xtask chromium`, as `cargo xtask test` does).
/// Runs once per test process; panics with what to do when it cannot.
pub fn ensure() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(build::root())
            .args(["run", "--quiet", "-p", "xtask", "--", "chromium"])
            .status()
            .unwrap_or_else(|e| panic!("cannot run `cargo xtask chromium`: {e}"));
        assert!(
            status.success() && Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's Chromium at {CHROMIUM}, and `cargo xtask chromium` \
             could not install it ({status}): install it with \
             `apt-get install -y --no-install-recommends chromium` (as root)"
        );
    });
}

/// A folder for screenshots that is removed when the test passes and kept (its path printed)
/// when it fails, or always when `LATCHKEY_KEEP_SCREENSHOTS` is set (to look at them).
pub struct Screenshots {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Screenshots {
    pub fn new(prefix: &str) -> Screenshots {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("screenshots folder");
        let path = dir.path().to_path_buf();
        Screenshots {
            dir: Some(dir),
            path,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Screenshots {
    fn drop(&mut self) {
        if (std::thread::panicking() || std::env::var_os("LATCHKEY_KEEP_SCREENSHOTS").is_some())
            && let Some(dir) = self.dir.take()
        {
            let kept = dir.keep();
            eprintln!("browser screenshots kept in {}", kept.display());
        }
    }
}

/// What a script reported.
#[derive(Debug)]
pub struct ScriptRun {
    /// Whether it exited 0.
    pub success: bool,
    /// Its JSON line (`Value::Null` when it printed none).
    pub report: Value,
    /// Everything it wrote to stdout and stderr.
    pub output: String,
}

/// Connect every app of the pack flow at `pack_url` in Chromium (`connect_pack.mjs`), with one
/// screenshot per step in `out_dir`.
pub async fn connect_pack(pack_url: &str, out_dir: &Path) -> ScriptRun {
    let mut cmd = Command::new("node");
    cmd.arg(script("connect_pack.mjs"))
        .arg(pack_url)
        .arg(out_dir);
    run_script(cmd).await
}

/// Open each of `urls` in a 390 px wide Chromium viewport (`page_widths.mjs`) and report its
/// width, with a screenshot of each in `out_dir`.
pub async fn page_widths(urls: &[String], out_dir: &Path) -> ScriptRun {
    let mut cmd = Command::new("node");
    cmd.arg(script("page_widths.mjs")).arg(out_dir).args(urls);
    run_script(cmd).await
}

fn script(name: &str) -> PathBuf {
    build::root().join("tests").join("browser").join(name)
}

async fn run_script(mut cmd: Command) -> ScriptRun {
    ensure();
    cmd.env("CHROMIUM", CHROMIUM);
    let script = format!("{:?}", cmd.get_args().next().unwrap_or_default());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .unwrap_or_else(|e| panic!("cannot run node {script} ({e}): Node.js 20.19+ is needed"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let report = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or(Value::Null);
    ScriptRun {
        success: out.status.success(),
        report,
        output: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    }
}
