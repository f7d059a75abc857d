//! The scenarios: each drives one auth behaviour through the real gateway and the fake
//! provider and says pass, fail (what went wrong) or skip (why it does not apply).
//!
//! Every scenario acts as its own gateway user (`check-<scenario>`), so a connection one
//! leaves broken never disturbs the next; all of them sign in at the fake provider as the same
//! person ([`super::upstream::PERSON`]).

pub mod calls;
pub mod failures;
pub mod oauth;
pub mod sequences;
pub mod service_account;
pub mod static_keys;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use secrecy::SecretString;
use serde_json::Value;

use super::client::Answer;
use super::report::{Case, Outcome, millis};
use super::sample::Vars;
use super::scenario_file::{ConnectorScenarios, Step};
use super::stack::Stack;
use super::upstream::Upstream;
use crate::plugin::{AuthScheme, ToolSpec};
use crate::vault::{ConnectionRecord, Owner, VaultError};

/// Why a scenario failed: a message saying what went wrong (never a secret).
#[derive(Debug, Clone)]
pub struct Fail(pub String);

impl From<VaultError> for Fail {
    fn from(e: VaultError) -> Self {
        Fail(format!("the gateway's vault: {e}"))
    }
}

impl From<url::ParseError> for Fail {
    fn from(e: url::ParseError) -> Self {
        Fail(format!("a link is not a URL: {e}"))
    }
}

/// How a scenario that did not fail ended.
pub enum Verdict {
    /// It passed; the lines say what was seen.
    Pass(Vec<String>),
    /// It does not apply, for this reason.
    Skip(String),
}

/// What a scenario returns.
pub type ScenarioResult = Result<Verdict, Fail>;

/// A failure unless `cond`.
pub fn ensure(cond: bool, message: impl FnOnce() -> String) -> Result<(), Fail> {
    if cond { Ok(()) } else { Err(Fail(message())) }
}

/// A skip when the provider lacks a control the scenario needs (a staging provider).
pub fn lacks(run: &Run<'_>, clock: bool, faults: bool, revoke: bool) -> Option<Verdict> {
    let caps = run.upstream.capabilities();
    let missing: Vec<&str> = [
        (clock && !caps.clock, "moving its clock"),
        (faults && !caps.faults, "injecting token-endpoint faults"),
        (revoke && !caps.revoke, "revoking grants and scopes"),
    ]
    .into_iter()
    .filter_map(|(m, what)| m.then_some(what))
    .collect();
    (!missing.is_empty()).then(|| {
        Verdict::Skip(format!(
            "the provider does not allow {}",
            missing.join(" or ")
        ))
    })
}

/// One tool call the kit made, for the mistake checks.
#[derive(Debug, Clone)]
pub struct Observed {
    pub tool: String,
    pub during: String,
    pub code: String,
    pub upstream_status: Option<u64>,
    pub missing_scopes: Vec<String>,
    pub detail: String,
}

/// A sample call that worked, reusable by later scenarios.
#[derive(Debug, Clone)]
pub struct Working {
    pub tool: ToolSpec,
    pub input: Value,
}

/// Everything one connector's check shares.
pub struct Run<'a> {
    pub stack: &'a Stack,
    pub upstream: &'a Upstream,
    pub scenarios: ConnectorScenarios,
    /// The tools under test (all, or a pack's).
    pub tools: Vec<ToolSpec>,
    observed: Mutex<Vec<Observed>>,
    /// Sample calls that worked, by tool, in the order they ran.
    pub working: Mutex<Vec<Working>>,
    cases: Mutex<Vec<Case>>,
    /// The case running now.
    current: Mutex<String>,
}

impl<'a> Run<'a> {
    /// A run over `tools` of the stack's connector.
    pub fn new(
        stack: &'a Stack,
        upstream: &'a Upstream,
        scenarios: ConnectorScenarios,
        tools: Vec<ToolSpec>,
    ) -> Self {
        Run {
            stack,
            upstream,
            scenarios,
            tools,
            observed: Mutex::new(Vec::new()),
            working: Mutex::new(Vec::new()),
            cases: Mutex::new(Vec::new()),
            current: Mutex::new(String::new()),
        }
    }

    /// The connector's id.
    pub fn connector(&self) -> &str {
        &self.stack.plugin.manifest.id
    }

    /// The connector's auth schemes.
    pub fn schemes(&self) -> &[AuthScheme] {
        &self.stack.plugin.manifest.auth
    }

    /// The agent-facing name of `tool`.
    pub fn tool_name(&self, tool: &str) -> String {
        format!("{}_{tool}", self.connector())
    }

    /// Run `scenario` and record it as case `id`.
    pub async fn case<F>(&self, id: &str, title: &str, scenario: F)
    where
        F: Future<Output = ScenarioResult>,
    {
        self.stack.egress.set_during(id);
        if let Ok(mut c) = self.current.lock() {
            *c = id.to_string();
        }
        let started = Instant::now();
        let result = scenario.await;
        let (outcome, message, details) = match result {
            Ok(Verdict::Pass(lines)) => (Outcome::Passed, None, lines),
            Ok(Verdict::Skip(why)) => (Outcome::Skipped, Some(why), Vec::new()),
            Err(Fail(why)) => (Outcome::Failed, Some(why), Vec::new()),
        };
        self.push(Case {
            id: id.to_string(),
            title: title.to_string(),
            outcome,
            message,
            details,
            duration_ms: millis(started.elapsed()),
        });
    }

    /// Record a finished case.
    pub fn push(&self, case: Case) {
        if let Ok(mut cases) = self.cases.lock() {
            cases.push(case);
        }
    }

