//! Building the wasm side: the target, the bundled plugins, the test fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-wasip2";

/// The workspace root (the folder holding this repository's `Cargo.toml`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` (CI keeps it outside the clone) or `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("target"),
    }
}

/// `cargo`, as the one running us.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Run a command, failing loudly with what it was.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Build the workspace's binaries (`latchkey`, `latchkey-check`, `fake-provider`). Selecting
/// the whole workspace resolves features as `cargo test --workspace` does, so the gateway the
/// tests built is reused (with `-p latchkey -p fake-provider` cargo unified fewer features
/// and compiled wasmtime and the gateway a second time).
pub fn binaries() -> Result<()> {
    run(cargo().args(["build", "--workspace", "--bins"]))
}

/// Install the wasm target if it is missing.
pub fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32-wasip2 target")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    eprintln!("xtask: installing the {WASM_TARGET} target");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn build_workspace(dir: &str, out: &str) -> Result<Vec<PathBuf>> {
    let root = root();
    let manifest = root.join(dir).join("Cargo.toml");
    // Each wasm workspace gets its own target folder (beside the host's, wherever that is).
    let wasm_target = target_dir().join(format!("wasm-{out}"));
    // Only the artifacts this build reports are copied: the shared target folder may also hold
    // .wasm files of other crates built there (the connector-template test builds one).
    let output = cargo()
        .args([
            "build",
            "--release",
            "--target",
            WASM_TARGET,
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&wasm_target)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot build {}", manifest.display()))?;
    if !output.status.success() {
        bail!(
            "building {} failed with {}",
            manifest.display(),
            output.status
        );
    }
    let built = wasm_artifacts(&output.stdout);
    let dest = root.join("target").join(out);
    std::fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
    // Replace the folder's contents so a removed plugin does not linger.
    for entry in std::fs::read_dir(&dest)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            std::fs::remove_file(&path)?;
        }
    }
    let mut copied = Vec::new();
    for path in built {
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let target = dest.join(name);
        std::fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
        copied.push(target);
    }
    if copied.is_empty() {
        bail!("building {} produced no .wasm files", manifest.display());
    }
    Ok(copied)
}

/// Build the bundled connectors into `target/plugins/` and the fixtures into `target/test-plugins/`.
pub fn plugins() -> Result<()> {
    ensure_wasm_target()?;
    let bundled = build_workspace("plugins", "plugins")?;
    let fixtures = build_workspace("tests/plugins", "test-plugins")?;
    eprintln!(
        "xtask: {} bundled plugin(s) in target/plugins, {} fixture(s) in target/test-plugins",
        bundled.len(),
        fixtures.len()
    );
    Ok(())
}

/// The Node projects the tests run: a real OpenID provider, a Standard Webhooks receiver, the
/// Playwright scripts that drive Chromium through the connect pages, and the MCP clients of the
/// official TypeScript SDKs.
const NODE_PROJECTS: &[&str] = &[
    "tests/oidc",
    "tests/webhook-receiver",
    "tests/browser",
    "tests/mcp-clients",
];

/// Install the test Node projects' packages (`npm ci`, exactly as locked) when they are missing
/// or a lockfile changed since the last install; a no-op otherwise.
pub fn node_deps() -> Result<()> {
    for project in NODE_PROJECTS {
        node_project(&root().join(project))?;
    }
    Ok(())
}

fn node_project(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let wanted = std::fs::read(&lock).with_context(|| format!("reading {}", lock.display()))?;
    // A copy of the lockfile that was installed, kept inside node_modules (which `npm ci` wipes).
    let stamp = dir
        .join("node_modules")
        .join(".latchkey-installed-lock.json");
    if std::fs::read(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(());
    }
    eprintln!("xtask: installing npm packages for {}", dir.display());
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(dir);
    match npm.status() {
        Ok(status) if status.success() => {}
        Ok(status) => bail!("npm ci in {} failed with {status}", dir.display()),
        Err(e) => bail!(
            "cannot run npm ({e}): Node.js 20.19+ and npm are needed by the tests ({})",
            dir.display()
        ),
    }
    std::fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// The virtualenv holding the official Python MCP client (`mcp` from PyPI) for the tests.
pub fn python_venv() -> PathBuf {
    root().join("target").join("mcp-venv")
}

/// Create `target/mcp-venv` with the pinned packages of `tests/mcp-clients/requirements.txt`
/// when it is missing or the requirements changed since the last install; a no-op otherwise.
pub fn python_deps() -> Result<()> {
    let requirements = root()
        .join("tests")
        .join("mcp-clients")
        .join("requirements.txt");
    let wanted = std::fs::read(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let venv = python_venv();
    let stamp = venv.join(".latchkey-installed-requirements.txt");
    if std::fs::read(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(());
    }
    let python = venv.join("bin").join("python");
    if !python.exists() {
        eprintln!("xtask: creating {}", venv.display());
        let python3 = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        run(Command::new(&python3).args(["-m", "venv"]).arg(&venv)).with_context(|| {
            format!(
                "Python 3.10+ with the venv module is needed for the MCP client tests ({python3})"
            )
        })?;
    }
    eprintln!(
        "xtask: installing the Python MCP client into {}",
        venv.display()
    );
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "-r",
        ])
        .arg(&requirements))?;
    std::fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// The `.wasm` files cargo's JSON messages report as built artifacts.
fn wasm_artifacts(stdout: &[u8]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        for file in msg["filenames"].as_array().into_iter().flatten() {
            if let Some(f) = file.as_str().filter(|f| f.ends_with(".wasm")) {
                out.push(PathBuf::from(f));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
