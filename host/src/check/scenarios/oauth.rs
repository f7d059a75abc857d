//! OAuth 2.0: the first call asks the user to connect, consent grants what the tools need,
//! tokens refresh (on demand, when expired, rotated, once for many callers), and expiry is
//! counted from when the gateway received the tokens whatever the provider's clock says.

use std::sync::Mutex;

use fake_provider::App;
use fake_provider::oauth::TokenKind;
use serde_json::Value;

use super::calls::{self, active_connection, consent, first_call, must_work, oauth_user};
use super::{Fail, Run, ScenarioResult, Verdict, ensure};
use crate::auth::oauth::refresh;
use crate::check::report::{Case, Outcome};
use crate::check::sample::Vars;
use crate::check::upstream::PERSON;
use crate::clock::now_ms;
use crate::vault::{SchemeKind, SecretField};

/// The fake app, or a failure (the connector declares OAuth, so the kit set one up).
pub fn app_of(run: &Run<'_>) -> Result<App, Fail> {
    run.upstream
        .app
        .ok_or_else(|| Fail("no fake OAuth app stands in for this provider".into()))
}

/// Access-token lifetime at the fake, or why a scenario needing expiry is skipped.
pub fn ttl(run: &Run<'_>) -> Result<Result<u64, Verdict>, Fail> {
    let app = app_of(run)?;
    Ok(
        match run.upstream.fake.oauth().settings(app).access_ttl_secs {
            Some(t) => Ok(t),
            None => Err(Verdict::Skip(
                "the provider's access tokens never expire".into(),
            )),
        },
    )
}

/// Token requests of `grant_type` with `outcome` (any when `None`).
pub fn token_count(run: &Run<'_>, grant_type: &str, outcome: Option<&str>) -> usize {
    run.upstream
        .app
        .map(|app| {
            run.upstream
                .fake
                .oauth()
                .token_count(app, grant_type, outcome)
        })
        .unwrap_or(0)
}

fn no_probe() -> Verdict {
    Verdict::Skip("no tool call worked after consent (see the tools.* cases)".into())
}

/// Every OAuth scenario, in order; `primary` runs the per-tool cases under this scheme.
/// Returns the user of the main connection and its variables, once connected.
pub async fn all(run: &Run<'_>, primary: bool) -> Option<(String, Vars)> {
    let link: Mutex<Option<String>> = Mutex::new(None);
    let user = "check-consent";
    run.case(
        "oauth2.first_call_asks_to_connect",
        "a tool call with no connection answers authorization_required with a connect link",
        async {
            let vars = run.upstream.oauth_vars(user);
            let (url, answer) = first_call(run, &run.stack.pack_key, user, &vars).await?;
            let methods = answer.body["connector"]["methods"].to_string();
            ensure(methods.contains("oauth2"), || {
                format!("the problem's connector.methods do not offer oauth2: {methods}")
            })?;
            if let Ok(mut l) = link.lock() {
                *l = Some(url);
            }
            Ok(Verdict::Pass(Vec::new()))
        },
    )
    .await;
    run.case(
        "oauth2.consent_grants_tool_scopes",
        "consent through the connect page stores a token whose scopes cover every tool",
        async {
            let url = link
                .lock()
                .ok()
                .and_then(|l| l.clone())
                .ok_or_else(|| Fail("no connect link (see the previous case)".into()))?;
            consent(&url).await?;
            let c = active_connection(run, user).await?;
            ensure(c.scheme == SchemeKind::Oauth2, || {
                format!("the connection's scheme is {}", c.scheme.as_str())
            })?;
            let missing: Vec<String> = calls::all_scopes(run)
                .into_iter()
                .filter(|s| !c.granted_scopes.contains(s))
                .collect();
            ensure(missing.is_empty(), || {
                format!(
                    "the granted scopes {:?} lack {missing:?} that the tools declare",
                    c.granted_scopes
                )
            })?;
            Ok(Verdict::Pass(vec![format!(
                "granted: {:?}",
                c.granted_scopes
            )]))
        },
    )
    .await;
    if primary {
        tool_cases(run, user, &run.upstream.oauth_vars(user)).await;
    }
    run.case(
        "oauth2.refresh_works",
        "a refresh gets new tokens from the provider and calls keep working",
        refresh_works(run),
    )
    .await;
    run.case(
        "oauth2.expired_token_refreshed",
        "an access token the provider considers expired is refreshed transparently (one refresh, the call succeeds)",
        expired_token(run),
    )
    .await;
    run.case(
        "oauth2.rotation_single_flight",
        "rotated refresh tokens are kept, and concurrent calls on an expired token cause one refresh",
        rotation(run),
    )
    .await;
    run.case(
        "oauth2.clock_skew_provider_ahead",
        "with the provider's clock ahead, expiry still counts from the gateway's receive time",
        skew(run, true),
    )
    .await;
    run.case(
        "oauth2.clock_skew_provider_behind",
        "with the provider's clock behind, expiry still counts from the gateway's receive time",
        skew(run, false),
    )
    .await;
    match run.connection(user).await {
        Ok(Some(_)) => Some((user.to_string(), run.upstream.oauth_vars(user))),
        _ => None,
    }
}

