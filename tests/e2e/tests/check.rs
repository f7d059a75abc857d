//! The auth test kit, `latchkey check`, as operators and CI run it: the real binary against
//! the fake provider. Every bundled connector passes; each deliberately broken fixture is
//! caught with its own message; the JUnit report parses (Python's xml.etree) and counts the
//! cases the JSON report lists.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use e2e::build;
use serde_json::Value;

/// Token prefixes of every fake app, and the kit's API keys: none may reach a report.
const SECRET_PREFIXES: &[&str] = &[
    "gho_",
    "ghr_",
    "ya29.",
    "1//",
    "xoxb-",
    "xoxp-",
    "xoxe-",
    "ntn_",
    "nrt_",
    "gat_",
    "grt_",
    "kit_key_",
    "5Aep861",
    "BEGIN PRIVATE KEY",
];

struct Run {
    output: Output,
    json: Value,
    junit: String,
    _dir: tempfile::TempDir,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The case `id` of connector `connector`.
    fn case(&self, connector: &str, id: &str) -> Value {
        self.json["connectors"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["id"] == connector))
            .and_then(|c| c["cases"].as_array())
            .and_then(|cases| cases.iter().find(|k| k["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("no case {id} for {connector}: {}", self.stdout()))
    }

    fn assert_no_secrets(&self) {
        for text in [self.stdout(), self.junit.clone(), self.json.to_string()] {
            for prefix in SECRET_PREFIXES {
                assert!(!text.contains(prefix), "{prefix} in a report:\n{text}");
            }
        }
    }
}

/// `latchkey [--config CONFIG] check ARGS --junit … --json …` in a fresh folder.
fn check(config: Option<&str>, args: &[&str]) -> Run {
    build::ensure_built();
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    let mut cmd = Command::new(build::bin("latchkey"));
    cmd.current_dir(dir.path()).env_remove("LATCHKEY_LOG");
    if let Some(text) = config {
        let path = dir.path().join("latchkey.toml");
        std::fs::write(&path, text).expect("config");
        cmd.arg("--config").arg(&path);
    }
    cmd.arg("check")
        .args(args)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json);
    let output = cmd.output().expect("run latchkey check");
    let json_text = std::fs::read_to_string(&json).unwrap_or_default();
    Run {
        json: serde_json::from_str(&json_text).unwrap_or(Value::Null),
        junit: std::fs::read_to_string(&junit).unwrap_or_default(),
        output,
        _dir: dir,
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn plugins_dir() -> PathBuf {
    build::root().join("target").join("plugins")
}

/// Python's reading of a JUnit file: totals, and per suite (tests, failures, skipped) as the
/// attributes say and as the testcase elements count.
fn parse_junit(xml: &str) -> Value {
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
suites = []
for s in root.findall("testsuite"):
    cases = s.findall("testcase")
    suites.append({
        "name": s.get("name"),
        "tests": int(s.get("tests")), "failures": int(s.get("failures")), "skipped": int(s.get("skipped")),
        "counted": len(cases),
        "counted_failures": sum(1 for c in cases if c.find("failure") is not None),
        "counted_skipped": sum(1 for c in cases if c.find("skipped") is not None),
        "failure_messages": [c.find("failure").get("message") for c in cases if c.find("failure") is not None],
    })
print(json.dumps({"tests": int(root.get("tests")), "failures": int(root.get("failures")),
                  "skipped": int(root.get("skipped")), "suites": suites}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed to parse JUnit XML");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(xml.as_bytes()).expect("write xml");
    }
    let out = child.wait_with_output().expect("python3 output");
    assert!(
        out.status.success(),
        "the JUnit XML does not parse: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python's json")
}

/// The JUnit file agrees with itself and with the JSON report.
fn assert_junit_matches(run: &Run) -> Value {
    let parsed = parse_junit(&run.junit);
    let totals = &run.json["totals"];
    assert_eq!(parsed["tests"], totals["cases"], "{parsed}");
    assert_eq!(parsed["failures"], totals["failed"], "{parsed}");
    assert_eq!(parsed["skipped"], totals["skipped"], "{parsed}");
    let mut counted = 0;
    for suite in parsed["suites"].as_array().expect("suites") {
        assert_eq!(suite["tests"], suite["counted"], "{suite}");
        assert_eq!(suite["failures"], suite["counted_failures"], "{suite}");
        assert_eq!(suite["skipped"], suite["counted_skipped"], "{suite}");
        counted += suite["counted"].as_u64().expect("count");
    }
    assert_eq!(json_u64(&totals["cases"]), counted);
    parsed
}

fn json_u64(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

#[test]
fn every_bundled_connector_passes_the_kit() {
    let dir = plugins_dir();
    let run = check(None, &["--all", "--plugins-dir", path(&dir)]);
    assert!(
        run.output.status.success(),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    let ids: Vec<&str> = run.json["connectors"]
        .as_array()
        .expect("connectors")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for id in [
        "github",
        "google-drive",
        "jira",
        "linear",
        "notion",
        "salesforce",
        "slack",
    ] {
        assert!(ids.contains(&id), "{id} was checked: {ids:?}");
    }
    assert_eq!(run.json["totals"]["failed"], 0, "{}", run.stdout());
    // The OAuth behaviours ran (not skipped) for an OAuth connector with every quirk on.
    for id in [
        "oauth2.consent_grants_tool_scopes",
        "oauth2.refresh_works",
        "oauth2.expired_token_refreshed",
        "oauth2.rotation_single_flight",
        "oauth2.clock_skew_provider_ahead",
        "oauth2.clock_skew_provider_behind",
        "oauth2.invalid_grant_needs_reauth",
        "oauth2.scope_removed_alerts",
        "oauth2.token_429_backs_off",
        "tools.create_issue",
        "lint.declared_scopes",
    ] {
        assert_eq!(run.case("jira", id)["outcome"], "passed", "{id}");
    }
    for id in [
        "api_key.first_call_asks_to_connect",
        "api_key.connect_page_checks_it",
        "api_key.revoked_needs_reauth",
        "tools.create_issue",
    ] {
        assert_eq!(run.case("linear", id)["outcome"], "passed", "{id}");
    }
    for id in ["service_account.token", "service_account.expiry"] {
        assert_eq!(run.case("google-drive", id)["outcome"], "passed", "{id}");
    }
    assert_eq!(
        run.case("github", "sequence.file_a_bug_then_find_it")["outcome"],
        "passed"
    );
    let parsed = assert_junit_matches(&run);
    assert_eq!(parsed["suites"].as_array().map(Vec::len), Some(7));
    assert!(
        run.stdout().contains("7 connector(s)"),
        "a readable summary: {}",
        run.stdout()
    );
    run.assert_no_secrets();
}

#[test]
fn a_pack_checks_only_its_connectors_and_tools() {
    let config = "[packs.support]\ntools = [\"jira_create_issue\", \"slack_post_message\"]\n";
    let dir = plugins_dir();
    let run = check(
        Some(config),
        &["--pack", "support", "--plugins-dir", path(&dir)],
    );
    assert!(
        run.output.status.success(),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    let mut ids: Vec<&str> = run.json["connectors"]
        .as_array()
        .expect("connectors")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["jira", "slack"]);
    let jira = run.json["connectors"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == "jira"))
        .cloned()
        .expect("jira");
    let jira_tools: Vec<&str> = jira["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("tools."))
        .collect();
    assert_eq!(jira_tools, ["tools.create_issue"], "only the pack's tools");
    let unknown = check(
        Some(config),
        &["--pack", "nope", "--plugins-dir", path(&dir)],
    );
    assert!(!unknown.output.status.success());
    assert!(
        unknown.stderr().contains("no pack \"nope\""),
        "{}",
        unknown.stderr()
    );
}

/// Check one fixture (with its scenario file if it has one); it must fail.
fn broken(name: &str) -> Run {
    let wasm = build::fixture(&name.replace('-', "_"));
    let scenarios = build::root()
        .join("tests")
        .join("plugins")
        .join(name)
        .join("check.toml");
    let mut args = vec!["--plugin".to_string(), path(&wasm).to_string()];
    if scenarios.exists() {
        args.push("--scenarios".into());
        args.push(path(&scenarios).to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = check(None, &args);
    assert!(
        !run.output.status.success(),
        "{name} must fail the check:\n{}",
        run.stdout()
    );
    assert!(
        run.stderr().contains("the auth check failed"),
        "{}",
        run.stderr()
    );
    run
}

fn assert_caught(run: &Run, connector: &str, lint: &str, needles: &[&str]) {
    let case = run.case(connector, lint);
    assert_eq!(case["outcome"], "failed", "{connector}: {case}");
    let message = case["message"].as_str().unwrap_or_default();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{connector}: {needle:?} in {message:?}"
        );
    }
    assert!(
        run.stdout().contains(message),
        "the terminal report says it too"
    );
    run.assert_no_secrets();
}

#[test]
fn each_broken_connector_is_caught_with_its_message() {
    let run = broken("kit-plain-401");
    assert_caught(
        &run,
        "kit-plain-401",
        "lint.auth_errors",
        &[
            "tool `get_thing` reported the upstream's 401 as a plain upstream error",
            "auth error",
        ],
    );
    assert_eq!(
        run.case("kit-plain-401", "lint.input_schemas")["outcome"],
        "passed"
    );

    let run = broken("kit-undeclared-scope");
    assert_caught(
        &run,
        "kit-undeclared-scope",
        "lint.declared_scopes",
        &[
            "tool `add_item`",
            "items:write",
            "declare every scope the tool uses",
        ],
    );
    assert_eq!(
        run.case("kit-undeclared-scope", "lint.auth_errors")["outcome"],
        "passed"
    );

    let run = broken("kit-stray-host");
    assert_caught(
        &run,
        "kit-stray-host",
        "lint.egress_allowlist",
        &[
            "https://telemetry.elsewhere.test/ping",
            "outside its allowed hosts",
        ],
    );
    assert_eq!(
        run.case("kit-stray-host", "tools.sync")["outcome"],
        "passed"
    );

    let run = broken("kit-no-schema");
    assert_caught(
        &run,
        "kit-no-schema",
        "lint.input_schemas",
        &[
            "tool `search` has an input schema without properties",
            "additionalProperties",
        ],
    );
    let failed: Vec<String> = run.json["connectors"][0]["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(failed, ["lint.input_schemas"], "only its own mistake");
}

#[test]
fn a_generic_connector_passes_and_scenario_files_add_sequences() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenarios = dir.path().join("kit-good.toml");
    std::fs::write(
        &scenarios,
        r#"
[[connectors.kit-good.responses]]
method = "GET"
path = "/v1/items"
body = { items = [{ id = "i1", name = "Ada's notes" }] }
scopes = ["items:read"]

[[connectors.kit-good.sequences]]
name = "find notes"

[[connectors.kit-good.sequences.steps]]
tool = "list_items"
input = { query = "notes" }
output_contains = ["Ada's notes"]
save = { first = "/items/0/id" }

[[connectors.kit-good.sequences.steps]]
tool = "add_item"
input = { name = "copy of {{first}}" }

[[connectors.kit-good.sequences]]
name = "a wrong expectation"

[[connectors.kit-good.sequences.steps]]
tool = "list_items"
expect = "insufficient_scope"
"#,
    )
    .expect("scenario file");
    let wasm = build::fixture("kit_good");
    let run = check(
        None,
        &["--plugin", path(&wasm), "--scenarios", path(&scenarios)],
    );
    assert_eq!(
        run.case("kit-good", "sequence.find_notes")["outcome"],
        "passed"
    );
    let wrong = run.case("kit-good", "sequence.a_wrong_expectation");
    assert_eq!(wrong["outcome"], "failed");
    assert!(
        wrong["message"].as_str().is_some_and(
            |m| m.contains("step 1") && m.contains("expected insufficient_scope, got ok")
        ),
        "{wrong}"
    );
    // Everything else passes: the generic app plays OAuth, refresh, faults and API keys.
    let failed: Vec<&str> = run.json["connectors"][0]["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"] != "passed")
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(failed, ["sequence.a_wrong_expectation"], "{}", run.stdout());
    assert_eq!(run.json["connectors"][0]["provider"], "generic");
    for id in [
        "oauth2.rotation_single_flight",
        "oauth2.scope_removed_alerts",
        "api_key.revoked_needs_reauth",
        "basic.connect_page_checks_it",
        "basic.revoked_needs_reauth",
    ] {
        assert_eq!(run.case("kit-good", id)["outcome"], "passed", "{id}");
    }
    let parsed = assert_junit_matches(&run);
    assert_eq!(parsed["failures"], 1);
    assert!(
        parsed["suites"][0]["failure_messages"][0]
            .as_str()
            .is_some_and(|m| m.contains("expected insufficient_scope")),
        "{parsed}"
    );
    run.assert_no_secrets();
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[connectors.x]\nbogus = 1\n").expect("write");
    let wasm = build::fixture("kit_good");
    let run = check(None, &["--plugin", path(&wasm), "--scenarios", path(&bad)]);
    assert!(!run.output.status.success());
    assert!(
        run.stderr().contains("bad.toml") && run.stderr().contains("bogus"),
        "{}",
        run.stderr()
    );

    let missing = dir.path().join("missing.wasm");
    let run = check(None, &["--plugin", path(&missing)]);
    assert!(!run.output.status.success());
    assert!(run.stdout().contains("missing.wasm"), "{}", run.stdout());
    assert_eq!(run.json["errors"].as_array().map(Vec::len), Some(1));
    assert!(parse_junit(&run.junit)["tests"] == 0);

    let not_wasm = dir.path().join("junk.wasm");
    std::fs::write(&not_wasm, b"not a component").expect("write");
    let run = check(None, &["--plugin", path(&not_wasm)]);
    assert!(!run.output.status.success());
    assert!(
        run.stdout().contains("junk.wasm was refused"),
        "{}",
        run.stdout()
    );
}

/// The SDK's `testkit` feature — what a connector's own `cargo test` runs — passes a bundled
/// connector and reports its cases.
#[test]
fn the_sdk_testkit_passes_a_bundled_connector() {
    use latchkey_sdk::testkit;
    e2e::build::ensure_built();
    // The kit binary the suite built (a connector author's comes from PATH or LATCHKEY_CHECK).
    let options = testkit::Options {
        kit: Some(build::bin("latchkey-check")),
        ..testkit::Options::default()
    };
    let report = testkit::check_plugin(e2e::build::plugin("github"), options).expect("checked");
    testkit::assert_passed(&report);
    assert_eq!(report.connectors.len(), 1);
    assert_eq!(report.connectors[0].id, "github");
    assert!(
        report.connectors[0]
            .cases
            .iter()
            .any(|c| c.id == "oauth2.expired_token_refreshed"
                && c.outcome == testkit::Outcome::Passed),
        "{}",
        report.to_text()
    );
}
