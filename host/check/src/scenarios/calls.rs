//! The moves most scenarios share: trigger the auth flow with a tool call, consent through
//! the connect page and the provider, paste a credential, run the samples.

use secrecy::SecretString;
use serde_json::{Value, json};

use super::{Fail, Run, Working, ensure, expect, save};
use crate::client::Answer;
use crate::sample::{Vars, fill};
use crate::scenario_file::Step;
use crate::view::{self, Connection};
use scripted_browser::{Browser, form_action, headline};

/// A sample call whose input needs only `vars` (no value saved by an earlier step).
pub fn trigger_step(run: &Run<'_>, vars: &Vars) -> Option<(Step, Value)> {
    run.samples()
        .into_iter()
        .find_map(|s| fill(&s.input, vars).ok().map(|input| (s, input)))
}

/// The first call of `user`, who has no connection: it must answer `authorization_required`
/// with a connect link. Returns the link and the answer.
pub async fn first_call(
    run: &Run<'_>,
    key: &SecretString,
    user: &str,
    vars: &Vars,
) -> Result<(String, Answer), Fail> {
    let (step, input) = trigger_step(run, vars).ok_or_else(|| {
        Fail(
            "no tool has a sample input that needs no saved value; add one in a scenario file"
                .into(),
        )
    })?;
    let answer = run.call(key, user, &step.tool, &input).await?;
    ensure(answer.code() == "authorization_required", || {
        format!(
            "calling {} without a connection answered {}, not authorization_required",
            step.tool,
            answer.summary()
        )
    })?;
    let link = answer.body["connect_url"]
        .as_str()
        .ok_or_else(|| Fail("authorization_required carries no connect_url".into()))?
        .to_string();
    Ok((link, answer))
}

/// OAuth consent through the connect page at `link`: the page's OAuth button, the provider's
/// authorize endpoint (which approves at once), the gateway's callback, the success page.
pub async fn consent(link: &str) -> Result<(), Fail> {
    let mut browser = Browser::new()?;
    let page = browser.get(link).await?;
    ensure(page.status == 200, || {
        format!(
            "the connect page answered {}: {}",
            page.status,
            headline(&page.body)
        )
    })?;
    let action = form_action(&page.body, "/oauth")
        .ok_or_else(|| Fail("the connect page offers no OAuth button".into()))?;
    let start = page.url.join(&action)?;
    let started = browser.post_form(start.as_str(), &[]).await?;
    ensure(started.status.is_redirection(), || {
        format!(
            "starting consent answered {}: {}",
            started.status,
            headline(&started.body)
        )
    })?;
    let done = browser.follow(started, 10).await?;
    ensure(
        done.status == 200 && done.body.contains("is connected"),
        || {
            format!(
                "consent did not complete ({} at {}): {}",
                done.status,
                done.url.path(),
                headline(&done.body)
            )
        },
    )
}

/// Paste a credential on the connect page at `link`; returns the status and message of the
/// page that answered.
pub async fn paste(
    link: &str,
    kind: &str,
    secret: &str,
    username: Option<&str>,
) -> Result<(u16, String), Fail> {
    let mut browser = Browser::new()?;
    let page = browser.get(link).await?;
    ensure(page.status == 200, || {
        format!("the connect page answered {}", page.status)
    })?;
    let action = form_action(&page.body, "/credential")
        .ok_or_else(|| Fail("the connect page offers no form to paste a credential".into()))?;
    let target = page.url.join(&action)?;
    let mut form = vec![("kind", kind), ("secret", secret)];
    if let Some(u) = username {
        form.push(("username", u));
    }
    let answered = browser.post_form(target.as_str(), &form).await?;
    let done = browser.follow(answered, 5).await?;
    Ok((done.status.as_u16(), headline(&done.body)))
}

/// The union of the scopes the tools under test need.
pub fn all_scopes(run: &Run<'_>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for t in &run.tools {
        for s in &t.required_scopes {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
    }
    scopes
}

/// Connect `user` by OAuth asking for `scopes` (an operator's connect link), and return the
/// active connection.
pub async fn oauth_user_with(
    run: &Run<'_>,
    user: &str,
    scopes: &[String],
) -> Result<Connection, Fail> {
    let answer = run
        .stack
        .gateway
        .admin(
            reqwest::Method::POST,
            "/v1/admin/connect-sessions",
            Some(&json!({"connector": run.connector(), "user_id": user, "scopes": scopes})),
        )
        .await?;
    ensure(answer.status == 201, || {
        format!("creating a connect link answered {}", answer.summary())
    })?;
    let link = answer.body["url"]
        .as_str()
        .ok_or_else(|| Fail("the connect session has no url".into()))?;
    consent(link).await?;
    active_connection(run, user).await
}

/// Connect `user` by OAuth for every tool under test.
pub async fn oauth_user(run: &Run<'_>, user: &str) -> Result<Connection, Fail> {
    oauth_user_with(run, user, &all_scopes(run)).await
}

/// `user`'s connection, which must exist and be active.
pub async fn active_connection(run: &Run<'_>, user: &str) -> Result<Connection, Fail> {
    let c = run
        .connection(user)
        .await?
        .ok_or_else(|| Fail(format!("no connection was stored for {user}")))?;
    ensure(c.status == view::ACTIVE, || {
        format!(
            "the new connection is {} ({})",
            c.status,
            c.status_reason.clone().unwrap_or_default()
        )
    })?;
    Ok(c)
}

/// Run every sample for `user` with `key`: per tool, the outcome, and the calls that worked.
pub async fn run_samples(
    run: &Run<'_>,
    key: &SecretString,
    user: &str,
    mut vars: Vars,
) -> (Vec<(String, Result<String, Fail>)>, Vec<Working>) {
    let mut out = Vec::new();
    let mut working: Vec<Working> = Vec::new();
    for step in run.samples() {
        let result = async {
            let input =
                fill(&step.input, &vars).map_err(|e| Fail(format!("{}: {e}", step.tool)))?;
            let answer = run.call(key, user, &step.tool, &input).await?;
            expect(&step, &answer)?;
            if answer.code() == "ok" {
                save(&step, &answer.body["output"], &mut vars)?;
                if let Some(tool) = run.tools.iter().find(|t| t.name == step.tool)
                    && !working.iter().any(|x| x.tool.name == step.tool)
                {
                    working.push(Working {
                        tool: tool.clone(),
                        input: input.clone(),
                    });
                }
            }
            Ok(answer.summary())
        }
        .await;
        out.push((step.tool.clone(), result));
    }
    (out, working)
}

/// The first of `working`, preferring read-only tools and tools needing `scope` when given.
pub fn pick(working: &[Working], needing: Option<&str>) -> Option<Working> {
    let fits = |w: &&Working| needing.is_none_or(|s| w.tool.required_scopes.iter().any(|r| r == s));
    working
        .iter()
        .filter(fits)
        .find(|w| w.tool.read_only)
        .or_else(|| working.iter().find(fits))
        .cloned()
}

/// A working call as `user`, which must succeed.
pub async fn must_work(
    run: &Run<'_>,
    user: &str,
    working: &Working,
    what: &str,
) -> Result<(), Fail> {
    let answer = run
        .call(
            &run.stack.agent_key,
            user,
            &working.tool.name,
            &working.input,
        )
        .await?;
    ensure(answer.code() == "ok", || {
        format!(
            "{what}: {} answered {}",
            working.tool.name,
            answer.summary()
        )
    })
}
