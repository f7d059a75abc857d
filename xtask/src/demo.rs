//! `cargo xtask demo`: a whole agent → gateway → connector → app flow on one machine, no
//! internet: the fake provider stands in for Notion and Linear.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::build;

const NOTION_TOKEN: &str = "secret_demo_notion_token";
const LINEAR_KEY: &str = "lin_api_demo_key";

/// Kills the child processes when the demo ends, however it ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn_and_wait_for_url(cmd: &mut Command, prefix: &str) -> Result<(Child, String)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            bail!("{cmd:?} exited before it was ready");
        }
        if let Some(url) = line.trim().strip_prefix(prefix) {
            let url = url.to_string();
            // Keep draining stdout so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return Ok((child, url));
        }
    }
}

fn latchkey(bin: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--config").arg(config);
    cmd
}

fn output_of(cmd: &mut Command, stdin: Option<&str>) -> Result<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if let Some(mut pipe) = child.stdin.take()
        && let Some(text) = stdin
    {
        pipe.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{cmd:?} failed with {}", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Build, start the fake provider and the gateway, print what to try, wait for Ctrl-C.
pub fn run(port: u16) -> Result<()> {
    build::plugins()?;
    build::run(build::cargo().args(["build", "-p", "latchkey", "-p", "fake-provider", "--bins"]))?;
    let bin_dir = build::target_dir().join("debug");
    let latchkey_bin = bin_dir.join("latchkey");
    let fake_bin = bin_dir.join("fake-provider");

    let root = build::root();
    let dir = root.join(".latchkey-demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;

    let mut children = Children(Vec::new());
    let (fake, fake_url) = spawn_and_wait_for_url(
        Command::new(&fake_bin).args([
            "--listen",
            "127.0.0.1:0",
            "--notion-token",
            NOTION_TOKEN,
            "--notion-user",
            "Alice",
            "--linear-key",
            LINEAR_KEY,
            "--linear-user",
            "Alice",
        ]),
        "fake-provider listening on ",
    )?;
    children.0.push(fake);

    let plugins: PathBuf = root.join("target").join("plugins");
    let config = dir.join("latchkey.toml");
    std::fs::write(
        &config,
        format!(
            "# Demo configuration written by `cargo xtask demo`.\n\
             listen = \"127.0.0.1:{port}\"\n\
             data_dir = \"data\"\n\
             plugins_dir = {plugins:?}\n\n\
             [egress]\n\
             # The fake provider runs on loopback: allow it explicitly (never in production).\n\
             allow_private_addresses = true\n\n\
             [egress.overrides]\n\
             \"https://api.notion.com\" = \"{fake_url}/notion\"\n\
             \"https://api.linear.app\" = \"{fake_url}/linear\"\n"
        ),
    )?;

    let admin_key = output_of(
        latchkey(&latchkey_bin, &config).args(["admin-key", "create", "--name", "demo-admin"]),
        None,
    )?;
    let agent_key = output_of(
        latchkey(&latchkey_bin, &config).args([
            "agent-key",
            "create",
            "--name",
            "demo-agent",
            "--all-tools",
        ]),
        None,
    )?;
    output_of(
        latchkey(&latchkey_bin, &config).args([
            "connection",
            "set",
            "--connector",
            "notion",
            "--user",
            "alice",
        ]),
        Some(NOTION_TOKEN),
    )?;

    let (gateway, url) = spawn_and_wait_for_url(
        latchkey(&latchkey_bin, &config).arg("serve"),
        "latchkey listening on ",
    )?;
    children.0.push(gateway);

    println!(
        r#"
Latchkey is running at {url} (fake provider at {fake_url}); data in .latchkey-demo/.

Agent key:  {agent_key}
Admin key:  {admin_key}

1. The tools an agent sees:
   curl -s {url}/v1/tools -H 'Authorization: Bearer {agent_key}'

2. Alice has connected Notion: search her pages (the gateway injects her token; the plugin never sees it):
   curl -s {url}/v1/tools/notion_search/call -H 'Authorization: Bearer {agent_key}' \
        -H 'Content-Type: application/json' -d '{{"user_id":"alice","input":{{"query":"Sandbox"}}}}'

3. Alice has not connected Linear yet: the answer is `authorization_required`, with instructions:
   curl -s {url}/v1/tools/linear_get_viewer/call -H 'Authorization: Bearer {agent_key}' \
        -H 'Content-Type: application/json' -d '{{"user_id":"alice","input":{{}}}}'

4. Connect it (the key the fake Linear accepts is {LINEAR_KEY}), then repeat step 3:
   curl -s {url}/v1/admin/connections -H 'Authorization: Bearer {admin_key}' \
        -H 'Content-Type: application/json' \
        -d '{{"connector":"linear","user_id":"alice","credential":{{"type":"api_key","key":"{LINEAR_KEY}"}}}}'

Press Ctrl-C to stop.
"#
    );
    std::io::stdout().flush()?;
    if let Some(gateway) = children.0.last_mut() {
        let status = gateway.wait()?;
        eprintln!("gateway exited: {status}");
    }
    Ok(())
}
