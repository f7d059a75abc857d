//! `fake-provider --listen 127.0.0.1:0 [--notion-token T --notion-user U] [--linear-key K ...]
//! [--oauth-client JSON ...] [--service-account EMAIL ...]` prints
//! `fake-provider listening on http://127.0.0.1:PORT` once ready, then serves until
//! interrupted (Ctrl-C or SIGTERM).

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use fake_provider::oauth::keys;
use fake_provider::{FakeProvider, OauthClient, ServiceAccount};

/// A local stand-in for the Notion, Linear, GitHub, Google Drive, Jira, Salesforce and Slack
/// APIs and their OAuth servers, for Latchkey's tests and demo.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Accept this Notion integration secret (repeatable).
    #[arg(long = "notion-token")]
    notion_tokens: Vec<String>,
    /// Name of the user of the matching --notion-token (by position).
    #[arg(long = "notion-user")]
    notion_users: Vec<String>,
    /// Accept this Linear API key (repeatable).
    #[arg(long = "linear-key")]
    linear_keys: Vec<String>,
    /// Name of the user of the matching --linear-key (by position).
    #[arg(long = "linear-user")]
    linear_users: Vec<String>,
    /// Register an OAuth client, as the JSON of `POST /_fake/oauth/clients` (repeatable).
    #[arg(long = "oauth-client")]
    oauth_clients: Vec<String>,
    /// Register a Google service account with this e-mail and the bundled test key pair
    /// (`fake_provider::oauth::keys`) (repeatable).
    #[arg(long = "service-account")]
    service_accounts: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let fake = FakeProvider::start(&args.listen).await?;
    for (i, token) in args.notion_tokens.iter().enumerate() {
        let user = args
            .notion_users
            .get(i)
            .map_or("Notion User", String::as_str);
        fake.add_notion_token(token, user);
    }
    for (i, key) in args.linear_keys.iter().enumerate() {
        let user = args
            .linear_users
            .get(i)
            .map_or("Linear User", String::as_str);
        fake.add_linear_key(key, user);
    }
    for json in &args.oauth_clients {
        let client: OauthClient =
            serde_json::from_str(json).with_context(|| format!("bad --oauth-client {json}"))?;
        fake.oauth()
            .register_client(client)
            .with_context(|| format!("bad --oauth-client {json}"))?;
    }
    for email in &args.service_accounts {
        let account = ServiceAccount::new(email, keys::SERVICE_ACCOUNT_PUBLIC_KEY);
        fake.oauth()
            .add_service_account(account)
            .with_context(|| format!("bad --service-account {email}"))?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "fake-provider listening on {}", fake.base_url())
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    drop(stdout);
    stop_signal().await?;
    fake.shutdown().await.context("the server failed")?;
    Ok(())
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("cannot watch Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot watch Ctrl-C")?;
    Ok(())
}
