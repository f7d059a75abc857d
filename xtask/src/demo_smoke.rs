//! `cargo xtask demo --smoke`: the README's first command, checked. What the demo tells a
//! newcomer to do — list the tools, call one with a stored key, get `authorization_required`,
//! connect GitHub through its consent page, call again, start a pack session — is done here
//! with curl, as the newcomer would, and must work. `cargo xtask test` runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

/// What the running demo handed out.
pub struct Demo {
    pub served: String,
    pub fake_url: String,
    pub agent_key: String,
    pub admin_key: String,
    /// A folder for the browser's cookie jar.
    pub dir: PathBuf,
}

/// An HTTP answer: status, final redirect target (not followed) and body.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("not JSON ({}): {}", self.status, self.body))
    }
}

/// `curl` with `args`, keeping cookies in `jar` like a browser.
fn curl(jar: &Path, args: &[&str]) -> Result<Answer> {
    const MARK: &str = "\n--xtask-smoke--";
    let out = Command::new("curl")
        .args(["-s", "-c"])
        .arg(jar)
        .arg("-b")
        .arg(jar)
        .arg("-w")
        .arg(format!("{MARK}%{{http_code}} %{{redirect_url}}"))
        .args(args)
        .output()
        .context("cannot run curl (the smoke test drives the demo with it)")?;
    // Not the arguments: they carry the demo's keys.
    ensure!(out.status.success(), "curl failed: {}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, tail) = text.rsplit_once(MARK).context("curl printed no status")?;
    let (status, location) = tail.split_once(' ').unwrap_or((tail, ""));
    Ok(Answer {
        status: status.trim().parse().context("curl printed no status")?,
        location: location.trim().to_string(),
        body: body.to_string(),
    })
}

/// The value of the first `attr="…"` after `after` in `html`.
fn attribute(html: &str, after: &str, attr: &str) -> Option<String> {
    let start = html.find(after)?;
    let rest = &html[start..];
    let at = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = rest[at..].find('"')?;
    Some(
        rest[at..at + end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

/// `field` of each object in the array `list` of `answer`.
fn field_of_each<'a>(answer: &'a Value, list: &str, field: &str) -> Result<Vec<&'a str>> {
    Ok(answer[list]
        .as_array()
        .with_context(|| format!("no {list} in {answer}"))?
        .iter()
        .filter_map(|item| item[field].as_str())
        .collect())
}

impl Demo {
    fn jar(&self) -> PathBuf {
        self.dir.join("smoke-cookies.txt")
    }

    /// GET `path` of the gateway with a bearer `key`, as JSON.
    fn get_json(&self, path: &str, key: &str) -> Result<Value> {
        curl(
            &self.jar(),
            &[
                &format!("{}{path}", self.served),
                "-H",
                &format!("Authorization: Bearer {key}"),
            ],
        )?
        .json()
    }

    /// POST `body` as JSON to `path` of the gateway with the agent key.
    fn post_json(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        let answer = curl(
            &self.jar(),
            &[
                &format!("{}{path}", self.served),
                "-H",
                &format!("Authorization: Bearer {}", self.agent_key),
                "-H",
                "Content-Type: application/json",
                "-d",
                &body.to_string(),
            ],
        )?;
        Ok((answer.status, answer.json()?))
    }

    fn call(&self, tool: &str, input: Value) -> Result<(u16, Value)> {
        self.post_json(
            &format!("/v1/tools/{tool}/call"),
            &json!({ "user_id": "alice", "input": input }),
        )
    }

    /// Open a connect link and approve at the fake provider's consent page, as a person would.
    fn connect(&self, link: &str) -> Result<()> {
        let jar = self.jar();
        let page = curl(&jar, &[link])?;
        ensure!(
            page.status == 200,
            "the connect page answered {}",
            page.status
        );
        let start = curl(&jar, &["-X", "POST", &format!("{link}/oauth")])?;
        ensure!(
            (300..400).contains(&start.status) && !start.location.is_empty(),
            "Continue did not redirect to the provider ({})",
            start.status
        );
        let consent = curl(&jar, &[&start.location])?;
        let html = &consent.body;
        let action = attribute(html, "<form", "action").context("no consent form")?;
        let token = attribute(html, "name=\"consent\"", "value").context("no consent field")?;
        let mut form = vec![format!("consent={token}"), "decision=allow".to_string()];
        let mut rest = html.as_str();
        while let Some(i) = rest.find("name=\"scope\"") {
            rest = &rest[i..];
            if let Some(scope) = attribute(rest, "name=\"scope\"", "value") {
                form.push(format!("scope={scope}"));
            }
            rest = &rest[1..];
        }
        let allow = curl(
            &jar,
            &[
                "-X",
                "POST",
                &format!("{}{action}", self.fake_url),
                "-d",
                &form.join("&"),
            ],
        )?;
        ensure!(
            !allow.location.is_empty(),
            "Allow did not redirect back ({}): {}",
            allow.status,
            allow.body
        );
        let back = curl(&jar, &[&allow.location])?;
        // The callback sends the browser on to a clean result address (no code, no state).
        let done = if (300..400).contains(&back.status) && !back.location.is_empty() {
            curl(&jar, &[&back.location])?
        } else {
            back
        };
        ensure!(
            done.status == 200 && done.body.contains("is connected"),
            "the callback answered {}",
            done.status
        );
        Ok(())
    }
}

/// Every step the demo prints, checked.
pub fn run(d: &Demo) -> Result<()> {
    let tools = d.get_json("/v1/tools", &d.agent_key)?;
    let names = field_of_each(&tools, "tools", "name")?;
    for tool in ["notion_search", "github_get_user", "slack_post_message"] {
        ensure!(names.contains(&tool), "{tool} is not listed: {names:?}");
    }
    println!("demo smoke: 1. {} tools listed", names.len());

    let (status, found) = d.call("notion_search", json!({"query": "Sandbox"}))?;
    ensure!(status == 200, "notion_search answered {status}: {found}");
    ensure!(
        found["output"]["results"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "notion_search found nothing: {found}"
    );
    println!("demo smoke: 2. notion_search with Alice's stored key works");

    let (status, asked) = d.call("github_get_user", json!({}))?;
    ensure!(
        status == 403 && asked["code"] == "authorization_required",
        "github_get_user before connecting answered {status}: {asked}"
    );
    let link = asked["connect_url"]
        .as_str()
        .context("authorization_required without a connect_url")?;
    d.connect(link)?;
    let (status, me) = d.call("github_get_user", json!({}))?;
    ensure!(
        status == 200,
        "github_get_user after connecting answered {status}: {me}"
    );
    let Some(login) = me["output"]["login"].as_str() else {
        bail!("github_get_user returned no login: {me}");
    };
    println!("demo smoke: 3. authorization_required → consent → github_get_user is {login}");

    let (status, session) = d.post_json(
        "/v1/pack-sessions",
        &json!({"pack": "sales-ops", "user_id": "alice"}),
    )?;
    let apps = session["apps"].as_array().map_or(0, Vec::len);
    ensure!(
        (200..300).contains(&status) && apps == 3 && session["url"].is_string(),
        "the sales-ops pack session answered {status}: {session}"
    );
    println!("demo smoke: 4. the sales-ops pack session lists its {apps} apps");

    let audit = d.get_json("/v1/admin/audit", &d.admin_key)?;
    let events = field_of_each(&audit, "entries", "event")?;
    for event in ["tool_call", "connect"] {
        ensure!(
            events.contains(&event),
            "no {event} in the audit log: {events:?}"
        );
    }
    println!("demo smoke: 5. the audit log has {} entries", events.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_found_after_their_anchor_and_unescaped() {
        let html = r#"<form method="post" action="&#x2f;github-web&#x2f;authorize"><input type="hidden" name="consent" value="abc"><input name="scope" value="read:user"><input name="scope" value="repo">"#;
        assert_eq!(
            attribute(html, "<form", "action").as_deref(),
            Some("/github-web/authorize")
        );
        assert_eq!(
            attribute(html, "name=\"consent\"", "value").as_deref(),
            Some("abc")
        );
        assert_eq!(attribute(html, "<table", "value"), None);
    }
}
