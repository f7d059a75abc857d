//! The bundled connectors and the fake provider's realistic apps that stand in for their
//! providers. Each is data next to its plugin, `plugins/<name>/kit.toml` (embedded at build
//! time, see `build.rs`): which app plays the provider, which origins route where, how the
//! gateway authenticates as a client, the fake settings for a check, the fake's seeds for a
//! new connection (and so the variables inputs may use), and the sample calls and sequences
//! in the scenario-file format:
//!
//! ```toml
//! connector = "notion"
//!
//! [provider]
//! app = "notion"                         # a fake OAuth app; none for API keys only
//! client_auth = "basic"                  # basic | post | none (default post)
//!
//! [provider.origins]                     # real origin → the fake provider's prefix
//! "https://api.notion.com" = "/notion"
//!
//! [provider.settings]                    # the fake app's settings during a check
//! access_ttl_secs = 3600
//! refresh_tokens = true
//! rotation = true
//!
//! [provider.seeds]                       # what the fake sets up for a new connection
//! oauth = "notion_workspace"             # see SEEDS
//! api_key = "notion_token"
//!
//! [[connectors.notion.samples]]
//! tool = "search"
//! input = { query = "Sandbox" }
//! ```
//!
//! For a check every OAuth app issues expiring access tokens and refresh tokens (GitHub as
//! for GitHub Apps, Slack with token rotation on), so the refresh paths run for all of them.

use std::collections::BTreeMap;
use std::path::Path;

use fake_provider::oauth::SettingsUpdate;
use fake_provider::{App, ClientAuth, RunningFake};
use serde::Deserialize;
use serde_json::json;

use super::sample::Vars;
use super::scenario_file::{ConnectorScenarios, ScenarioFile, ScenarioFileError};

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// What a seed sets up at the fake, and so which connections it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedFor {
    /// An OAuth connection of the person who consented.
    Oauth,
    /// A pasted API key the fake then accepts.
    ApiKey,
}

/// The fake provider's seeds a fixture may name: (name, what it fits, what it gives).
pub const SEEDS: &[(&str, SeedFor, &str)] = &[
    (
        "notion_workspace",
        SeedFor::Oauth,
        "a Notion workspace for the person: {{notion_root_page}}",
    ),
    (
        "notion_token",
        SeedFor::ApiKey,
        "the key as a Notion integration secret of a new workspace: {{notion_root_page}}",
    ),
    (
        "linear_key",
        SeedFor::ApiKey,
        "the key as a Linear API key of a new account with one team: {{linear_team}}",
    ),
];

/// Run seed `name` for `person` (`key`: the API key it must accept) and return its variables.
fn seed(fake: &RunningFake, name: &str, person: &str, key: &str) -> Vars {
    match name {
        "notion_workspace" => {
            let seed = fake.notion_oauth_workspace(person);
            [("notion_root_page".to_string(), json!(seed.root_page_id))].into()
        }
        "notion_token" => {
            let seed = fake.add_notion_token(key, person);
            [("notion_root_page".to_string(), json!(seed.root_page_id))].into()
        }
        "linear_key" => {
            let seed = fake.add_linear_key(key, person);
            [("linear_team".to_string(), json!(seed.team_id))].into()
        }
        // Names were checked against SEEDS when the fixture was read.
        _ => Vars::new(),
    }
}

/// The `[provider]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Provider {
    #[serde(default)]
    app: Option<App>,
    #[serde(default = "post")]
    client_auth: ClientAuth,
    origins: BTreeMap<String, String>,
    #[serde(default)]
    settings: Option<SettingsUpdate>,
    #[serde(default)]
    seeds: Seeds,
}

fn post() -> ClientAuth {
    ClientAuth::Post
}

/// `[provider.seeds]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seeds {
    oauth: Option<String>,
    api_key: Option<String>,
}

/// A whole `kit.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    connector: String,
    provider: Provider,
    #[serde(default)]
    connectors: BTreeMap<String, ConnectorScenarios>,
}

/// How one bundled connector is driven against the fake.
#[derive(Debug, Clone)]
pub struct Bundled {
    pub id: String,
    /// The fake app of its OAuth scheme, if it has one.
    pub app: Option<App>,
    /// Real origin → fake prefix.
    pub origins: BTreeMap<String, String>,
    /// How the gateway authenticates at the app's token endpoint.
    pub client_auth: ClientAuth,
    /// Fake settings for the check, applied to `app`.
    pub settings: Option<SettingsUpdate>,
    /// Sample calls and sequences.
    pub samples: ScenarioFile,
    oauth_seed: Option<String>,
    api_key_seed: Option<String>,
}

