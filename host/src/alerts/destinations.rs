//! Where alerts go: Standard Webhooks receivers and Slack incoming webhooks, with their secrets
//! loaded once at start from the environment or files (never from the config file).

use secrecy::{ExposeSecret, SecretString};

use super::sign::SigningSecret;
use crate::config::AlertsConfig;

/// One configured destination.
pub enum Destination {
    Webhook {
        name: String,
        url: url::Url,
        secret: SigningSecret,
    },
    Slack {
        name: String,
        url: SecretString,
    },
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Destination {
    /// The name deliveries are recorded under.
    pub fn name(&self) -> &str {
        match self {
            Destination::Webhook { name, .. } | Destination::Slack { name, .. } => name,
        }
    }
}

/// Why the alert destinations cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("alert destination {name}: {reason}")]
pub struct DestinationError {
    pub name: String,
    pub reason: String,
}

fn secret_from(
    name: &str,
    env: &Option<String>,
    file: &Option<std::path::PathBuf>,
) -> Result<SecretString, DestinationError> {
    let fail = |reason: String| DestinationError {
        name: name.to_string(),
        reason,
    };
    match (env, file) {
        (Some(var), None) => crate::secret_env::var(var)
            .ok_or_else(|| fail(format!("environment variable {var} is not set"))),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|t| SecretString::from(t.trim().to_string()))
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display()))),
        _ => Err(fail("give exactly one of *_env or *_file".into())),
    }
}

/// Load every destination of the `[alerts]` table.
pub fn load(config: &AlertsConfig) -> Result<Vec<Destination>, DestinationError> {
    let mut out = Vec::new();
    for (i, w) in config.webhooks.iter().enumerate() {
        let name = w
            .name
            .clone()
            .unwrap_or_else(|| format!("webhook-{}", i + 1));
        let raw = secret_from(&name, &w.secret_env, &w.secret_file)?;
        let secret = SigningSecret::parse(raw.expose_secret()).map_err(|e| DestinationError {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        out.push(Destination::Webhook {
            name,
            url: w.url.clone(),
            secret,
        });
    }
    for (i, s) in config.slack.iter().enumerate() {
        let name = s.name.clone().unwrap_or_else(|| format!("slack-{}", i + 1));
        let url = secret_from(&name, &s.url_env, &s.url_file)?;
        if url::Url::parse(url.expose_secret()).is_err() {
            return Err(DestinationError {
                name,
                reason: "the Slack webhook URL is not a URL".into(),
            });
        }
        out.push(Destination::Slack { name, url });
    }
    let mut names: Vec<&str> = out.iter().map(Destination::name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(DestinationError {
            name: w[0].to_string(),
            reason: "two destinations share this name".into(),
        });
    }
    Ok(out)
}
