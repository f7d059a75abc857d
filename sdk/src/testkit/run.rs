//! Running the kit binary on a component and reading its report.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use super::TestkitError;
use super::report::Report;

/// What to check besides the built-in scenarios, and with which kit.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Scenario files (`latchkey check --scenarios FILE`): sequences, samples, canned answers.
    pub scenarios: Vec<PathBuf>,
    /// Only these tools (agent-facing `<connector>_<tool>` names); all when `None`.
    pub tools: Option<Vec<String>>,
    /// The kit binary; when `None`, `$LATCHKEY_CHECK`, else `latchkey-check` on `PATH`.
    pub kit: Option<PathBuf>,
}

/// The kit binary to run.
fn kit(options: &Options) -> Result<PathBuf, TestkitError> {
    if let Some(kit) = &options.kit {
        return Ok(kit.clone());
    }
    if let Some(kit) = std::env::var_os("LATCHKEY_CHECK") {
        return Ok(PathBuf::from(kit));
    }
    let name = format!("latchkey-check{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(&name))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| TestkitError::NoKit("not on PATH and LATCHKEY_CHECK is not set".into()))
}

/// A fresh file name for the JSON report.
fn report_path() -> PathBuf {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "latchkey-check-{}-{}.json",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ))
}

/// The kit's arguments for `plugin`.
fn arguments(plugin: &Path, options: &Options, json: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["--plugin".into(), plugin.into()];
    for file in &options.scenarios {
        args.push("--scenarios".into());
        args.push(file.into());
    }
    for tool in options.tools.iter().flatten() {
        args.push("--tool".into());
        args.push(tool.into());
    }
    args.push("--json".into());
    args.push(json.into());
    args
}

/// Check the component at `path` against the fake provider; the report says what passed.
/// An error when the kit cannot run or cannot check the plugin at all (unreadable, refused).
pub fn check_plugin(path: impl AsRef<Path>, options: Options) -> Result<Report, TestkitError> {
    let kit = kit(&options)?;
    let json = report_path();
    let output = Command::new(&kit)
        .args(arguments(path.as_ref(), &options, &json))
        .output()
        .map_err(|e| TestkitError::NoKit(format!("{}: {e}", kit.display())))?;
    let text = std::fs::read_to_string(&json);
    let _ = std::fs::remove_file(&json);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = text.map_err(|_| {
        TestkitError::Check(format!(
            "{} wrote no report ({}): {stderr}",
            kit.display(),
            output.status
        ))
    })?;
    let mut report: Report = serde_json::from_str(&text).map_err(|e| {
        TestkitError::Check(format!(
            "{} wrote a report this SDK cannot read: {e}",
            kit.display()
        ))
    })?;
    if !report.errors.is_empty() {
        return Err(TestkitError::Check(report.errors.join("; ")));
    }
    report.text = String::from_utf8_lossy(&output.stdout).into_owned();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_gets_the_plugin_scenarios_tools_and_report_file() {
        let options = Options {
            scenarios: vec!["team.toml".into()],
            tools: Some(vec!["acme_get".into()]),
            kit: Some("/opt/kit".into()),
        };
        let args = arguments(Path::new("acme.wasm"), &options, Path::new("r.json"));
        let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
        assert_eq!(
            args,
            [
                "--plugin",
                "acme.wasm",
                "--scenarios",
                "team.toml",
                "--tool",
                "acme_get",
                "--json",
                "r.json"
            ]
        );
        assert_eq!(kit(&options).ok(), Some(PathBuf::from("/opt/kit")));
        assert_ne!(report_path(), report_path());
    }

    #[test]
    fn a_kit_that_writes_no_report_is_an_error_that_says_so() {
        let options = Options {
            kit: Some("/bin/true".into()),
            ..Options::default()
        };
        let err = check_plugin("acme.wasm", options).expect_err("no report");
        assert!(err.to_string().contains("wrote no report"), "{err}");
        let missing = Options {
            kit: Some("/no/such/latchkey-check".into()),
            ..Options::default()
        };
        assert!(matches!(
            check_plugin("acme.wasm", missing),
            Err(TestkitError::NoKit(_))
        ));
    }
}
