//! `latchkey-check` (also run as `latchkey check`): the auth test kit's command line. Checks
//! plugin files, a pack's connectors or a whole plugins folder, prints the report, writes it
//! as JUnit XML and JSON when asked, and exits 1 when a case failed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;

use latchkey::config::Config;
use latchkey_check::scenario_file::ScenarioFile;
use latchkey_check::{Options, junit};

#[derive(Parser)]
#[command(
    name = "latchkey-check",
    version,
    about = "Exercise connectors' auth (consent, refresh, expiry, revocation, alerts) against the fake provider, and report mistakes (the auth test kit)"
)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["plugins", "pack", "all"])))]
struct Cli {
    /// Configuration file, for --pack and the default plugins folder (default:
    /// ./latchkey.toml if present, else built-in defaults).
    #[arg(long, short, env = "LATCHKEY_CONFIG")]
    config: Option<PathBuf>,
    /// Log format of the gateway under test (its logs are errors only, unless LATCHKEY_LOG
    /// says otherwise: the kit provokes failures on purpose).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// A plugin file to check (repeatable).
    #[arg(long = "plugin", value_name = "FILE")]
    plugins: Vec<PathBuf>,
    /// The connectors of this pack from the configuration, only the pack's tools.
    #[arg(long)]
    pack: Option<String>,
    /// Every plugin in the plugins folder.
    #[arg(long)]
    all: bool,
    /// Only this tool (an agent-facing `<connector>_<tool>` name; repeatable).
    #[arg(long = "tool", value_name = "NAME", conflicts_with = "pack")]
    tools: Vec<String>,
    /// The plugins folder for --all and --pack (default: the configuration's).
    #[arg(long, value_name = "DIR")]
    plugins_dir: Option<PathBuf>,
    /// A scenario file: tool-call sequences and canned upstream answers (repeatable).
    #[arg(long = "scenarios", value_name = "FILE")]
    scenarios: Vec<PathBuf>,
    /// Also write the report as JUnit XML.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the report as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The `.wasm` files of `dir`, sorted.
fn plugin_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the plugins folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .wasm plugins in {}", dir.display());
    }
    Ok(files)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let config = Config::discover(cli.config.as_deref())?;
    let mut scenarios = ScenarioFile::default();
    for path in &cli.scenarios {
        scenarios.merge(ScenarioFile::load(path)?);
    }
    let dir = cli
        .plugins_dir
        .clone()
        .unwrap_or(config.plugins_dir.clone());
    let only = (!cli.tools.is_empty()).then(|| cli.tools.clone());
    let (files, tools) = match (&cli.pack, cli.all) {
        (Some(name), _) => {
            let pack = config.packs.get(name).with_context(|| {
                format!("no pack {name:?} in the configuration ([packs.{name}])")
            })?;
            (plugin_files(&dir)?, Some(pack.tools.clone()))
        }
        (None, true) => (plugin_files(&dir)?, only),
        (None, false) => (cli.plugins.clone(), only),
    };
    let options = Options { scenarios, tools };
    let report = latchkey_check::check_files(&files, &options).await;
    print!("{}", report.to_text());
    std::io::stdout().flush()?;
    if let Some(path) = &cli.junit {
        std::fs::write(path, junit::render(&report))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &cli.json {
        let text = serde_json::to_string_pretty(&report.to_json())?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(name) = &cli.pack
        && report.connectors.is_empty()
    {
        bail!(
            "no plugin in {} provides a tool of pack {name:?}",
            dir.display()
        );
    }
    if !report.passed() {
        bail!("the auth check failed");
    }
    Ok(())
}
