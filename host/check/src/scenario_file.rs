//! Scenario files: a team's own tool-call sequences per connector, and canned upstream answers
//! for connectors the fake provider has no realistic app for. TOML, one file or several
//! (`latchkey check --scenarios FILE`, repeatable):
//!
//! ```toml
//! # Sample input per tool, used by the auth scenarios (replaces the kit's own sample for that
//! # tool; tools without one get an input made from their schema). Run in order; `save` keeps
//! # values from the output for later inputs.
//! [[connectors.github.samples]]
//! tool = "list_issues"
//! input = { owner = "{{login}}", repo = "hello-world" }
//!
//! # Named sequences of tool calls ("the user asks…" as concrete calls): one test case each.
//! [[connectors.github.sequences]]
//! name = "file a bug, then find it"
//!
//! [[connectors.github.sequences.steps]]
//! tool = "create_issue"
//! input = { owner = "{{login}}", repo = "hello-world", title = "Filed by latchkey check" }
//! save = { number = "/number" }          # JSON pointer into the output
//!
//! [[connectors.github.sequences.steps]]
//! tool = "list_issues"
//! input = { owner = "{{login}}", repo = "hello-world" }
//! output_contains = ["Filed by latchkey check"]
//!
//! [[connectors.github.sequences.steps]]
//! tool = "create_issue"
//! input = { owner = "{{login}}", repo = "no-such-repo", title = "x" }
//! expect = "upstream_error"              # "ok" (default) or a problem code
//!
//! # Canned answers of the generic fake app (connectors without a realistic fake app only).
//! [[connectors.acme.responses]]
//! method = "GET"                         # optional: any method
//! host = "api.acme.test"                 # optional: any of the connector's hosts
//! path = "/v1/items/*"                   # `*` one segment, a final `**` the rest
//! status = 200                           # default 200
//! body = { items = [] }                  # default {}
//! scopes = ["items:read"]                # a token lacking one gets 403 insufficient_scope
//!
//! [connectors.acme]
//! origins = ["https://eu.acme.test"]     # concrete origins for wildcard allowed hosts
//! ```
//!
//! Inputs may use `{{variables}}`: `{{user}}` (the gateway user of the run), `{{login}}`,
//! `{{name}}`, `{{email}}` (the person signed in at the fake provider), those the kit
//! defines for a bundled connector (`{{notion_root_page}}`, `{{linear_team}}`), and those
//! saved by earlier steps. A string that is exactly one `{{variable}}` takes the saved value
//! with its JSON type.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// Why a scenario file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioFileError {
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("scenario file {path} is invalid: {message}")]
    Parse { path: PathBuf, message: String },
}

/// A whole file: scenarios by connector id.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub connectors: BTreeMap<String, ConnectorScenarios>,
}

/// What a file says about one connector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorScenarios {
    /// One sample call per tool (a later one for the same tool replaces an earlier one).
    #[serde(default)]
    pub samples: Vec<Step>,
    #[serde(default)]
    pub sequences: Vec<Sequence>,
    /// Canned answers of the generic fake app.
    #[serde(default)]
    pub responses: Vec<fake_provider::Canned>,
    /// Concrete origins to route to the generic fake app besides those the manifest names
    /// (for wildcard allowed hosts such as `https://*.acme.test`).
    #[serde(default)]
    pub origins: Vec<String>,
}

/// A named sequence of calls: one test case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    pub name: String,
    pub steps: Vec<Step>,
}

/// One tool call and what it must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The connector's tool name (without the `<connector>_` prefix).
    pub tool: String,
    #[serde(default = "empty_object")]
    pub input: Value,
    /// `ok` or the problem code the call must end with.
    #[serde(default = "ok")]
    pub expect: String,
    /// Texts the output's JSON must contain (only with `expect = "ok"`).
    #[serde(default)]
    pub output_contains: Vec<String>,
    /// Variables to keep from the output: name → JSON pointer.
    #[serde(default)]
    pub save: BTreeMap<String, String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

fn ok() -> String {
    "ok".into()
}

