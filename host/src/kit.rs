//! `latchkey check`: the auth test kit is its own binary, `latchkey-check` (crate
//! `latchkey-check`), so the gateway never links the fake provider it drives. This finds that
//! binary — next to this one first (a release ships both), then on `PATH` — and runs it with
//! the same arguments, so `latchkey check …` and `latchkey-check …` are one command.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::LogFormat;

/// The kit's binary name on this platform.
fn binary_name() -> String {
    format!("latchkey-check{}", std::env::consts::EXE_SUFFIX)
}

/// `latchkey-check` beside `exe`, else the first on `path` (a `PATH`-style list).
fn find(exe: Option<&Path>, path: Option<&OsStr>) -> Option<PathBuf> {
    let name = binary_name();
    let beside = exe
        .and_then(Path::parent)
        .map(|dir| dir.join(&name))
        .filter(|p| p.is_file());
    beside.or_else(|| {
        std::env::split_paths(path?)
            .map(|dir| dir.join(&name))
            .find(|p| p.is_file())
    })
}

/// Run the kit with `args` (and the global flags this binary was given), exiting as it exits.
pub fn exec_check(
    config: Option<&Path>,
    log_format: LogFormat,
    args: &[OsString],
) -> anyhow::Result<()> {
    let exe = std::env::current_exe().ok();
    let Some(kit) = find(exe.as_deref(), std::env::var_os("PATH").as_deref()) else {
        bail!(
            "`latchkey check` runs the auth test kit, a separate binary that was not found: no {} next to {} or on PATH. Build it with `cargo build -p latchkey-check` (or install it: `cargo install --path host/check`), or run `latchkey-check` directly.",
            binary_name(),
            exe.as_deref()
                .map_or_else(|| "this binary".to_string(), |p| p.display().to_string())
        );
    };
    let mut cmd = Command::new(&kit);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.arg("--log-format").arg(log_format.as_str()).args(args);
    run(cmd, &kit)
}

#[cfg(unix)]
fn run(mut cmd: Command, kit: &Path) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt as _;
    // Replaces this process: the kit's exit status and output are the command's.
    let error = cmd.exec();
    Err(error).with_context(|| format!("cannot run {}", kit.display()))
}

#[cfg(not(unix))]
fn run(mut cmd: Command, kit: &Path) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", kit.display()))?;
    std::process::exit(status.code().unwrap_or(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_is_found_beside_the_binary_then_on_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (bin, other) = (dir.path().join("bin"), dir.path().join("other"));
        std::fs::create_dir_all(&bin).expect("bin");
        std::fs::create_dir_all(&other).expect("other");
        let exe = bin.join("latchkey");
        let path = std::env::join_paths([&other]).expect("path");
        assert_eq!(find(Some(&exe), Some(&path)), None, "nowhere yet");
        std::fs::write(other.join(binary_name()), "").expect("write");
        assert_eq!(
            find(Some(&exe), Some(&path)),
            Some(other.join(binary_name())),
            "on PATH"
        );
        std::fs::write(bin.join(binary_name()), "").expect("write");
        assert_eq!(
            find(Some(&exe), Some(&path)),
            Some(bin.join(binary_name())),
            "beside the binary first"
        );
    }
}
