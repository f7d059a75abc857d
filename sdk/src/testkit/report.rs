//! The kit's report as a test reads it: the JSON `latchkey-check --json` writes, plus the
//! terminal text it printed (what a failing test shows).

use serde::Deserialize;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// One scenario or mistake check of one connector.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Stable id, `<group>.<name>`, e.g. `oauth2.refresh_works` or `lint.egress_allowlist`.
    pub id: String,
    /// What it checks, in a sentence.
    pub title: String,
    pub outcome: Outcome,
    /// Why it failed or was skipped.
    #[serde(default)]
    pub message: Option<String>,
    /// Further lines (each mistake found, calls made).
    #[serde(default)]
    pub details: Vec<String>,
    #[serde(default)]
    pub duration_ms: u64,
}

/// Everything checked for one connector.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectorReport {
    pub id: String,
    pub name: String,
    pub version: String,
    /// Which fake app stood in for its provider (`github`, `generic`…).
    pub provider: String,
    /// What the kit could not set up (e.g. wildcard hosts it could not route).
    #[serde(default)]
    pub notes: Vec<String>,
    pub cases: Vec<Case>,
}

/// A whole run.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    pub connectors: Vec<ConnectorReport>,
    /// Plugins that could not be checked at all.
    #[serde(default)]
    pub errors: Vec<String>,
    /// What the kit printed.
    #[serde(skip)]
    pub(crate) text: String,
}

impl Report {
    /// Whether nothing failed and every plugin could be checked.
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
            && self
                .connectors
                .iter()
                .flat_map(|c| &c.cases)
                .all(|c| c.outcome != Outcome::Failed)
    }

    /// The readable report, as the kit printed it (one line per case, what to fix).
    pub fn to_text(&self) -> String {
        self.text.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kit_json_report() {
        let json = r#"{"connectors":[{"id":"acme","name":"Acme","version":"0.1.0","source":"a.wasm",
            "provider":"generic","notes":[],"duration_ms":4,"cases":[
            {"id":"oauth2.refresh_works","title":"t","outcome":"passed","message":null,"details":[],"duration_ms":1},
            {"id":"lint.auth_errors","title":"t","outcome":"failed","message":"401","details":["d"],"duration_ms":1}]}],
            "errors":[],"totals":{"cases":2,"passed":1,"failed":1,"skipped":0},"passed":false}"#;
        let report: Report = serde_json::from_str(json).expect("report");
        assert!(!report.passed());
        assert_eq!(report.connectors[0].cases[1].outcome, Outcome::Failed);
        let mut ok = report.clone();
        ok.connectors[0].cases.pop();
        assert!(ok.passed());
        ok.errors.push("x.wasm was refused".into());
        assert!(!ok.passed());
    }
}
