//! When auth goes wrong: a refresh refused with `invalid_grant` (re-authorization and one
//! alert), a scope the provider stopped granting (scope drift: an alert, `insufficient_scope`),
//! and a rate-limited token endpoint (back off, keep the token, no alert).

use fake_provider::Fault;

use super::calls::{consent, must_work, oauth_user};
use super::oauth::{app_of, missing_scopes, token_count, ttl};
use super::{Fail, Run, ScenarioResult, Verdict, ensure};
use crate::upstream::PERSON;
use crate::view::{self, Connection};
use latchkey::plugin::AuthScheme;

fn no_probe() -> Verdict {
    Verdict::Skip("no tool call worked after consent (see the tools.* cases)".into())
}

/// Every failure scenario, in order.
pub async fn all(run: &Run<'_>) {
    run.case(
        "oauth2.invalid_grant_needs_reauth",
        "a refresh refused with invalid_grant marks the connection needs_reauth, delivers one signed alert, and reconnecting resolves it",
        invalid_grant(run),
    )
    .await;
    run.case(
        "oauth2.scope_removed_alerts",
        "a scope the provider stops granting delivers a scope-drift alert and the tool answers insufficient_scope",
        scope_removed(run),
    )
    .await;
    run.case(
        "oauth2.token_429_backs_off",
        "a rate-limited token endpoint is backed off from, the token kept, and no alert raised",
        rate_limited(run),
    )
    .await;
}

async fn invalid_grant(run: &Run<'_>) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, true, false) {
        return Ok(skip);
    }
    let app = app_of(run)?;
    let ttl = match ttl(run)? {
        Ok(t) => t,
        Err(v) => return Ok(v),
    };
    let Some(probe) = run.probe(None) else {
        return Ok(no_probe());
    };
    let user = "check-invalid-grant";
    let c = oauth_user(run, user).await?;
    let control = run.upstream.fake.oauth();
    let before = token_count(run, "refresh_token", None);
    control.inject_fault(app, Fault::InvalidGrant, 1);
    control.advance_clock(ttl + 60);
    let result = invalid_grant_seen(run, user, &c, &probe, before).await;
    // A fault the connector never reached (it did not ask for a refresh) must not hit the
    // next scenario's consent.
    control.clear_faults(app);
    result
}

async fn invalid_grant_seen(
    run: &Run<'_>,
    user: &str,
    c: &Connection,
    probe: &super::Working,
    before: usize,
) -> ScenarioResult {
    let key = &run.stack.agent_key;
    let answer = run.call(key, user, &probe.tool.name, &probe.input).await?;
    ensure(answer.code() == "reauthorization_required", || {
        format!(
            "after invalid_grant the call answered {}, not reauthorization_required",
            answer.summary()
        )
    })?;
    let now = run
        .connection(user)
        .await?
        .ok_or_else(|| Fail("the connection disappeared".into()))?;
    ensure(now.status == view::NEEDS_REAUTH, || {
        format!("the connection is {}, not needs_reauth", now.status)
    })?;
    let again = run.call(key, user, &probe.tool.name, &probe.input).await?;
    ensure(again.code() == "reauthorization_required", || {
        format!("a second call answered {}", again.summary())
    })?;
    let refreshes = token_count(run, "refresh_token", None) - before;
    ensure(refreshes == 1, || {
        format!("{refreshes} refresh attempts (want 1: no retry loop after invalid_grant)")
    })?;
    let alerts = run.alerts_of(&c.id).await?;
    let open: Vec<_> = alerts.iter().filter(|a| a.status == "open").collect();
    ensure(open.len() == 1, || {
        format!(
            "{} open alerts for the connection (want exactly 1)",
            open.len()
        )
    })?;
    let reason = open[0].reason.clone();
    run.delivered_once(&c.id, latchkey::alerts::OPENED, Some(&reason))
        .await?;
    let link = answer.body["connect_url"]
        .as_str()
        .ok_or_else(|| Fail("reauthorization_required carries no connect_url".into()))?;
    consent(link).await?;
    must_work(run, user, probe, "after reconnecting").await?;
    let resolved = run
        .alerts_of(&c.id)
        .await?
        .iter()
        .all(|a| a.status == "resolved");
    ensure(resolved, || {
        "the alert stayed open after the user reconnected".into()
    })?;
    run.delivered_once(&c.id, latchkey::alerts::RESOLVED, None)
        .await?;
    Ok(Verdict::Pass(vec![format!(
        "one alert (reason {reason}) delivered, resolved after reconnecting"
    )]))
}