impl ScenarioFile {
    /// Parse TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<ScenarioFile, ScenarioFileError> {
        let file: ScenarioFile = toml::from_str(text).map_err(|e| ScenarioFileError::Parse {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })?;
        file.check().map_err(|message| ScenarioFileError::Parse {
            path: origin.to_path_buf(),
            message,
        })?;
        Ok(file)
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<ScenarioFile, ScenarioFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn check(&self) -> Result<(), String> {
        for (id, c) in &self.connectors {
            let steps = c
                .samples
                .iter()
                .map(|s| (format!("[connectors.{id}] sample"), s))
                .chain(c.sequences.iter().flat_map(|q| {
                    q.steps
                        .iter()
                        .map(move |s| (format!("[connectors.{id}] sequence {:?}", q.name), s))
                }));
            for (place, step) in steps {
                if !step.input.is_object() {
                    return Err(format!(
                        "{place}: the input of {:?} must be a table",
                        step.tool
                    ));
                }
                if step.expect != "ok" && !step.output_contains.is_empty() {
                    return Err(format!(
                        "{place}: output_contains needs expect = \"ok\" (tool {:?})",
                        step.tool
                    ));
                }
                if let Some((name, pointer)) = step
                    .save
                    .iter()
                    .find(|(_, p)| !(p.is_empty() || p.starts_with('/')))
                {
                    return Err(format!(
                        "{place}: save.{name} = {pointer:?} is not a JSON pointer (\"/a/0/b\")"
                    ));
                }
            }
            if c.sequences.iter().any(|q| q.steps.is_empty()) {
                return Err(format!("[connectors.{id}]: a sequence has no steps"));
            }
        }
        Ok(())
    }

    /// Add `other`'s scenarios after this file's.
    pub fn merge(&mut self, other: ScenarioFile) {
        for (id, c) in other.connectors {
            let mine = self.connectors.entry(id).or_default();
            mine.samples.extend(c.samples);
            mine.sequences.extend(c.sequences);
            mine.responses.extend(c.responses);
            mine.origins.extend(c.origins);
        }
    }

    /// What the files say about `connector` (nothing when they do not name it).
    pub fn for_connector(&self, connector: &str) -> ConnectorScenarios {
        self.connectors.get(connector).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text = r#"
[[connectors.github.samples]]
tool = "list_issues"
input = { owner = "{{login}}", repo = "hello-world" }

[[connectors.github.sequences]]
name = "file a bug, then find it"

[[connectors.github.sequences.steps]]
tool = "create_issue"
input = { owner = "{{login}}", repo = "hello-world", title = "Filed" }
save = { number = "/number" }

[[connectors.github.sequences.steps]]
tool = "list_issues"
output_contains = ["Filed"]

[[connectors.github.sequences.steps]]
tool = "create_issue"
expect = "upstream_error"

[[connectors.acme.responses]]
method = "GET"
path = "/v1/items/*"
body = { items = [] }
scopes = ["items:read"]
"#;
        let file = ScenarioFile::parse(text, Path::new("x.toml")).expect("valid");
        let gh = file.for_connector("github");
        assert_eq!(gh.samples.len(), 1);
        assert_eq!(gh.sequences[0].steps.len(), 3);
        assert_eq!(gh.sequences[0].steps[0].save["number"], "/number");
        assert_eq!(gh.sequences[0].steps[1].expect, "ok");
        assert_eq!(gh.sequences[0].steps[1].input, serde_json::json!({}));
        let acme = file.for_connector("acme");
        assert_eq!(acme.responses[0].status, 200);
        assert_eq!(acme.responses[0].scopes, ["items:read"]);
        assert!(file.for_connector("nobody").sequences.is_empty());
    }

    #[test]
    fn mistakes_are_named() {
        for (text, needle) in [
            ("[connectors.a]\nbogus = 1\n", "bogus"),
            (
                "[[connectors.a.samples]]\ntool = \"t\"\ninput = 3\n",
                "must be a table",
            ),
            (
                "[[connectors.a.samples]]\ntool = \"t\"\nexpect = \"invalid_input\"\noutput_contains = [\"x\"]\n",
                "output_contains",
            ),
            (
                "[[connectors.a.samples]]\ntool = \"t\"\nsave = { k = \"no-slash\" }\n",
                "JSON pointer",
            ),
            (
                "[[connectors.a.sequences]]\nname = \"n\"\nsteps = []\n",
                "no steps",
            ),
            ("[[connectors.a.responses]]\nstatus = 200\n", "path"),
        ] {
            let err = ScenarioFile::parse(text, Path::new("f.toml")).expect_err(needle);
            assert!(err.to_string().contains(needle), "{err}");
            assert!(err.to_string().contains("f.toml"), "{err}");
        }
    }
}
