//! What a check found: per connector, one case per scenario and per mistake looked for, each
//! passed, failed (with a message saying what to fix) or skipped (with why). Rendered for the
//! terminal here, as JUnit XML in [`super::junit`], and as JSON through serde.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// One scenario or mistake check of one connector.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// Stable id, `<group>.<name>`, e.g. `oauth2.refresh` or `lint.egress_allowlist`.
    pub id: String,
    /// What it checks, in a sentence.
    pub title: String,
    pub outcome: Outcome,
    /// Why it failed or was skipped.
    pub message: Option<String>,
    /// Further lines (each mistake found, calls made).
    pub details: Vec<String>,
    pub duration_ms: u64,
}

impl Case {
    /// The group part of the id (`oauth2`, `api_key`, `tools`, `sequence`, `lint`…).
    pub fn group(&self) -> &str {
        self.id.split_once('.').map_or(self.id.as_str(), |(g, _)| g)
    }

    /// The name part of the id.
    pub fn name(&self) -> &str {
        self.id.split_once('.').map_or(self.id.as_str(), |(_, n)| n)
    }
}

/// Everything checked for one connector.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorReport {
    pub id: String,
    pub name: String,
    pub version: String,
    /// The plugin file.
    pub source: Option<String>,
    /// Which fake app stood in for its provider (`github`, `generic`…).
    pub provider: String,
    /// What the kit could not set up (e.g. wildcard hosts it could not route).
    pub notes: Vec<String>,
    pub cases: Vec<Case>,
    pub duration_ms: u64,
}

/// A whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub connectors: Vec<ConnectorReport>,
    /// Plugins that could not be checked at all (unreadable, refused at load).
    pub errors: Vec<String>,
}

/// Totals of a set of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Totals {
    fn of<'a>(cases: impl IntoIterator<Item = &'a Case>) -> Totals {
        let mut t = Totals::default();
        for c in cases {
            t.cases += 1;
            match c.outcome {
                Outcome::Passed => t.passed += 1,
                Outcome::Failed => t.failed += 1,
                Outcome::Skipped => t.skipped += 1,
            }
        }
        t
    }
}

impl ConnectorReport {
    /// This connector's totals.
    pub fn totals(&self) -> Totals {
        Totals::of(&self.cases)
    }
}

impl Report {
    /// Totals over every connector.
    pub fn totals(&self) -> Totals {
        Totals::of(self.connectors.iter().flat_map(|c| &c.cases))
    }

    /// Whether nothing failed and every plugin could be checked.
    pub fn passed(&self) -> bool {
        self.errors.is_empty() && self.totals().failed == 0
    }

    /// The report as JSON (totals included).
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "totals".into(),
                serde_json::to_value(self.totals()).unwrap_or_default(),
            );
            map.insert("passed".into(), serde_json::Value::Bool(self.passed()));
        }
        value
    }

    /// A readable summary for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.connectors {
            let t = c.totals();
            let _ = writeln!(
                out,
                "\n{} {} ({}, provider: fake {}) — {} passed, {} failed, {} skipped",
                c.id, c.version, c.name, c.provider, t.passed, t.failed, t.skipped
            );
            for n in &c.notes {
                let _ = writeln!(out, "  NOTE  {n}");
            }
            for case in &c.cases {
                let mark = match case.outcome {
                    Outcome::Passed => "PASS",
                    Outcome::Failed => "FAIL",
                    Outcome::Skipped => "SKIP",
                };
                let _ = writeln!(out, "  {mark}  {:<44} {}", case.id, case.title);
                if let Some(m) = &case.message
                    && case.outcome != Outcome::Passed
                {
                    let _ = writeln!(out, "          {m}");
                }
                if case.outcome == Outcome::Failed {
                    for d in &case.details {
                        let _ = writeln!(out, "          - {d}");
                    }
                }
            }
        }
        for e in &self.errors {
            let _ = writeln!(out, "\nERROR  {e}");
        }
        let t = self.totals();
        let _ = writeln!(
            out,
            "\nlatchkey check: {} connector(s), {} case(s): {} passed, {} failed, {} skipped{}",
            self.connectors.len(),
            t.cases,
            t.passed,
            t.failed,
            t.skipped,
            if self.errors.is_empty() {
                String::new()
            } else {
                format!(", {} plugin(s) not checked", self.errors.len())
            }
        );
        out
    }
}

/// Milliseconds of `d`, saturating.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small report with one case of each outcome (also used by the JUnit tests).
    pub(crate) fn sample() -> Report {
        let case = |id: &str, outcome, message: Option<&str>| Case {
            id: id.into(),
            title: format!("checks {id}"),
            outcome,
            message: message.map(str::to_string),
            details: vec!["detail <1> & \"2\"".into()],
            duration_ms: 12,
        };
        Report {
            connectors: vec![ConnectorReport {
                id: "acme".into(),
                name: "Acme".into(),
                version: "0.1.0".into(),
                source: Some("acme.wasm".into()),
                provider: "generic".into(),
                notes: Vec::new(),
                cases: vec![
                    case("oauth2.refresh", Outcome::Passed, None),
                    case(
                        "lint.auth_errors",
                        Outcome::Failed,
                        Some("tool `get` reported a 401 as an upstream error"),
                    ),
                    case("oauth2.clock_skew", Outcome::Skipped, Some("no expiry")),
                ],
                duration_ms: 40,
            }],
            errors: Vec::new(),
        }
    }

    #[test]
    fn totals_text_and_json() {
        let r = sample();
        assert_eq!(
            r.totals(),
            Totals {
                cases: 3,
                passed: 1,
                failed: 1,
                skipped: 1
            }
        );
        assert!(!r.passed());
        let text = r.to_text();
        assert!(text.contains("FAIL  lint.auth_errors"), "{text}");
        assert!(text.contains("reported a 401"), "{text}");
        assert!(text.contains("1 passed, 1 failed, 1 skipped"), "{text}");
        let json = r.to_json();
        assert_eq!(json["totals"]["failed"], 1);
        assert_eq!(json["connectors"][0]["cases"][1]["outcome"], "failed");
        assert_eq!(r.connectors[0].cases[0].group(), "oauth2");
        assert_eq!(r.connectors[0].cases[0].name(), "refresh");
    }
}