/// A scope some working tool needs that the connector does not ask for on every consent.
fn removable_scope(run: &Run<'_>) -> Option<(String, super::Working)> {
    let base: Vec<String> = run
        .schemes()
        .iter()
        .find_map(|s| match s {
            AuthScheme::Oauth2(o) => Some(o.base_scopes.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let working = run.working.lock().map(|w| w.clone()).unwrap_or_default();
    working.iter().find_map(|w| {
        w.tool
            .required_scopes
            .iter()
            .find(|s| !base.contains(s))
            .map(|s| (s.clone(), w.clone()))
    })
}

async fn scope_removed(run: &Run<'_>) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, false, true) {
        return Ok(skip);
    }
    let app = app_of(run)?;
    let ttl = match ttl(run)? {
        Ok(t) => t,
        Err(v) => return Ok(v),
    };
    let Some((scope, tool)) = removable_scope(run) else {
        return Ok(Verdict::Skip(
            "no tool with a working sample declares a scope".into(),
        ));
    };
    let user = "check-scope-drift";
    // The connector's default scopes too, so withdrawing one never leaves an empty grant.
    let mut scopes = super::calls::all_scopes(run);
    for s in run
        .schemes()
        .iter()
        .filter_map(|s| match s {
            AuthScheme::Oauth2(o) => Some(o.default_scopes.clone()),
            _ => None,
        })
        .flatten()
    {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let c = super::calls::oauth_user_with(run, user, &scopes).await?;
    let control = run.upstream.fake.oauth();
    control.remove_scope(app, PERSON, &scope);
    control.advance_clock(ttl + 60);
    let key = &run.stack.agent_key;
    // The provider may refuse this call itself (insufficient_scope), or serve it while the
    // refresh it triggered shows the scope gone; the next call must be refused either way.
    let answer = run.call(key, user, &tool.tool.name, &tool.input).await?;
    ensure(
        matches!(answer.code().as_str(), "insufficient_scope" | "ok"),
        || {
            format!(
                "with {scope} withdrawn, {} answered {}",
                tool.tool.name,
                answer.summary()
            )
        },
    )?;
    let alerts = run.alerts_of(&c.id).await?;
    let drift = alerts
        .iter()
        .find(|a| a.status == "open" && a.reason == "scope_changed");
    let drift = drift.ok_or_else(|| {
        Fail(format!(
            "no scope_changed alert was raised (alerts: {:?}); does the provider report granted scopes on refresh?",
            alerts.iter().map(|a| a.reason.as_str()).collect::<Vec<_>>()
        ))
    })?;
    ensure(drift.missing_scopes.contains(&scope), || {
        format!("the alert lists {:?}, not {scope}", drift.missing_scopes)
    })?;
    run.delivered_once(&c.id, latchkey::alerts::OPENED, Some("scope_changed"))
        .await?;
    let again = run.call(key, user, &tool.tool.name, &tool.input).await?;
    ensure(
        again.code() == "insufficient_scope" && missing_scopes(&again.body).contains(&scope),
        || format!("the next call answered {}", again.summary()),
    )?;
    let now = run
        .connection(user)
        .await?
        .ok_or_else(|| Fail("the connection disappeared".into()))?;
    ensure(now.status == view::ACTIVE, || {
        "scope drift must not end the connection (tools without the scope still work)".into()
    })?;
    Ok(Verdict::Pass(vec![format!(
        "{scope} withdrawn: one scope_changed alert delivered, {} answers insufficient_scope",
        tool.tool.name
    )]))
}

async fn rate_limited(run: &Run<'_>) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, true, false) {
        return Ok(skip);
    }
    let app = app_of(run)?;
    let ttl = match ttl(run)? {
        Ok(t) => t,
        Err(v) => return Ok(v),
    };
    let Some(probe) = run.probe(None) else {
        return Ok(no_probe());
    };
    let user = "check-token-429";
    let c = oauth_user(run, user).await?;
    let control = run.upstream.fake.oauth();
    control.inject_fault(
        app,
        Fault::RateLimited {
            retry_after_secs: 30,
        },
        1,
    );
    let before = token_count(run, "refresh_token", None);
    control.advance_clock(ttl + 60);
    let result = rate_limited_seen(run, user, &c, &probe, before).await;
    control.clear_faults(app);
    result
}

async fn rate_limited_seen(
    run: &Run<'_>,
    user: &str,
    c: &Connection,
    probe: &super::Working,
    before: usize,
) -> ScenarioResult {
    let key = &run.stack.agent_key;
    let answer = run.call(key, user, &probe.tool.name, &probe.input).await?;
    ensure(answer.code() == "token_refresh_unavailable", || {
        format!(
            "with the token endpoint answering 429 the call answered {}",
            answer.summary()
        )
    })?;
    let again = run.call(key, user, &probe.tool.name, &probe.input).await?;
    ensure(again.code() == "token_refresh_unavailable", || {
        format!("an immediate retry answered {}", again.summary())
    })?;
    let attempts = token_count(run, "refresh_token", None) - before;
    ensure(attempts == 1, || {
        format!("{attempts} token requests (want 1: back off after a 429)")
    })?;
    let now = run
        .connection(user)
        .await?
        .ok_or_else(|| Fail("the connection disappeared".into()))?;
    ensure(now.status == view::ACTIVE, || {
        format!("a 429 made the connection {}", now.status)
    })?;
    let alerts = run.alerts_of(&c.id).await?;
    ensure(alerts.is_empty(), || {
        format!("a 429 raised {} alert(s)", alerts.len())
    })?;
    let sent = run.stack.alerts.of(&c.id, latchkey::alerts::OPENED).len();
    ensure(sent == 0, || format!("a 429 sent {sent} alert webhook(s)"))?;
    Ok(Verdict::Pass(vec![
        "token_refresh_unavailable, one token request, the connection active, no alert".into(),
    ]))
}
