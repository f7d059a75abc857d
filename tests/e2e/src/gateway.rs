//! A real `latchkey serve` process with its own folder, config, database and keys.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::build;

/// How to set a gateway up.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// Plugin files copied into its plugins folder.
    pub plugins: Vec<PathBuf>,
    /// Origin → base URL routes (e.g. the real API origin → the fake provider).
    pub overrides: Vec<(String, String)>,
    /// Extra TOML appended to the generated config.
    pub extra_config: String,
    /// `LATCHKEY_MASTER_KEY` for the process (otherwise a key file is created).
    pub master_key: Option<String>,
    /// Extra environment for the server process (e.g. a test hook).
    pub env: Vec<(String, String)>,
}

/// A running gateway; killed on drop.
pub struct Gateway {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub base_url: String,
    pub admin_key: String,
    pub agent_key: String,
    pub http: reqwest::Client,
    child: Option<Child>,
    output: Arc<Mutex<String>>,
    options: GatewayOptions,
}

fn write_config(dir: &Path, options: &GatewayOptions) -> PathBuf {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugins dir");
    for p in &options.plugins {
        let name = p.file_name().expect("plugin file name");
        std::fs::copy(p, plugins.join(name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", p.display()));
    }
    let mut toml = String::from(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nplugins_dir = \"plugins\"\n\n[egress]\nallow_private_addresses = true\n",
    );
    toml.push_str("\n[egress.overrides]\n");
    for (from, to) in &options.overrides {
        toml.push_str(&format!("{from:?} = {to:?}\n"));
    }
    toml.push('\n');
    toml.push_str(&options.extra_config);
    let path = dir.join("latchkey.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

impl Gateway {
    /// Build if needed, write a config, create an admin and an agent key, and start serving.
    pub async fn start(options: GatewayOptions) -> Gateway {
        build::ensure_built();
        crate::install_crypto_provider();
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), &options);
        let mut gw = Gateway {
            dir,
            config,
            base_url: String::new(),
            admin_key: String::new(),
            agent_key: String::new(),
            http: reqwest::Client::new(),
            child: None,
            output: Arc::new(Mutex::new(String::new())),
            options,
        };
        gw.admin_key = gw.cli_ok(&["admin-key", "create", "--name", "test-admin"], None);
        gw.agent_key = gw.cli_ok(
            &["agent-key", "create", "--name", "test-agent", "--all-tools"],
            None,
        );
        gw.spawn()
            .await
            .unwrap_or_else(|e| panic!("gateway did not start: {e}"));
        gw
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(build::bin("latchkey"));
        cmd.arg("--config").arg(&self.config);
        cmd.env("LATCHKEY_LOG", "info,latchkey=debug");
        cmd.env_remove("LATCHKEY_MASTER_KEY");
        if let Some(k) = &self.options.master_key {
            cmd.env("LATCHKEY_MASTER_KEY", k);
        }
        for (k, v) in &self.options.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run a CLI command against this gateway's config.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command();
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn latchkey cli");
        if let Some(mut pipe) = child.stdin.take()
            && let Some(text) = stdin
        {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let out = child.wait_with_output().expect("cli output");
        self.output
            .lock()
            .expect("log lock")
            .push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Run a CLI command that must succeed; returns its trimmed stdout.
    pub fn cli_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli(args, stdin);
        assert!(
            out.status.success(),
            "latchkey {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Start `latchkey serve` and wait for its "listening" line.
    pub async fn spawn(&mut self) -> Result<(), String> {
        let mut cmd = self.command();
        cmd.arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let log = self.output.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut buf = String::new();
            while reader.read_line(&mut buf).map(|n| n > 0).unwrap_or(false) {
                if let Ok(mut l) = log.lock() {
                    l.push_str(&buf);
                }
                buf.clear();
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let log = self.output.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut sent = false;
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if !sent && let Some(url) = line.trim().strip_prefix("latchkey listening on ") {
                    let _ = tx.send(url.to_string());
                    sent = true;
                }
                if let Ok(mut l) = log.lock() {
                    l.push_str(&line);
                }
                line.clear();
            }
        });
        let url = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .map_err(|e| e.to_string())?;
        match url {
            Ok(url) => {
                self.child = Some(child);
                self.base_url = url;
                Ok(())
            }
            Err(_) => {
                // Let it finish (or stop it), then read everything it said.
                let _ = child.kill();
                let _ = child.wait();
                let _ = stderr_reader.join();
                Err(format!("no listening line; output:\n{}", self.logs()))
            }
        }
    }

    /// Wait (up to 5 s) until the output contains `needle`: output is read by a thread, so a
    /// line printed before an event may arrive a moment after it.
    pub async fn wait_for_log(&self, needle: &str) -> bool {
        for _ in 0..50 {
            if self.logs().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Everything the gateway (and CLI runs) wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        self.output.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Stop the server process (the folder stays until drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Set (or with `None`, remove) an environment variable for the next start.
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.options.env.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.options.env.push((key.to_string(), v.to_string()));
        }
    }

    /// Use this master key (as `LATCHKEY_MASTER_KEY`) from the next start on.
    pub fn set_master_key(&mut self, key: &str) {
        self.options.master_key = Some(key.to_string());
    }

    /// Whether the server process has exited, and how.
    pub fn try_exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// The server process id, while it runs (to read its memory use from /proc).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The watched plugins folder.
    pub fn plugins_dir(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    /// POST raw bytes with a bearer key (plugin uploads).
    pub async fn post_bytes(&self, path: &str, key: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .header("content-type", "application/wasm")
            .body(bytes)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    /// DELETE with a bearer key.
    pub async fn delete(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    /// The SQLite file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data").join("latchkey.db")
    }

    /// Every row of every table, in a stable order: to prove a request changed nothing.
    pub fn db_dump(&self) -> String {
        let conn = rusqlite::Connection::open_with_flags(
            self.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open db");
        let mut tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("tables")
            .collect::<Result<_, _>>()
            .expect("names");
        tables.sort();
        let mut out = String::new();
        for t in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
                .expect("select");
            let cols = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let mut row = Vec::new();
                    for i in 0..cols {
                        row.push(format!("{:?}", r.get_ref(i)?));
                    }
                    Ok(row.join("|"))
                })
                .expect("rows");
            out.push_str(&format!("== {t}\n"));
            for r in rows {
                out.push_str(&r.expect("row"));
                out.push('\n');
            }
        }
        out
    }

    /// Store an API key for a user through the CLI; returns the connection id.
    pub fn set_api_key(&self, connector: &str, user: &str, key: &str) -> String {
        self.cli_ok(
            &[
                "connection",
                "set",
                "--connector",
                connector,
                "--user",
                user,
            ],
            Some(key),
        )
    }

    /// GET with a bearer key.
    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    /// POST a raw body with a bearer key (for malformed-input tests).
    pub async fn post_raw(
        &self,
        path: &str,
        key: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        decode(req.send().await.expect("request")).await
    }

    /// POST JSON with a bearer key.
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(path, Some(key), "application/json", &body.to_string())
            .await
    }

    /// PUT JSON with a bearer key.
    pub async fn put_json(&self, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .put(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    /// Call a tool as the test agent for `user`.
    pub async fn call(&self, tool: &str, user: &str, input: Value) -> (StatusCode, Value) {
        self.post(
            &format!("/v1/tools/{tool}/call"),
            &self.agent_key,
            &serde_json::json!({ "user_id": user, "input": input }),
        )
        .await
    }
}

async fn decode(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
    }
}
