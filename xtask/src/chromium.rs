//! The browser the end-to-end tests drive: Debian's Chromium at `/usr/bin/chromium`, installed
//! from the Debian packages when it is missing (never a browser build of Playwright's own).

use std::process::Command;

use anyhow::{Context, Result, bail};

/// Where the browser tests look for Chromium (`tests/browser/connect_pack.mjs` too).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Make sure `/usr/bin/chromium` exists and runs: install Debian's `chromium` package when it
/// is missing. Fails with what to do by hand when it cannot.
pub fn ensure() -> Result<()> {
    crate::debian::ensure_command(CHROMIUM, "chromium", "the browser tests need it")?;
    let out = Command::new(CHROMIUM)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {CHROMIUM}"))?;
    if !out.status.success() {
        bail!(
            "{CHROMIUM} --version failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    eprintln!(
        "xtask: browser tests use {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );
    Ok(())
}
