//! Debian packages the test set-up needs, installed with apt-get when missing (as root, or
//! through sudo).

use std::os::unix::fs::MetadataExt;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Whether this process runs as root (the owner of `/proc/self` is our effective user).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `apt-get` with `args`, non-interactive, through `sudo` unless we are root, printed before it
/// runs.
fn apt_get(args: &[&str]) -> Result<()> {
    // `env` sets the variable as root: sudo would drop it from our environment.
    let mut cmd = if is_root() {
        Command::new("env")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("env");
        sudo
    };
    cmd.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"])
        .args(args);
    let shown = format!("{cmd:?}");
    eprintln!("xtask: running {shown}");
    let status = cmd.status().with_context(|| {
        format!("cannot start {shown} (Debian's apt-get, and sudo when not root, are needed)")
    })?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Make sure `command` runs (`command --version`), installing Debian's `package` when it
/// does not.
pub fn ensure_command(command: &str, package: &str, why: &str) -> Result<()> {
    let runs = || {
        Command::new(command)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if runs() {
        return Ok(());
    }
    eprintln!("xtask: {command} is missing; {why}: installing Debian's {package} package");
    apt_get(&["update"])
        .and_then(|()| apt_get(&["install", "-y", "--no-install-recommends", package]))
        .with_context(|| format!("cannot install {package}; install it by hand ({why})"))?;
    if !runs() {
        bail!("the {package} package is installed but {command} still does not run");
    }
    Ok(())
}