/// One case per tool: its sample call works for `user` (the main connection).
pub async fn tool_cases(run: &Run<'_>, user: &str, vars: &Vars) {
    let started = std::time::Instant::now();
    run.set_current("tools");
    let (results, working) = calls::run_samples(run, &run.stack.pack_key, user, vars.clone()).await;
    run.keep_working(working);
    let each = crate::check::report::millis(started.elapsed()) / results.len().max(1) as u64;
    for (tool, result) in results {
        let (outcome, message, details) = match result {
            Ok(summary) => (Outcome::Passed, None, vec![summary]),
            Err(Fail(why)) => (Outcome::Failed, Some(why), Vec::new()),
        };
        run.push(Case {
            id: format!("tools.{tool}"),
            title: format!("the sample call of {tool} works"),
            outcome,
            message,
            details,
            duration_ms: each,
        });
    }
}

async fn refresh_works(run: &Run<'_>) -> ScenarioResult {
    let Some(probe) = run.probe(None) else {
        return Ok(no_probe());
    };
    let user = "check-refresh";
    let before = oauth_user(run, user).await?;
    let has_refresh = run
        .stack
        .app
        .vault
        .connections()
        .read_secret(&before.id, SecretField::RefreshToken)
        .await?
        .is_some();
    if !has_refresh {
        return Ok(Verdict::Skip("the provider issued no refresh token".into()));
    }
    let ok_before = token_count(run, "refresh_token", Some("ok"));
    let after = refresh::ensure_fresh(&run.stack.app, &run.stack.plugin, &before, true)
        .await
        .map_err(|e| Fail(format!("the refresh failed: {e}")))?;
    ensure(after.token_version > before.token_version, || {
        "the refresh stored no new tokens".into()
    })?;
    ensure(
        token_count(run, "refresh_token", Some("ok")) == ok_before + 1,
        || "the provider saw no successful refresh".into(),
    )?;
    must_work(run, user, &probe, "after the refresh").await?;
    Ok(Verdict::Pass(vec![format!(
        "token version {} → {}",
        before.token_version, after.token_version
    )]))
}

async fn expired_token(run: &Run<'_>) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, false, false) {
        return Ok(skip);
    }
    let ttl = match ttl(run)? {
        Ok(t) => t,
        Err(v) => return Ok(v),
    };
    let Some(probe) = run.probe(None) else {
        return Ok(no_probe());
    };
    let user = "check-expired";
    oauth_user(run, user).await?;
    let before = token_count(run, "refresh_token", None);
    run.upstream.fake.oauth().advance_clock(ttl + 60);
    must_work(run, user, &probe, "with an expired access token").await?;
    let refreshes = token_count(run, "refresh_token", None) - before;
    ensure(refreshes == 1, || {
        format!("expected one refresh, the provider saw {refreshes}")
    })?;
    Ok(Verdict::Pass(vec![format!(
        "{} answered after one refresh",
        probe.tool.name
    )]))
}

/// The refresh tokens of the newest grant of `PERSON` at `app`, oldest first: rotated or not.
fn refresh_tokens_of_latest_grant(run: &Run<'_>, app: App) -> Vec<bool> {
    let issued = run.upstream.fake.oauth().issued_tokens_for(PERSON);
    let Some(grant) = issued
        .iter()
        .filter(|t| t.app == app)
        .map(|t| t.grant_id)
        .max()
    else {
        return Vec::new();
    };
    issued
        .iter()
        .filter(|t| t.grant_id == grant && t.kind == TokenKind::Refresh)
        .map(|t| t.rotated)
        .collect()
}