impl Bundled {
    /// Read a `kit.toml`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Bundled, ScenarioFileError> {
        let invalid = |message: String| ScenarioFileError::Parse {
            path: origin.to_path_buf(),
            message,
        };
        let f: Fixture = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        if let Some(other) = f.connectors.keys().find(|k| **k != f.connector) {
            return Err(invalid(format!(
                "it is the fixture of {:?}, yet it has samples for {other:?}",
                f.connector
            )));
        }
        for (name, fits) in [
            (&f.provider.seeds.oauth, SeedFor::Oauth),
            (&f.provider.seeds.api_key, SeedFor::ApiKey),
        ] {
            if let Some(name) = name
                && !SEEDS.iter().any(|(n, f, _)| n == name && *f == fits)
            {
                let known: Vec<&str> = SEEDS
                    .iter()
                    .filter(|(_, f, _)| *f == fits)
                    .map(|(n, _, _)| *n)
                    .collect();
                return Err(invalid(format!(
                    "the fake provider has no {fits:?} seed {name:?} (known: {known:?})"
                )));
            }
        }
        Ok(Bundled {
            id: f.connector,
            app: f.provider.app,
            origins: f.provider.origins,
            client_auth: f.provider.client_auth,
            settings: f.provider.settings,
            samples: ScenarioFile {
                connectors: f.connectors,
            },
            oauth_seed: f.provider.seeds.oauth,
            api_key_seed: f.provider.seeds.api_key,
        })
    }

    /// Variables of an OAuth connection made by `person`.
    pub fn oauth_vars(&self, fake: &RunningFake, person: &str) -> Vars {
        match &self.oauth_seed {
            Some(name) => seed(fake, name, person, ""),
            None => Vars::new(),
        }
    }

    /// Has the fake accept `key` for `person`, and returns the variables of a connection with
    /// it; `None` when the fixture names no API-key seed.
    pub fn api_key_vars(&self, fake: &RunningFake, key: &str, person: &str) -> Option<Vars> {
        self.api_key_seed
            .as_ref()
            .map(|name| seed(fake, name, person, key))
    }
}

/// Every bundled connector whose fixture reads (a broken one fails this crate's tests, and
/// is left out here rather than stopping every check).
pub fn all() -> Vec<Bundled> {
    FIXTURES
        .iter()
        .filter_map(|(folder, text)| {
            Bundled::parse(text, &Path::new("plugins").join(folder).join("kit.toml")).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_reads_and_names_its_connector() {
        assert!(FIXTURES.len() >= 7, "the bundled fixtures are embedded");
        for (folder, text) in FIXTURES {
            let b = Bundled::parse(text, Path::new(folder)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                b.id, *folder,
                "plugins/{folder}/kit.toml names its connector"
            );
            assert!(
                !b.samples.for_connector(&b.id).samples.is_empty(),
                "{folder} has samples"
            );
            assert!(!b.origins.is_empty(), "{folder} routes its origins");
        }
        assert_eq!(all().len(), FIXTURES.len());
    }

    #[test]
    fn a_broken_fixture_says_what_is_wrong() {
        let bad = |text: &str| {
            Bundled::parse(text, Path::new("plugins/x/kit.toml"))
                .expect_err("refused")
                .to_string()
        };
        let head = "connector = \"x\"\n[provider]\norigins = {}\n";
        let e = bad(&format!("{head}bogus = 1\n"));
        assert!(
            e.contains("plugins/x/kit.toml") && e.contains("bogus"),
            "{e}"
        );
        let e = bad(&format!("{head}[provider.seeds]\noauth = \"linear_key\"\n"));
        assert!(e.contains("linear_key"), "{e}");
        let e = bad(&format!("{head}[[connectors.y.samples]]\ntool = \"t\"\n"));
        assert!(e.contains("\"y\""), "{e}");
        let e = bad("connector = \"x\"\n[provider]\napp = \"myspace\"\norigins = {}\n");
        assert!(e.contains("myspace"), "{e}");
    }
}
