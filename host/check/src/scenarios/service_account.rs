//! Service accounts: the operator stores one, the gateway gets its own token (a signed RFC 7523
//! assertion, or client credentials), reuses it while it lives, and gets a new one once it
//! has expired.

use std::sync::Mutex;

use fake_provider::App;
use serde_json::json;

use super::calls::{self, must_work};
use super::{Fail, Run, ScenarioResult, Verdict, Working, ensure};
use crate::report::{Case, Outcome};
use crate::sample::Vars;
use latchkey::plugin::{ServiceAccountKind, ServiceAccountScheme};

const USER: &str = "check-service";

/// Tokens the fake gave for this kind of service account so far.
fn grants(run: &Run<'_>, app: App, kind: ServiceAccountKind) -> usize {
    let control = run.upstream.fake.oauth();
    match kind {
        ServiceAccountKind::JwtBearer => control.jwt_assertions().len(),
        ServiceAccountKind::ClientCredentials => {
            control.token_count(app, "client_credentials", Some("ok"))
        }
    }
}

/// Both service-account scenarios for `scheme`; `primary` keeps its working calls for the
/// other scenarios. Returns the user of the connection and its variables, once connected.
pub async fn all(
    run: &Run<'_>,
    scheme: &ServiceAccountScheme,
    primary: bool,
) -> Option<(String, Vars)> {
    let app: Mutex<Option<App>> = Mutex::new(None);
    let working: Mutex<Vec<Working>> = Mutex::new(Vec::new());
    let samples: Mutex<Vec<(String, Result<String, Fail>)>> = Mutex::new(Vec::new());
    run.case(
        "service_account.token",
        "a stored service account gets a token from the provider and reuses it while it lives",
        async {
            let (credential, fake_app) = run
                .upstream
                .service_account(scheme)
                .map_err(|e| Fail(e.to_string()))?;
            if let Ok(mut a) = app.lock() {
                *a = Some(fake_app);
            }
            let answer = run
                .stack
                .gateway
                .admin(
                    reqwest::Method::POST,
                    "/v1/admin/connections",
                    Some(&json!({"connector": run.connector(), "user_id": USER, "credential": credential})),
                )
                .await?;
            ensure(answer.status == 201, || {
                format!("storing the service account answered {}", answer.summary())
            })?;
            let vars = run.upstream.base_vars(USER);
            let key = &run.stack.agent_key;
            let (results, found) = calls::run_samples(run, key, USER, vars).await;
            if primary {
                run.keep_working(found.clone());
            }
            if let Ok(mut s) = samples.lock() {
                *s = results.clone();
            }
            let first = calls::pick(&found, None).ok_or_else(|| {
                let why: Vec<String> = results
                    .iter()
                    .filter_map(|(t, r)| r.as_ref().err().map(|Fail(f)| format!("{t}: {f}")))
                    .collect();
                Fail(format!("no sample call worked: {}", why.join("; ")))
            })?;
            if let Ok(mut w) = working.lock() {
                *w = found;
            }
            must_work(run, USER, &first, "a second call").await?;
            let got = grants(run, fake_app, scheme.kind);
            ensure(got == 1, || {
                format!("{got} tokens were fetched for {} calls (want 1: reuse it until it expires)", results.len() + 1)
            })?;
            let mut lines = vec![format!("{} sample calls", results.len())];
            if scheme.kind == ServiceAccountKind::JwtBearer {
                let claims = run
                    .upstream
                    .fake
                    .oauth()
                    .last_jwt_claims()
                    .ok_or_else(|| Fail("no assertion reached the provider".into()))?;
                let audience = scheme.audience.clone().unwrap_or_else(|| scheme.token_url.clone());
                ensure(claims["aud"] == json!(audience), || {
                    format!("the assertion's aud is {}, want {audience}", claims["aud"])
                })?;
                let life = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
                ensure(life > 0 && life <= 3600, || {
                    format!("the assertion lives {life} s (RFC 7523: short-lived, at most an hour)")
                })?;
                let scope = claims["scope"].as_str().unwrap_or_default();
                for s in &scheme.scopes {
                    ensure(scope.split(' ').any(|x| x == s), || {
                        format!("the assertion's scope {scope:?} lacks {s}")
                    })?;
                }
                lines.push(format!("assertion: aud {audience}, lives {life} s, scope {scope:?}"));
            }
            Ok(Verdict::Pass(lines))
        },
    )
    .await;
    if primary {
        for (tool, result) in samples.lock().map(|s| s.clone()).unwrap_or_default() {
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
                duration_ms: 0,
            });
        }
    }
    run.case(
        "service_account.expiry",
        "once the service account's token has expired the gateway gets a new one by itself",
        expiry(run, scheme, &app, &working),
    )
    .await;
    match run.connection(USER).await {
        Ok(Some(_)) => Some((USER.to_string(), run.upstream.base_vars(USER))),
        _ => None,
    }
}

async fn expiry(
    run: &Run<'_>,
    scheme: &ServiceAccountScheme,
    app: &Mutex<Option<App>>,
    working: &Mutex<Vec<Working>>,
) -> ScenarioResult {
    if let Some(skip) = super::lacks(run, true, false, false) {
        return Ok(skip);
    }
    let Some(app) = app.lock().ok().and_then(|a| *a) else {
        return Ok(Verdict::Skip(
            "no service account (see the previous case)".into(),
        ));
    };
    let Some(probe) = working.lock().ok().and_then(|w| calls::pick(&w, None)) else {
        return Ok(Verdict::Skip(
            "no call worked with the service account".into(),
        ));
    };
    let Some(ttl) = run.upstream.fake.oauth().settings(app).access_ttl_secs else {
        return Ok(Verdict::Skip("the provider's tokens never expire".into()));
    };
    let before = grants(run, app, scheme.kind);
    run.upstream.fake.oauth().advance_clock(ttl + 60);
    must_work(run, USER, &probe, "after the token expired").await?;
    let fetched = grants(run, app, scheme.kind) - before;
    ensure(fetched == 1, || {
        format!("{fetched} new tokens after expiry (want 1)")
    })?;
    Ok(Verdict::Pass(vec!["one new token after expiry".into()]))
}
