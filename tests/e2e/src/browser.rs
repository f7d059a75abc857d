//! A minimal browser for driving consent flows over real HTTP: no JavaScript, redirects
//! followed one hop at a time, and cookies kept as a browser keeps them: per host (not per
//! port, RFC 6265 §8.5) and sent only under their `Path`.

use reqwest::{StatusCode, Url};

#[derive(Debug, Clone)]
struct Cookie {
    host: String,
    name: String,
    value: String,
    path: String,
}

/// One response, with its redirect target resolved against the request URL.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub status: StatusCode,
    pub location: Option<Url>,
    pub body: String,
}

/// Where a chain of redirects ended.
#[derive(Debug)]
pub enum Followed {
    /// A redirect to a URL `stop` chose; it was not requested.
    Stopped(Url),
    /// A response that is not a redirect.
    Page(Page),
}

/// A cookie-keeping HTTP client that never follows redirects by itself.
pub struct Browser {
    http: reqwest::Client,
    cookies: Vec<Cookie>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

/// RFC 6265 §5.1.4: the default path of a cookie set by a response to `url`.
fn default_path(url: &Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

/// RFC 6265 §5.1.4: whether a request to `request_path` carries a cookie of `cookie_path`.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// The `action` of the first form whose action contains `contains`, HTML entities decoded.
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

impl Browser {
    pub fn new() -> Self {
        crate::install_crypto_provider();
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            cookies: Vec::new(),
        }
    }

    /// The value of cookie `name` for `host`, if the browser holds one.
    pub fn cookie(&self, host: &str, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|c| c.host == host && c.name == name)
            .map(|c| c.value.as_str())
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
            } else if (k.eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-']))
                || (k.eq_ignore_ascii_case("expires") && v.contains("1970"))
            {
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

    async fn send(&mut self, url: Url, request: reqwest::RequestBuilder) -> Page {
        let request = match self.cookie_header(&url) {
            Some(cookies) => request.header("cookie", cookies),
            None => request,
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {url}: {e}"));
        let status = response.status();
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
        Page {
            url,
            status,
            location,
            body,
        }
    }

    /// GET `url` (not following a redirect).
    pub async fn get(&mut self, url: &str) -> Page {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let request = self.http.get(url.clone());
        self.send(url, request).await
    }

    /// GET a provider's redirect back to the gateway (`/v1/oauth/callback/…`) and, as a browser
    /// does, the gateway's redirect to the clean result address (`/connect/…/done`), which
    /// holds no code or state. Other redirects (a pack page, `return_to`) are returned as is.
    pub async fn callback(&mut self, url: &str) -> Page {
        let page = self.get(url).await;
        match page.location.clone() {
            Some(next)
                if page.status.is_redirection()
                    && next.path().starts_with("/connect/")
                    && next.path().ends_with("/done") =>
            {
                self.get(next.as_str()).await
            }
            _ => page,
        }
    }

    /// POST a form to `url` (not following a redirect).
    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let request = self.http.post(url.clone()).form(form);
        self.send(url, request).await
    }

    /// Follow `page`'s redirects, one GET at a time, until one points to a URL `stop` accepts
    /// (returned unrequested) or a response is not a redirect. Panics after `max_hops`.
    pub async fn follow_until(
        &mut self,
        mut page: Page,
        stop: impl Fn(&Url) -> bool,
        max_hops: usize,
    ) -> Followed {
        for _ in 0..max_hops {
            let Some(next) = page
                .location
                .clone()
                .filter(|_| page.status.is_redirection())
            else {
                return Followed::Page(page);
            };
            if stop(&next) {
                return Followed::Stopped(next);
            }
            page = self.get(next.as_str()).await;
        }
        panic!(
            "more than {max_hops} redirects; last: {} {}",
            page.status, page.url
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_paths_match_as_in_rfc_6265() {
        assert!(path_matches("/", "/anything"));
        assert!(path_matches("/v1/oauth/callback", "/v1/oauth/callback/x"));
        assert!(path_matches("/v1/oauth/callback", "/v1/oauth/callback"));
        assert!(!path_matches("/v1/oauth/callback", "/v1/oauth/callbackx"));
        assert!(!path_matches("/v1/oauth/callback", "/connect/x"));
    }

    #[test]
    fn cookies_are_kept_per_host_and_path_and_cleared() {
        let mut b = Browser::new();
        let url = Url::parse("http://127.0.0.1:1/connect/a/b/oauth").expect("url");
        b.store(&url, "lk=1; Path=/v1/oauth/callback; HttpOnly");
        b.store(&url, "other=2");
        let cb = Url::parse("http://127.0.0.1:2/v1/oauth/callback/x").expect("url");
        assert_eq!(b.cookie_header(&cb).as_deref(), Some("lk=1"));
        let page = Url::parse("http://127.0.0.1:1/connect/a/b/x").expect("url");
        assert_eq!(b.cookie_header(&page).as_deref(), Some("other=2"));
        b.store(
            &url,
            "lk=; path=/v1/oauth/callback; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        );
        assert_eq!(b.cookie_header(&cb), None);
    }

    #[test]
    fn form_actions_are_found_and_unescaped() {
        let html = r#"<form method="post" action="&#x2f;connect&#x2f;cs_1&#x2f;t&#x2f;oauth">"#;
        assert_eq!(
            form_action(html, "/oauth").as_deref(),
            Some("/connect/cs_1/t/oauth")
        );
        assert_eq!(form_action(html, "/credential"), None);
    }
}
