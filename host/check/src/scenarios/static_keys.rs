//! API keys and username/password: the first call asks to connect, the connect page checks a
//! pasted credential with the app before keeping it, and a key revoked at the provider leads
//! to `needs_reauth` and one alert.

use std::sync::Mutex;

use super::calls::{self, first_call, paste};
use super::oauth::tool_cases;
use super::{Fail, Run, Verdict, Working, ensure};
use crate::sample::Vars;
use crate::view;

/// Which static credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ApiKey,
    Basic,
}

impl Kind {
    fn id(self) -> &'static str {
        match self {
            Kind::ApiKey => "api_key",
            Kind::Basic => "basic",
        }
    }

    /// The connection's `scheme` in the operator API.
    fn scheme(self) -> &'static str {
        match self {
            Kind::ApiKey => "api_key",
            Kind::Basic => "basic",
        }
    }

    fn username(self) -> Option<&'static str> {
        match self {
            Kind::ApiKey => None,
            Kind::Basic => Some("kit-tester"),
        }
    }
}

/// Every scenario for `kind`; `primary` runs the per-tool cases under it. Returns the user
/// of the connection and its variables, once connected.
pub async fn all(run: &Run<'_>, kind: Kind, primary: bool) -> Option<(String, Vars)> {
    let id = kind.id();
    let user = format!("check-{}", id.replace('_', "-"));
    let link: Mutex<Option<String>> = Mutex::new(None);
    let state: Mutex<Option<(String, Vars)>> = Mutex::new(None);
    let working: Mutex<Vec<Working>> = Mutex::new(Vec::new());
    run.case(
        &format!("{id}.first_call_asks_to_connect"),
        "a tool call with no connection answers authorization_required, offering this credential",
        async {
            let vars = run.upstream.base_vars(&user);
            let (url, answer) = first_call(run, &run.stack.agent_key, &user, &vars).await?;
            let methods = answer.body["connector"]["methods"].to_string();
            ensure(methods.contains(id), || {
                format!("the problem's connector.methods do not offer {id}: {methods}")
            })?;
            if let Ok(mut l) = link.lock() {
                *l = Some(url);
            }
            Ok(Verdict::Pass(Vec::new()))
        },
    )
    .await;
    run.case(
        &format!("{id}.connect_page_checks_it"),
        "the connect page refuses a credential the app rejects and keeps one it accepts",
        async {
            let url = link
                .lock()
                .ok()
                .and_then(|l| l.clone())
                .ok_or_else(|| Fail("no connect link (see the previous case)".into()))?;
            let (status, message) =
                paste(&url, id, "kit-wrong-credential", kind.username()).await?;
            ensure(status == 400, || {
                format!(
                    "a credential the app rejects was answered {status} ({message}); the connector's verify must report 401 as an auth error"
                )
            })?;
            ensure(run.connection(&user).await?.is_none(), || {
                "a rejected credential was stored".into()
            })?;
            let (key, vars) = run.upstream.new_api_key(&user);
            let (status, message) = paste(&url, id, &key, kind.username()).await?;
            ensure(status == 200, || {
                format!("a valid credential was answered {status}: {message}")
            })?;
            let c = calls::active_connection(run, &user).await?;
            ensure(c.scheme == kind.scheme(), || {
                format!("the connection's scheme is {}", c.scheme)
            })?;
            let account = c.metadata.get("account").cloned().unwrap_or_default();
            if let Ok(mut s) = state.lock() {
                *s = Some((key, vars));
            }
            Ok(Verdict::Pass(vec![format!("connected as {account:?}")]))
        },
    )
    .await;
    let stored = state.lock().ok().and_then(|s| s.clone());
    if let Some((_, vars)) = &stored {
        if primary {
            tool_cases(run, &user, vars).await;
            if let Ok(mut w) = working.lock() {
                *w = run.working.lock().map(|x| x.clone()).unwrap_or_default();
            }
        } else {
            run.case(
                &format!("{id}.tool_calls_work"),
                "the sample calls work with this credential",
                async {
                    let (results, found) =
                        calls::run_samples(run, &run.stack.agent_key, &user, vars.clone()).await;
                    if let Ok(mut w) = working.lock() {
                        *w = found;
                    }
                    let mut lines = Vec::new();
                    for (tool, r) in results {
                        match r {
                            Ok(summary) => lines.push(format!("{tool}: {summary}")),
                            Err(Fail(why)) => return Err(Fail(why)),
                        }
                    }
                    Ok(Verdict::Pass(lines))
                },
            )
            .await;
        }
    }
    run.case(
        &format!("{id}.revoked_needs_reauth"),
        "a credential revoked at the provider leads to needs_reauth and exactly one alert, delivered as a signed webhook",
        async {
            if let Some(skip) = super::lacks(run, false, false, true) {
                return Ok(skip);
            }
            let Some((key, _)) = stored.clone() else {
                return Ok(Verdict::Skip(
                    "not connected (see the previous cases)".into(),
                ));
            };
            let probe = working.lock().ok().and_then(|w| calls::pick(&w, None));
            let Some(probe) = probe else {
                return Ok(Verdict::Skip(
                    "no tool call worked with this credential".into(),
                ));
            };
            let c = calls::active_connection(run, &user).await?;
            run.upstream.revoke_api_key(&key);
            let k = &run.stack.agent_key;
            let answer = run.call(k, &user, &probe.tool.name, &probe.input).await?;
            ensure(answer.code() == "reauthorization_required", || {
                format!(
                    "with the credential revoked, {} answered {}, not reauthorization_required",
                    probe.tool.name,
                    answer.summary()
                )
            })?;
            let again = run.call(k, &user, &probe.tool.name, &probe.input).await?;
            ensure(again.code() == "reauthorization_required", || {
                format!("a second call answered {}", again.summary())
            })?;
            let now = run
                .connection(&user)
                .await?
                .ok_or_else(|| Fail("the connection disappeared".into()))?;
            ensure(now.status == view::NEEDS_REAUTH, || {
                format!("the connection is {}, not needs_reauth", now.status)
            })?;
            let alerts = run.alerts_of(&c.id).await?;
            let open = alerts.iter().filter(|a| a.status == "open").count();
            ensure(open == 1, || {
                format!("{open} open alerts for the connection (want exactly 1)")
            })?;
            run.delivered_once(&c.id, latchkey::alerts::OPENED, None)
                .await?;
            Ok(Verdict::Pass(vec![format!(
                "needs_reauth ({}), one alert delivered",
                now.status_reason.unwrap_or_default()
            )]))
        },
    )
    .await;
    stored.map(|(_, vars)| (user, vars))
}
