//! A minimal scripted browser for consent flows over real HTTP, shared by the auth test kit
//! (`latchkey-check`) and the end-to-end suite: no JavaScript, redirects followed one hop at a
//! time (so a caller can stop at the gateway's callback), and cookies kept as a browser keeps
//! them ([`cookies`]). Every failure is an error value: the kit reports it, tests unwrap it.

pub mod cookies;
mod html;

pub use html::{form_action, headline};
pub use reqwest::{StatusCode, Url};

/// Why a page could not be had.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The HTTP client could not be built (no TLS provider installed, for instance).
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
    /// A link is not a URL.
    #[error("{what} is not a URL: {reason}")]
    NotAUrl { what: String, reason: String },
    /// The request failed (never names the URL: links carry single-use tokens).
    #[error("a page did not load: {0}")]
    Load(String),
    /// A redirect chain did not end.
    #[error("more than {max_hops} redirects (last: {status} at {path})")]
    TooManyRedirects {
        max_hops: usize,
        status: StatusCode,
        path: String,
    },
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
    jar: cookies::Jar,
}

fn parse(url: &str) -> Result<Url, BrowserError> {
    Url::parse(url).map_err(|e| BrowserError::NotAUrl {
        what: "a link".into(),
        reason: e.to_string(),
    })
}

impl Browser {
    /// A browser with an empty cookie jar. (reqwest is built without a TLS provider of its
    /// own: install one process-wide first, even for plain http.)
    pub fn new() -> Result<Self, BrowserError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| BrowserError::Client(e.without_url().to_string()))?;
        Ok(Browser {
            http,
            jar: cookies::Jar::default(),
        })
    }

    /// The value of cookie `name` for `host`, if the browser holds one.
    pub fn cookie(&self, host: &str, name: &str) -> Option<&str> {
        self.jar.get(host, name)
    }

    async fn send(
        &mut self,
        url: Url,
        request: reqwest::RequestBuilder,
    ) -> Result<Page, BrowserError> {
        let host = url.host_str().unwrap_or_default().to_string();
        let request = match self.jar.header_for(&host, url.path()) {
            Some(cookies) => request.header("cookie", cookies),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| BrowserError::Load(e.without_url().to_string()))?;
        let status = response.status();
        for set in response.headers().get_all("set-cookie") {
            if let Ok(text) = set.to_str() {
                self.jar.store(&host, url.path(), text);
            }
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
    pub async fn get(&mut self, url: &str) -> Result<Page, BrowserError> {
        let url = parse(url)?;
        let request = self.http.get(url.clone());
        self.send(url, request).await
    }

    /// POST a form to `url` (not following a redirect).
    pub async fn post_form(
        &mut self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<Page, BrowserError> {
        let url = parse(url)?;
        let request = self.http.post(url.clone()).form(form);
        self.send(url, request).await
    }

    /// Follow `page`'s redirects, one GET at a time, until one points to a URL `stop` accepts
    /// (returned unrequested) or a response is not a redirect; an error after `max_hops`.
    pub async fn follow_until(
        &mut self,
        mut page: Page,
        stop: impl Fn(&Url) -> bool,
        max_hops: usize,
    ) -> Result<Followed, BrowserError> {
        for _ in 0..max_hops {
            let Some(next) = page
                .location
                .clone()
                .filter(|_| page.status.is_redirection())
            else {
                return Ok(Followed::Page(page));
            };
            if stop(&next) {
                return Ok(Followed::Stopped(next));
            }
            page = self.get(next.as_str()).await?;
        }
        Err(BrowserError::TooManyRedirects {
            max_hops,
            status: page.status,
            path: page.url.path().to_string(),
        })
    }

    /// Follow `page`'s redirects to the first response that is not one.
    pub async fn follow(&mut self, page: Page, max_hops: usize) -> Result<Page, BrowserError> {
        match self.follow_until(page, |_| false, max_hops).await? {
            Followed::Page(p) => Ok(p),
            // `stop` accepts nothing, so every redirect was requested.
            Followed::Stopped(url) => {
                Err(BrowserError::Load(format!("stopped before {}", url.path())))
            }
        }
    }
}
