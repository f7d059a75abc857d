//! The `latchkey` binary: the gateway server and the operator's command line.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

mod kit;
mod new_connector;
use secrecy::{ExposeSecret, SecretString};

use latchkey::app;
use latchkey::auth::api_keys;
use latchkey::config::Config;
use latchkey::gateway::{Gateway, Workers};
use latchkey::vault::{KeyKind, MasterKey, NewConnection, Owner, SchemeKind, SecretField};

#[derive(Parser)]
#[command(name = "latchkey", version, about = "Auth gateway for AI agents")]
struct Cli {
    /// Configuration file (default: ./latchkey.toml if present, else built-in defaults).
    #[arg(long, short, env = "LATCHKEY_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// The flag's value, to hand on to another program.
    fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Serve,
    /// Manage agent keys.
    #[command(subcommand)]
    AgentKey(KeyCommand),
    /// Manage admin keys.
    #[command(subcommand)]
    AdminKey(KeyCommand),
    /// Manage stored credentials.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Check a plugin file and print its manifest.
    Inspect { file: PathBuf },
    /// Vault maintenance.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the plugins of a running gateway (through its admin API).
    Plugin(PluginArgs),
    /// Exercise connectors' auth (consent, refresh, expiry, revocation, alerts) against the
    /// fake provider, and report mistakes: runs the auth test kit, `latchkey-check` (found
    /// next to this binary or on PATH), with these arguments (`latchkey check --help`).
    #[command(disable_help_flag = true)]
    Check {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Start something new from a template.
    #[command(subcommand)]
    New(NewCommand),
}

#[derive(Subcommand)]
enum NewCommand {
    /// A connector crate (`Cargo.toml`, code, its auth-kit test) that builds for
    /// wasm32-wasip2 and passes `latchkey check` as generated.
    Connector {
        /// The connector's id: `[a-z][a-z0-9-]*`, at most 40 characters.
        id: String,
        /// Where to create it (default: ./<id>); must not exist or be empty.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Depend on the SDK in this folder (`sdk/` of a Latchkey checkout) instead of the
        /// repository.
        #[arg(long, value_name = "DIR")]
        sdk_path: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct PluginArgs {
    /// The gateway's base URL (default: the config's public_url, else its listen address).
    #[arg(long)]
    url: Option<String>,
    /// An admin key.
    #[arg(long, env = "LATCHKEY_ADMIN_KEY", hide_env_values = true)]
    admin_key: String,
    /// Print the gateway's JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Connectors: state, version, hash, tools, allowed hosts, last error.
    List,
    /// Upload a .wasm; it serves at once, or waits for approval if it widens permissions.
    Upload { file: PathBuf },
    /// Activate an update that waits for approval.
    Approve { id: String },
    /// Drop an update that waits for approval.
    Reject { id: String },
    /// Serve the previous version again.
    Rollback { id: String },
    /// Stop serving a connector.
    Unload { id: String },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key; it is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// Agent keys: a tool pack the key may use (repeatable).
        #[arg(long = "pack")]
        packs: Vec<String>,
        /// Agent keys: allow every tool (instead of packs).
        #[arg(long, conflicts_with = "packs")]
        all_tools: bool,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke { id: String },
}

#[derive(Subcommand)]
enum ConnectionCommand {
    /// Store an API key (or, with --username, a password) read from standard input.
    Set {
        #[arg(long)]
        connector: String,
        #[arg(long, conflicts_with = "group", required_unless_present = "group")]
        user: Option<String>,
        #[arg(long)]
        group: Option<String>,
        /// Store a basic credential with this username; the password comes from stdin.
        #[arg(long)]
        username: Option<String>,
        /// Scopes the credential grants, comma-separated.
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
    /// List connections.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Delete a connection and its secrets.
    Delete { id: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the chain: exits 1 (and says where) if an entry was changed, removed or reordered.
    Verify,
    /// Print entries as JSON lines.
    List {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Re-wrap the data keys under a new master key (read from a file). Running gateways keep
    /// working; start them with the new key afterwards.
    RotateMasterKey {
        #[arg(long)]
        new_key_file: PathBuf,
    },
    /// Generate a new master key file (mode 0600).
    GenerateKey { file: PathBuf },
}

/// Log targets that are capped unless `LATCHKEY_LOG` names them: the MCP SDK logs session ids
/// at INFO and whole tool payloads at DEBUG/TRACE, and the Wasm compiler writes gigabytes of
/// IR at TRACE.
const CAPPED_TARGETS: &[(&str, &str)] = &[
    ("rmcp", "warn"),
    ("cranelift_codegen", "info"),
    ("cranelift_frontend", "info"),
    ("cranelift_entity", "info"),
    ("regalloc2", "info"),
    ("wasmtime_internal_cranelift", "info"),
    ("wasmtime_cranelift", "info"),
    ("wasmtime", "info"),
    ("wasmtime_environ", "info"),
    ("wasmtime_internal_environ", "info"),
    ("wasmparser", "info"),
];

/// The log filter: `LATCHKEY_LOG` (or `default`), with [`CAPPED_TARGETS`] added for every
/// target it does not name itself.
fn log_filter(requested: Option<&str>, default: &str) -> String {
    let base = requested.unwrap_or(default).trim().to_string();
    let mut parts: Vec<String> = if base.is_empty() {
        vec![default.to_string()]
    } else {
        vec![base.clone()]
    };
    for (target, level) in CAPPED_TARGETS {
        let named = base
            .split(',')
            .any(|d| d.trim().split(['=', '[']).next() == Some(*target));
        if !named {
            parts.push(format!("{target}={level}"));
        }
    }
    parts.join(",")
}

fn init_tracing(format: LogFormat, default: &str) {
    let requested = std::env::var("LATCHKEY_LOG").ok();
    let filter = tracing_subscriber::EnvFilter::try_new(log_filter(requested.as_deref(), default))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(log_filter(None, default)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn read_secret_from_stdin() -> anyhow::Result<SecretString> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the secret from standard input")?;
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        bail!("no secret on standard input (pipe it in: `… | latchkey connection set …`)");
    }
    Ok(SecretString::from(trimmed.to_string()))
}

fn main() -> anyhow::Result<()> {
    // Before any secret is read: no core dumps, not dumpable, umask 077.
    let hardened = latchkey::hardening::harden_process();
    let cli = Cli::parse();
    init_tracing(cli.log_format, "info");
    if let Err(e) = hardened {
        tracing::warn!(error = %e, "cannot turn off core dumps for this process");
    }
    let config = Config::discover(cli.config.as_deref())?;
    // SAFETY: no other thread exists yet (the async runtime starts below), so nothing reads
    // the environment while the secrets are wiped from it.
    unsafe { latchkey::secret_env::capture(latchkey::secret_env::names_in(&config)) };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(run(cli, config))
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => serve(config).await,
        Command::AgentKey(cmd) => keys(config, KeyKind::Agent, cmd).await,
        Command::AdminKey(cmd) => keys(config, KeyKind::Admin, cmd).await,
        Command::Connection(cmd) => connection(config, cmd).await,
        Command::Inspect { file } => inspect(config, &file).await,
        Command::Vault(cmd) => vault(config, cmd).await,
        Command::Audit(cmd) => audit(config, cmd).await,
        Command::Plugin(args) => plugin(config, args).await,
        Command::Check { args } => kit::exec_check(cli.config.as_deref(), cli.log_format, &args),
        Command::New(NewCommand::Connector { id, dir, sdk_path }) => {
            let dir = new_connector::create(&id, dir.as_deref(), sdk_path.as_deref())?;
            eprintln!(
                "created connector {id} in {}: build it with `cargo build --release --target wasm32-wasip2`, then `latchkey check --plugin target/wasm32-wasip2/release/{}.wasm`",
                dir.display(),
                id.replace('-', "_")
            );
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let gateway = Gateway::start(config, listener, Default::default(), Workers::default()).await?;
    let addr = gateway.address();
    tracing::info!(%addr, public = gateway.base_url(), "latchkey is serving");
    // One line on stdout for scripts and tests that started us on port 0.
    println!("latchkey listening on http://{addr}");
    std::io::stdout().flush()?;
    gateway.serve_until(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn keys(config: Config, kind: KeyKind, cmd: KeyCommand) -> anyhow::Result<()> {
    let vault = app::open_vault(&config).await?;
    match cmd {
        KeyCommand::Create {
            name,
            packs,
            all_tools,
        } => {
            let packs = match (kind, all_tools, packs.is_empty()) {
                (KeyKind::Admin, false, true) => None,
                (KeyKind::Admin, _, _) => bail!("admin keys have no packs"),
                (_, true, true) => None,
                (_, false, false) => Some(packs),
                _ => bail!("give --pack NAME (repeatable) or --all-tools"),
            };
            let grant = api_keys::Grant {
                packs,
                ..Default::default()
            };
            let (record, key) = api_keys::create(&vault, kind, &name, grant).await?;
            eprintln!(
                "created {} key {} ({}); it is shown once:",
                kind.as_str(),
                record.id,
                record.name
            );
            println!("{}", key.expose_secret());
        }
        KeyCommand::List => {
            for k in vault.principals().list_keys(kind).await? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}", k.id, state, k.name);
            }
        }
        KeyCommand::Revoke { id } => {
            if !vault.principals().revoke_key(&id).await? {
                bail!("no active key {id}");
            }
            eprintln!("revoked {id}");
        }
    }
    Ok(())
}

async fn connection(config: Config, cmd: ConnectionCommand) -> anyhow::Result<()> {
    let vault = app::open_vault(&config).await?;
    match cmd {
        ConnectionCommand::Set {
            connector,
            user,
            group,
            username,
            scopes,
        } => {
            let owner = match (user, group) {
                (Some(u), None) => Owner::User(u),
                (None, Some(g)) => Owner::Group(g),
                _ => bail!("give exactly one of --user or --group"),
            };
            let secret = read_secret_from_stdin()?;
            let mut metadata = std::collections::BTreeMap::new();
            let (scheme, field) = match username {
                Some(u) => {
                    metadata.insert("username".to_string(), u);
                    (SchemeKind::Basic, SecretField::Password)
                }
                None => (SchemeKind::ApiKey, SecretField::ApiKey),
            };
            let record = vault
                .connections()
                .put(
                    NewConnection {
                        connector_id: connector,
                        owner,
                        scheme,
                        granted_scopes: scopes,
                        metadata,
                        expires_at: None,
                    },
                    vec![(field, secret)],
                )
                .await?;
            println!("{}", record.id);
        }
        ConnectionCommand::List { user } => {
            for c in vault
                .connections()
                .list(user.map(Owner::User).as_ref())
                .await?
            {
                println!(
                    "{}\t{}\t{:?}\t{}\t{:?}",
                    c.id,
                    c.connector_id,
                    c.owner,
                    c.scheme.as_str(),
                    c.status
                );
            }
        }
        ConnectionCommand::Delete { id } => {
            if !vault.connections().delete(&id).await? {
                bail!("no connection {id}");
            }
            eprintln!("deleted {id}");
        }
    }
    Ok(())
}

async fn inspect(config: Config, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let runtime = latchkey::plugin::PluginRuntime::new(&latchkey::plugin::EngineSettings {
        pooling: false,
        ..Default::default()
    })?;
    let plugin = runtime
        .load(bytes, Some(file.to_path_buf()), |id| config.limits_for(id))
        .await?;
    println!("{}", serde_json::to_string_pretty(&plugin.manifest)?);
    Ok(())
}

async fn audit(config: Config, cmd: AuditCommand) -> anyhow::Result<()> {
    use latchkey::vault::audit::Verdict;
    let vault = app::open_vault(&config).await?;
    match cmd {
        AuditCommand::Verify => {
            let verdict = vault.audit().verify().await?;
            println!("{}", serde_json::to_string(&verdict)?);
            match verdict {
                Verdict::Intact { entries } => eprintln!("audit log intact: {entries} entries"),
                Verdict::Altered { seq } => bail!("audit log entry {seq} was changed or moved"),
                Verdict::Removed { after } => bail!("audit log entries are missing after {after}"),
                Verdict::Truncated { expected, found } => {
                    bail!("audit log was cut: the head says {expected} entries, {found} remain")
                }
            }
        }
        AuditCommand::List { after, limit } => {
            let entries = vault.audit().list(after, limit.clamp(1, 10_000)).await?;
            for e in entries {
                println!("{}", serde_json::to_string(&e)?);
            }
        }
    }
    Ok(())
}

async fn vault(config: Config, cmd: VaultCommand) -> anyhow::Result<()> {
    match cmd {
        VaultCommand::RotateMasterKey { new_key_file } => {
            let env_key = latchkey::secret_env::var("LATCHKEY_MASTER_KEY");
            let (old, _) = MasterKey::load_or_create(
                env_key.as_ref().map(|k| k.expose_secret()),
                &config.master_key_file,
            )?;
            let text = std::fs::read_to_string(&new_key_file)
                .with_context(|| format!("reading {}", new_key_file.display()))?;
            let new = MasterKey::parse(&text, &format!("in {}", new_key_file.display()))?;
            let backend = app::open_backend(&config).await?;
            let n = latchkey::vault::Vault::rotate_master_key(&*backend, &old, &new).await?;
            eprintln!("re-wrapped {n} data key(s); restart gateways with the new key");
        }
        VaultCommand::GenerateKey { file } => {
            let (key, created) = MasterKey::load_or_create(None, &file)?;
            if !created {
                bail!("{} already exists; not overwriting it", file.display());
            }
            eprintln!("wrote master key {} to {}", key.id(), file.display());
        }
    }
    Ok(())
}

async fn plugin(config: Config, args: PluginArgs) -> anyhow::Result<()> {
    use latchkey::plugin_client::{PluginAction, PluginClient, table};
    let base = args.url.unwrap_or_else(|| config.public_base());
    let client = PluginClient::new(&base, SecretString::from(args.admin_key));
    let action = match args.command {
        PluginCommand::List => PluginAction::List,
        PluginCommand::Upload { file } => PluginAction::Upload(
            std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
        ),
        PluginCommand::Approve { id } => PluginAction::Approve(id),
        PluginCommand::Reject { id } => PluginAction::Reject(id),
        PluginCommand::Rollback { id } => PluginAction::Rollback(id),
        PluginCommand::Unload { id } => PluginAction::Unload(id),
    };
    let is_list = matches!(action, PluginAction::List);
    let answer = client.run(action).await?;
    if is_list && !args.json {
        print!("{}", table(&answer));
    } else if !answer.is_null() {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noisy_targets_are_capped_unless_named() {
        let f = log_filter(Some("debug"), "info");
        assert!(f.starts_with("debug,"), "{f}");
        assert!(
            f.contains("rmcp=warn") && f.contains("cranelift_codegen=info"),
            "{f}"
        );
        let f = log_filter(Some("info,rmcp=trace"), "info");
        assert!(!f.contains("rmcp=warn"), "{f}");
        assert!(f.contains("rmcp=trace"), "{f}");
        assert!(log_filter(None, "info").starts_with("info,"));
    }
}
