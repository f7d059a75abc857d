//! The bundled connectors and the fake provider's realistic apps that stand in for their
//! providers: which origins route where, how the gateway authenticates as a client, the fake
//! settings for a check, variables for inputs, and a valid sample call per tool
//! (`bundled/<id>.toml`, in the scenario-file format).
//!
//! | connector | fake OAuth app | origins → fake prefix |
//! | --- | --- | --- |
//! | notion | notion | `api.notion.com` → `/notion` |
//! | github | github | `github.com` → `/github-web`, `api.github.com` → `/github` |
//! | google-drive | google | `accounts.google.com` → `/google-accounts`, `oauth2.googleapis.com` → `/google-oauth`, `www.googleapis.com` → `/google` |
//! | jira | atlassian | `auth.atlassian.com` → `/atlassian-auth`, `api.atlassian.com` → `/atlassian` |
//! | salesforce | salesforce | `login.salesforce.com` → `/salesforce-login`, `acme.my.salesforce.com` → `/salesforce` |
//! | slack | slack | `slack.com` → `/slack` |
//! | linear | — (API keys) | `api.linear.app` → `/linear` |
//!
//! For a check every OAuth app issues expiring access tokens and refresh tokens (GitHub as
//! for GitHub Apps, Slack with token rotation on), so the refresh paths run for all of them.

use fake_provider::oauth::SettingsUpdate;
use fake_provider::{App, ClientAuth, RunningFake};
use serde_json::json;

use super::sample::Vars;

/// How one bundled connector is driven against the fake.
pub struct Bundled {
    pub id: &'static str,
    /// The fake app of its OAuth scheme, if it has one.
    pub app: Option<App>,
    /// Real origin → fake prefix.
    pub origins: &'static [(&'static str, &'static str)],
    /// How the gateway authenticates at the app's token endpoint.
    pub client_auth: ClientAuth,
    /// Fake settings for the check, applied to `app`.
    pub settings: Option<SettingsUpdate>,
    /// Sample calls (scenario-file TOML).
    pub samples: &'static str,
    /// Variables of an OAuth connection made by `person`.
    pub oauth_vars: fn(&RunningFake, &str) -> Vars,
    /// Accepts a new API key for `person` and returns the variables of a connection with it.
    pub api_key: Option<fn(&RunningFake, &str, &str) -> Vars>,
}

fn no_vars(_: &RunningFake, _: &str) -> Vars {
    Vars::new()
}

fn notion_oauth(fake: &RunningFake, person: &str) -> Vars {
    let seed = fake.notion_oauth_workspace(person);
    [("notion_root_page".to_string(), json!(seed.root_page_id))].into()
}

fn notion_key(fake: &RunningFake, key: &str, person: &str) -> Vars {
    let seed = fake.add_notion_token(key, person);
    [("notion_root_page".to_string(), json!(seed.root_page_id))].into()
}

fn linear_key(fake: &RunningFake, key: &str, person: &str) -> Vars {
    let seed = fake.add_linear_key(key, person);
    [("linear_team".to_string(), json!(seed.team_id))].into()
}

/// Expiring access tokens of `ttl` seconds with rotated refresh tokens.
fn expiring(ttl: u64) -> Option<SettingsUpdate> {
    Some(SettingsUpdate {
        access_ttl_secs: Some(Some(ttl)),
        refresh_tokens: Some(true),
        rotation: Some(true),
        ..SettingsUpdate::default()
    })
}

/// Every bundled connector.
pub fn all() -> Vec<Bundled> {
    vec![
        Bundled {
            id: "notion",
            app: Some(App::Notion),
            origins: &[("https://api.notion.com", "/notion")],
            client_auth: ClientAuth::Basic,
            settings: expiring(3600),
            samples: include_str!("bundled/notion.toml"),
            oauth_vars: notion_oauth,
            api_key: Some(notion_key),
        },
        Bundled {
            id: "github",
            app: Some(App::Github),
            origins: &[
                ("https://github.com", "/github-web"),
                ("https://api.github.com", "/github"),
            ],
            client_auth: ClientAuth::Post,
            settings: expiring(28_800),
            samples: include_str!("bundled/github.toml"),
            oauth_vars: no_vars,
            api_key: None,
        },
        Bundled {
            id: "google-drive",
            app: Some(App::Google),
            origins: &[
                ("https://accounts.google.com", "/google-accounts"),
                ("https://oauth2.googleapis.com", "/google-oauth"),
                ("https://www.googleapis.com", "/google"),
            ],
            client_auth: ClientAuth::Post,
            settings: None,
            samples: include_str!("bundled/google-drive.toml"),
            oauth_vars: no_vars,
            api_key: None,
        },
        Bundled {
            id: "jira",
            app: Some(App::Atlassian),
            origins: &[
                ("https://auth.atlassian.com", "/atlassian-auth"),
                ("https://api.atlassian.com", "/atlassian"),
            ],
            client_auth: ClientAuth::Post,
            settings: None,
            samples: include_str!("bundled/jira.toml"),
            oauth_vars: no_vars,
            api_key: None,
        },
        Bundled {
            id: "salesforce",
            app: Some(App::Salesforce),
            origins: &[
                ("https://login.salesforce.com", "/salesforce-login"),
                ("https://acme.my.salesforce.com", "/salesforce"),
            ],
            client_auth: ClientAuth::Post,
            settings: None,
            samples: include_str!("bundled/salesforce.toml"),
            oauth_vars: no_vars,
            api_key: None,
        },
        Bundled {
            id: "slack",
            app: Some(App::Slack),
            origins: &[("https://slack.com", "/slack")],
            client_auth: ClientAuth::Basic,
            settings: expiring(43_200),
            samples: include_str!("bundled/slack.toml"),
            oauth_vars: no_vars,
            api_key: None,
        },
        Bundled {
            id: "linear",
            app: None,
            origins: &[("https://api.linear.app", "/linear")],
            client_auth: ClientAuth::Post,
            settings: None,
            samples: include_str!("bundled/linear.toml"),
            oauth_vars: no_vars,
            api_key: Some(linear_key),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::scenario_file::ScenarioFile;

    #[test]
    fn every_sample_file_parses_and_names_its_connector() {
        for b in all() {
            let file = ScenarioFile::parse(b.samples, std::path::Path::new(b.id))
                .unwrap_or_else(|e| panic!("{}: {e}", b.id));
            assert_eq!(file.connectors.len(), 1, "{}", b.id);
            assert!(
                !file.for_connector(b.id).samples.is_empty(),
                "{} has samples",
                b.id
            );
        }
    }
}
