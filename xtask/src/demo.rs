//! `cargo xtask demo`: a whole agent → gateway → connector → app flow on one machine, no
//! internet: the fake provider stands in for GitHub, Jira, Salesforce, Slack, Notion and
//! Linear (their OAuth servers included), and the person connecting is you, in a browser.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::build;

const NOTION_TOKEN: &str = "secret_demo_notion_token";
const LINEAR_KEY: &str = "lin_api_demo_key";
/// OAuth clients the demo registers with the fake provider and configures in the gateway:
/// (connector, fake app, client auth).
const OAUTH_APPS: &[(&str, &str, &str)] = &[
    ("github", "github", "post"),
    ("jira", "atlassian", "post"),
    ("salesforce", "salesforce", "post"),
    ("slack", "slack", "basic"),
];
/// Where each real origin goes on the fake provider.
const ROUTES: &[(&str, &str)] = &[
    ("https://api.notion.com", "/notion"),
    ("https://api.linear.app", "/linear"),
    ("https://github.com", "/github-web"),
    ("https://api.github.com", "/github"),
    ("https://auth.atlassian.com", "/atlassian-auth"),
    ("https://api.atlassian.com", "/atlassian"),
    ("https://login.salesforce.com", "/salesforce-login"),
    ("https://acme.my.salesforce.com", "/salesforce"),
    ("https://slack.com", "/slack"),
];

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
    for (connector, _, _) in OAUTH_APPS {
        cmd.env(secret_env(connector), format!("demo-{connector}-secret"));
    }
    cmd
}