async fn rotation(run: &Run<'_>) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, false, false) {
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
    let control = run.upstream.fake.oauth();
    let was = control.settings(app).rotation;
    control.set_rotation(app, true);
    let result = async {
        let user = "check-rotation";
        let c = oauth_user(run, user).await?;
        if run
            .stack
            .app
            .vault
            .connections().read_secret(&c.id, SecretField::RefreshToken)
            .await?
            .is_none()
        {
            return Ok(Verdict::Skip("the provider issued no refresh token".into()));
        }
        let before = token_count(run, "refresh_token", None);
        control.advance_clock(ttl + 60);
        let key = &run.stack.agent_key;
        let (a, b, c2, d) = tokio::join!(
            run.call(key, user, &probe.tool.name, &probe.input),
            run.call(key, user, &probe.tool.name, &probe.input),
            run.call(key, user, &probe.tool.name, &probe.input),
            run.call(key, user, &probe.tool.name, &probe.input),
        );
        for answer in [a?, b?, c2?, d?] {
            ensure(answer.code() == "ok", || {
                format!(
                    "a concurrent call on an expired token answered {}",
                    answer.summary()
                )
            })?;
        }
        let first = token_count(run, "refresh_token", None) - before;
        ensure(first == 1, || {
            format!("4 concurrent callers caused {first} refreshes (want 1: single-flight)")
        })?;
        control.advance_clock(ttl + 60);
        must_work(run, user, &probe, "after a second expiry").await?;
        let reused = token_count(run, "refresh_token", Some("invalid_grant"));
        ensure(reused == 0, || {
            "a refresh was refused (an old, rotated refresh token was reused?)".into()
        })?;
        let tokens = refresh_tokens_of_latest_grant(run, app);
        let rotated = tokens.iter().filter(|r| **r).count();
        ensure(tokens.len() >= 3 && rotated == tokens.len() - 1, || {
            format!(
                "the provider's refresh tokens for this grant: {} issued, {rotated} rotated (want 3, 2)",
                tokens.len()
            )
        })?;
        Ok(Verdict::Pass(vec![format!(
            "{} refresh tokens issued, each used once",
            tokens.len()
        )]))
    }
    .await;
    control.set_rotation(app, was);
    result
}

async fn skew(run: &Run<'_>, ahead: bool) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, false, false) {
        return Ok(skip);
    }
    let ttl = match ttl(run)? {
        Ok(t) => t,
        Err(v) => return Ok(v),
    };
    let Some(probe) = run.probe(None) else {
        return Ok(no_probe());
    };
    let control = run.upstream.fake.oauth();
    let skew = 2 * ttl + 600;
    if ahead {
        control.advance_clock(skew);
    } else {
        let offset = control.advance_clock(0);
        control.set_clock_behind(offset + skew);
    }
    let result = async {
        let user = if ahead {
            "check-skew-ahead"
        } else {
            "check-skew-behind"
        };
        let t0 = now_ms();
        let c = oauth_user(run, user).await?;
        let t1 = now_ms();
        let Some(expires_at) = c.expires_at else {
            return Ok(Verdict::Skip(
                "the provider sends no expires_in: expiry is learned from 401s".into(),
            ));
        };
        let lifetime = i64::try_from(ttl).unwrap_or(i64::MAX / 2_000) * 1000;
        let (low, high) = (t0 + lifetime - 2_000, t1 + lifetime + 2_000);
        ensure(expires_at >= low && expires_at <= high, || {
            format!(
                "the stored expiry is {} s from now; the provider granted {ttl} s (expiry must count from the gateway's receive time)",
                (expires_at - now_ms()) / 1000
            )
        })?;
        let before = token_count(run, "refresh_token", None);
        must_work(run, user, &probe, "with the skewed clock").await?;
        let after = token_count(run, "refresh_token", None);
        ensure(after == before, || {
            "the fresh token was refreshed at once: the gateway thought it expired".into()
        })?;
        Ok(Verdict::Pass(vec![format!(
            "provider clock {} by {skew} s; expiry in {} s",
            if ahead { "ahead" } else { "behind" },
            (expires_at - now_ms()) / 1000
        )]))
    }
    .await;
    if !ahead {
        control.set_clock_behind(0);
    }
    result
}

/// The problem's `missing_scopes`.
pub fn missing_scopes(body: &Value) -> Vec<String> {
    body["missing_scopes"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