    /// The cases recorded so far.
    pub fn cases(&self) -> Vec<Case> {
        self.cases.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Name what runs now (outside a case).
    pub fn set_current(&self, what: &str) {
        self.stack.egress.set_during(what);
        if let Ok(mut c) = self.current.lock() {
            *c = what.to_string();
        }
    }

    /// The case running now.
    pub fn current(&self) -> String {
        self.current.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Call `tool` for `user` with the agent `key`, and remember what it answered.
    pub async fn call(
        &self,
        key: &SecretString,
        user: &str,
        tool: &str,
        input: &Value,
    ) -> Result<Answer, Fail> {
        let during = format!("{} (calling {tool})", self.current());
        self.stack.egress.set_during(&during);
        let answer = self
            .stack
            .gateway
            .call(key, &self.tool_name(tool), user, input)
            .await?;
        let missing = answer.body["missing_scopes"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Ok(mut o) = self.observed.lock() {
            o.push(Observed {
                tool: tool.to_string(),
                during,
                code: answer.code(),
                upstream_status: answer.upstream_status(),
                missing_scopes: missing,
                detail: answer.body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        Ok(answer)
    }

    /// Every call made so far.
    pub fn observed(&self) -> Vec<Observed> {
        self.observed.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// The sample steps to run, in order: the files' for each tool, else the built-in one,
    /// else one made from the tool's schema.
    pub fn samples(&self) -> Vec<Step> {
        let mut by_tool: BTreeMap<String, Step> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for step in &self.scenarios.samples {
            if !order.contains(&step.tool) {
                order.push(step.tool.clone());
            }
            by_tool.insert(step.tool.clone(), step.clone());
        }
        for tool in &self.tools {
            if !by_tool.contains_key(&tool.name) {
                order.push(tool.name.clone());
                by_tool.insert(
                    tool.name.clone(),
                    Step {
                        tool: tool.name.clone(),
                        input: super::sample::from_schema(&tool.input_schema),
                        expect: "ok".into(),
                        output_contains: Vec::new(),
                        save: BTreeMap::new(),
                    },
                );
            }
        }
        order
            .into_iter()
            .filter(|t| self.tools.iter().any(|s| &s.name == t))
            .filter_map(|t| by_tool.remove(&t))
            .collect()
    }

    /// A tool call that worked for the main connection, preferring read-only tools (and tools
    /// needing `scope` when given).
    pub fn probe(&self, needing: Option<&str>) -> Option<Working> {
        let working = self.working.lock().map(|w| w.clone()).unwrap_or_default();
        calls::pick(&working, needing)
    }

    /// Keep the calls that worked for the main connection.
    pub fn keep_working(&self, working: Vec<Working>) {
        if let Ok(mut w) = self.working.lock() {
            w.extend(working);
        }
    }

    /// The stored connection of `user`.
    pub async fn connection(&self, user: &str) -> Result<Option<ConnectionRecord>, Fail> {
        Ok(self
            .stack
            .app
            .vault
            .connections()
            .find(self.connector(), &Owner::User(user.to_string()))
            .await?)
    }

    /// Every alert (open or resolved) of `connection_id`.
    pub async fn alerts_of(
        &self,
        connection_id: &str,
    ) -> Result<Vec<crate::vault::alerts::Alert>, Fail> {
        Ok(self
            .stack
            .app
            .vault
            .alerts()
            .list_alerts(false)
            .await?
            .into_iter()
            .filter(|a| a.connection_id == connection_id)
            .collect())
    }

    /// Check that the gateway delivered exactly one signed `event` webhook for a connection
    /// (with `reason`, when given): an alert recorded but never sent reaches no operator.
    pub async fn delivered_once(
        &self,
        connection_id: &str,
        event: &str,
        reason: Option<&str>,
    ) -> Result<(), Fail> {
        let inbox = &self.stack.alerts;
        let got = inbox
            .wait_for(connection_id, event, std::time::Duration::from_secs(10))
            .await;
        // A duplicate would follow the first delivery closely: give it a moment to show.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let got = if got.is_empty() {
            got
        } else {
            inbox.of(connection_id, event)
        };
        ensure(got.len() == 1, || {
            format!(
                "{} `{event}` webhooks were delivered (want exactly 1)",
                got.len()
            )
        })?;
        ensure(got[0].signed, || {
            format!("the `{event}` webhook's signature does not verify")
        })?;
        if let Some(reason) = reason {
            ensure(got[0].reason == reason, || {
                format!(
                    "the `{event}` webhook says reason {:?}, not {reason}",
                    got[0].reason
                )
            })?;
        }
        Ok(())
    }
}

/// The vars with `step`'s saves applied from `output`.
pub fn save(step: &Step, output: &Value, vars: &mut Vars) -> Result<(), Fail> {
    for (name, pointer) in &step.save {
        let value = output.pointer(pointer).ok_or_else(|| {
            Fail(format!(
                "{}: the output has nothing at {pointer} to save as {{{{{name}}}}}",
                step.tool
            ))
        })?;
        vars.insert(name.clone(), value.clone());
    }
    Ok(())
}

/// Check `answer` against `step`'s expectation.
pub fn expect(step: &Step, answer: &Answer) -> Result<(), Fail> {
    let code = answer.code();
    ensure(code == step.expect, || {
        format!(
            "{}: expected {}, got {}",
            step.tool,
            step.expect,
            answer.summary()
        )
    })?;
    if code == "ok" {
        let text = answer.body["output"].to_string();
        for needle in &step.output_contains {
            ensure(text.contains(needle.as_str()), || {
                format!("{}: the output does not contain {needle:?}", step.tool)
            })?;
        }
    }
    Ok(())
}
