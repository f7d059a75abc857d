//! Secrets passed in environment variables (the master key, OAuth client secrets, webhook
//! secrets, the CLI's admin key) are read once at start and then wiped from the process
//! environment: their bytes are overwritten where the kernel put them (so neither
//! `/proc/<pid>/environ` nor a memory image shows them) and the variables are unset, so no
//! child process or later reader inherits them. Code asks [`var`] instead of `std::env`.

use std::collections::HashMap;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};

static CAPTURED: OnceLock<HashMap<String, SecretString>> = OnceLock::new();

/// Read `names` from the environment, keep them here, and wipe them from the environment.
///
/// # Safety
///
/// No other thread may read or write the environment meanwhile: call it from `main` before
/// any thread (the async runtime's included) is started.
pub unsafe fn capture<I, S>(names: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut kept = HashMap::new();
    for name in names {
        let name = name.as_ref();
        if name.is_empty() || name.contains(['=', '\0']) {
            continue;
        }
        let Ok(value) = std::env::var(name) else {
            continue;
        };
        kept.insert(name.to_string(), SecretString::from(value));
        // SAFETY: the caller guarantees no other thread touches the environment; `getenv`
        // returns the value's bytes in place (or null), and we overwrite exactly its length.
        #[cfg(unix)]
        unsafe {
            if let Ok(c_name) = std::ffi::CString::new(name) {
                let value = libc::getenv(c_name.as_ptr());
                if !value.is_null() {
                    let len = libc::strlen(value);
                    std::ptr::write_bytes(value, 0, len);
                }
            }
        }
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }
    let _ = CAPTURED.set(kept);
}

/// The value of environment variable `name`: as captured at start, or (in a process that
/// captured nothing, such as a test) as the environment has it now.
pub fn var(name: &str) -> Option<SecretString> {
    match CAPTURED.get() {
        Some(kept) => kept
            .get(name)
            .map(|v| SecretString::from(v.expose_secret().to_string()))
            .or_else(|| std::env::var(name).ok().map(SecretString::from)),
        None => std::env::var(name).ok().map(SecretString::from),
    }
}

/// The names of the secret environment variables `config` refers to, plus the gateway's own.
pub fn names_in(config: &crate::config::Config) -> Vec<String> {
    let mut names = vec![
        "LATCHKEY_MASTER_KEY".to_string(),
        "LATCHKEY_ADMIN_KEY".to_string(),
    ];
    for c in config.connectors.values() {
        if let Some(var) = c.oauth.as_ref().and_then(|o| o.client_secret_env.clone()) {
            names.push(var);
        }
    }
    names.extend(
        config
            .alerts
            .webhooks
            .iter()
            .filter_map(|w| w.secret_env.clone()),
    );
    names.extend(config.alerts.slack.iter().filter_map(|s| s.url_env.clone()));
    names
}
