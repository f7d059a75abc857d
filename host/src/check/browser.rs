//! A minimal browser for connect pages and consent: no JavaScript, one redirect hop at a time,
//! cookies kept per host and sent only under their `Path` (RFC 6265), as a browser would.

use reqwest::Url;

use super::scenarios::Fail;

#[derive(Debug, Clone)]
struct Cookie {
    host: String,
    name: String,
    value: String,
    path: String,
}

/// One response, its redirect target resolved against the request URL.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub status: u16,
    pub location: Option<Url>,
    pub body: String,
}

/// A cookie-keeping HTTP client that never follows redirects by itself.
pub struct Browser {
    http: reqwest::Client,
    cookies: Vec<Cookie>,
}

fn default_path(url: &Url) -> String {
    match url.path().rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => url.path()[..i].to_string(),
    }
}

fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// The `action` of the first form whose action contains `contains`, entities decoded.
pub fn form_action(html: &str, contains: &str) -> Option<String> {
    html.match_indices("action=\"").find_map(|(i, m)| {
        let rest = &html[i + m.len()..];
        let end = rest.find('"')?;
        let action = rest[..end]
            .replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&amp;", "&");
        action.contains(contains).then_some(action)
    })
}

/// A request failure without the URL (links carry single-use tokens).
fn failed(what: &str, e: reqwest::Error) -> Fail {
    Fail(format!("{what}: {}", e.without_url()))
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new() -> Result<Self, Fail> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| failed("cannot build an HTTP client", e))?;
        Ok(Browser {
            http,
            cookies: Vec::new(),
        })
    }

    fn cookie_header(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?;
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| c.host == host && path_matches(&c.path, url.path()))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn store(&mut self, url: &Url, set_cookie: &str) {
        let Some(host) = url.host_str() else { return };
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let mut path = default_path(url);
        let mut expired = value.is_empty();
        for attr in parts {
            let (k, v) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
            if k.eq_ignore_ascii_case("path") && v.starts_with('/') {
                path = v.to_string();
            } else if k.eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-']) {
                expired = true;
            }
        }
        self.cookies
            .retain(|c| !(c.host == host && c.name == name && c.path == path));
        if !expired {
            self.cookies.push(Cookie {
                host: host.to_string(),
                name: name.to_string(),
                value: value.to_string(),
                path,
            });
        }
    }

    async fn send(&mut self, url: Url, request: reqwest::RequestBuilder) -> Result<Page, Fail> {
        let request = match self.cookie_header(&url) {
            Some(cookies) => request.header("cookie", cookies),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| failed("a page did not load", e))?;
        let status = response.status().as_u16();
        let set: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        for s in set {
            self.store(&url, &s);
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| url.join(l).ok());
        let body = response.text().await.unwrap_or_default();
        Ok(Page {
            url,
            status,
            location,
            body,
        })
    }

    /// GET `url` (not following a redirect).
    pub async fn get(&mut self, url: &Url) -> Result<Page, Fail> {
        let request = self.http.get(url.clone());
        self.send(url.clone(), request).await
    }

    /// POST a form to `url` (not following a redirect).
    pub async fn post_form(&mut self, url: &Url, form: &[(&str, &str)]) -> Result<Page, Fail> {
        let request = self.http.post(url.clone()).form(form);
        self.send(url.clone(), request).await
    }

    /// Follow `page`'s redirects with GETs until a page that is not a redirect.
    pub async fn follow(&mut self, mut page: Page, max_hops: usize) -> Result<Page, Fail> {
        for _ in 0..max_hops {
            let Some(next) = page
                .location
                .clone()
                .filter(|_| (300..400).contains(&page.status))
            else {
                return Ok(page);
            };
            page = self.get(&next).await?;
        }
        Err(Fail(format!(
            "more than {max_hops} redirects (last at {})",
            page.url.path()
        )))
    }
}

/// A page's visible message, roughly: the text of its first `<h1>` and `<p>`.
pub fn headline(html: &str) -> String {
    let grab = |tag: &str| {
        let open = format!("<{tag}");
        let start = html.find(&open)?;
        let after = &html[start..];
        let body_start = after.find('>')? + 1;
        let end = after.find(&format!("</{tag}>"))?;
        Some(after.get(body_start..end)?.trim().to_string())
    };
    [grab("h1"), grab("p")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_forms_and_headlines() {
        assert!(path_matches("/v1/oauth/callback", "/v1/oauth/callback/x"));
        assert!(!path_matches("/v1/oauth/callback", "/v1/oauth/callbackx"));
        let html = r#"<form method="post" action="&#x2f;connect&#x2f;cs_1&#x2f;t&#x2f;oauth">"#;
        assert_eq!(
            form_action(html, "/oauth").as_deref(),
            Some("/connect/cs_1/t/oauth")
        );
        assert_eq!(form_action(html, "/credential"), None);
        assert_eq!(
            headline("<h1 class=x>Done</h1><p>All good.</p>"),
            "Done: All good."
        );
    }
}