fn secret_env(connector: &str) -> String {
    format!("LATCHKEY_DEMO_{}_SECRET", connector.to_ascii_uppercase())
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

fn config_text(port: u16, plugins: &Path, fake_url: &str) -> String {
    let mut c = format!(
        "# Demo configuration written by `cargo xtask demo`.\n\
         listen = \"127.0.0.1:{port}\"\n\
         data_dir = \"data\"\n\
         plugins_dir = {plugins:?}\n\n\
         [egress]\n\
         # The fake provider runs on loopback: allow it explicitly (never in production).\n\
         allow_private_addresses = true\n\n\
         [egress.overrides]\n"
    );
    for (origin, prefix) in ROUTES {
        c.push_str(&format!("{origin:?} = \"{fake_url}{prefix}\"\n"));
    }
    for (connector, _, _) in OAUTH_APPS {
        c.push_str(&format!(
            "\n[connectors.{connector}.oauth]\nclient_id = \"demo-{connector}\"\nclient_secret_env = {:?}\n",
            secret_env(connector)
        ));
    }
    c.push_str(
        "\n[packs.sales-ops]\ndescription = \"The seed example: Jira, Salesforce and Slack\"\n\
         tools = [\"jira_create_issue\", \"jira_update_issue\", \"salesforce_get_account\", \"slack_post_message\"]\n",
    );
    c
}

/// A port the OS says is free now (for the smoke run, which must not collide with a demo
/// someone is running on the default port).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Build, start the fake provider and the gateway, then print what to try and wait for
/// Ctrl-C — or, with `smoke`, try it all and stop.
pub fn run(port: Option<u16>, smoke: bool) -> Result<()> {
    if smoke {
        crate::debian::ensure_command(
            "curl",
            "curl",
            "the demo smoke test drives the demo with it",
        )?;
    }
    build::plugins()?;
    build::binaries()?;
    let bin_dir = build::target_dir().join("debug");
    let latchkey_bin = bin_dir.join("latchkey");
    let fake_bin = bin_dir.join("fake-provider");

    let root = build::root();
    let (port, dir) = if smoke {
        (
            port.map_or_else(free_port, Ok)?,
            build::target_dir().join("demo-smoke"),
        )
    } else {
        (port.unwrap_or(8080), root.join(".latchkey-demo"))
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let url = format!("http://127.0.0.1:{port}");

    let mut children = Children(Vec::new());
    let mut fake = Command::new(&fake_bin);
    fake.args([
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
    ]);
    for (connector, app, auth) in OAUTH_APPS {
        let client = format!(
            r#"{{"app":"{app}","client_id":"demo-{connector}","client_secret":"demo-{connector}-secret","redirect_uris":["{url}/v1/oauth/callback/{connector}"],"auth_method":"{auth}"}}"#
        );
        fake.arg("--oauth-client").arg(client);
    }
    let (fake, fake_url) = spawn_and_wait_for_url(&mut fake, "fake-provider listening on ")?;
    children.0.push(fake);
    // Show the provider's consent page, so connecting is something you do in the browser.
    for (_, app, _) in OAUTH_APPS {
        let status = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-X",
                "PUT",
                "-H",
                "content-type: application/json",
            ])
            .arg("-d")
            .arg(r#"{"user":"Ada Lovelace","grant":"all","page":true}"#)
            .arg(format!("{fake_url}/_fake/oauth/{app}/consent"))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!(
                "xtask: could not switch the fake {app} consent to a page (is curl installed?); it will auto-approve"
            );
        }
    }

    let config = dir.join("latchkey.toml");
    let plugins = root.join("target").join("plugins");
    std::fs::write(&config, config_text(port, &plugins, &fake_url))?;

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

    let mut serve = latchkey(&latchkey_bin, &config);
    serve.arg("serve");
    if smoke {
        // Only what went wrong: the steps print their own progress.
        serve.env("LATCHKEY_LOG", "warn");
    }
    let (gateway, served) = spawn_and_wait_for_url(&mut serve, "latchkey listening on ")?;
    children.0.push(gateway);
    if smoke {
        return crate::demo_smoke::run(&crate::demo_smoke::Demo {
            served,
            fake_url,
            agent_key,
            admin_key,
            dir,
        });
    }
    let call = |tool: &str, input: &str| {
        format!(
            "curl -s {served}/v1/tools/{tool}/call -H 'Authorization: Bearer {agent_key}' \\\n        -H 'Content-Type: application/json' -d '{{\"user_id\":\"alice\",\"input\":{input}}}'"
        )
    };

    println!(
        r#"
Latchkey is running at {served} (fake provider at {fake_url}); data in .latchkey-demo/.

Agent key:  {agent_key}
Admin key:  {admin_key}

1. The tools an agent sees:
   curl -s {served}/v1/tools -H 'Authorization: Bearer {agent_key}'

2. Alice's Notion key is already stored: search her pages (the gateway injects the key; the
   connector never sees it):
   {}

3. Alice has not connected GitHub: the answer is `authorization_required` with a connect_url.
   {}
   Open the connect_url in your browser, choose "Continue to GitHub", then "Allow" on the
   (fake) GitHub consent page. Run the same command again: it now works.

4. Connect a whole tool pack at once (Jira, Salesforce, Slack), asking each app for only the
   permissions the pack's tools need:
   curl -s {served}/v1/pack-sessions -H 'Authorization: Bearer {agent_key}' \
        -H 'Content-Type: application/json' -d '{{"pack":"sales-ops","user_id":"alice"}}'
   Open its "url" and follow the steps. Then, e.g.:
   {}

5. What happened, tamper-evident:  curl -s {served}/v1/admin/audit -H 'Authorization: Bearer {admin_key}'
   Auth problems before production:  target/debug/latchkey check --all --plugins-dir target/plugins

Press Ctrl-C to stop.
"#,
        call("notion_search", "{\"query\":\"Sandbox\"}"),
        call("github_get_user", "{}"),
        call(
            "slack_post_message",
            "{\"channel\":\"general\",\"text\":\"Hello from Latchkey\"}"
        ),
    );
    std::io::stdout().flush()?;
    if let Some(gateway) = children.0.last_mut() {
        let status = gateway.wait()?;
        eprintln!("gateway exited: {status}");
    }
    Ok(())
}
