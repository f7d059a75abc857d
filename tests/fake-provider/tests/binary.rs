//! The `fake-provider` binary: one ready line on stdout, seeded credentials, clean exit.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::client;
use reqwest::StatusCode;
use serde_json::Value;

/// Kills the child if the test fails before it exits on its own.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_url_and_serves_seeded_credentials() {
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_fake-provider"))
            .args(["--listen", "127.0.0.1:0"])
            .args(["--notion-token", "secret_bin", "--notion-user", "Bin User"])
            .args(["--linear-key", "lin_api_bin"])
            .args([
                "--oauth-client",
                r#"{"app": "github", "client_id": "gh", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:9/cb"]}"#,
            ])
            .args(["--service-account", "sa@p.iam.gserviceaccount.com"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("binary starts"),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a ready line");
    let base = line
        .trim_end()
        .strip_prefix("fake-provider listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let me: Value = client()
        .get(format!("{base}/notion/v1/users/me"))
        .bearer_auth("secret_bin")
        .header("Notion-Version", "2022-06-28")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Bin User");

    let viewer = client()
        .post(format!("{base}/linear/graphql"))
        .header("Authorization", "lin_api_bin")
        .json(&serde_json::json!({ "query": "{ viewer { name } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), StatusCode::OK);
    let viewer: Value = viewer.json().await.unwrap();
    assert_eq!(viewer["data"]["viewer"]["name"], "Linear User");

    let clients: Value = client()
        .get(format!("{base}/_fake/oauth/clients"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clients[0]["client_id"], "gh");

    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[test]
fn binary_refuses_a_bad_client() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-provider"))
        .args(["--oauth-client", "{\"app\": \"nope\"}"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--oauth-client"));
}

#[test]
fn binary_refuses_public_addresses() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-provider"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));
}
