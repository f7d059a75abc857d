//! The scripted browser of the suite: the kit's own ([`scripted_browser`], one implementation
//! for both), with the panicking shape tests want — a page that does not load fails the test.

use reqwest::Url;
pub use scripted_browser::{Followed, Page, form_action};

/// A cookie-keeping HTTP client that never follows redirects by itself.
pub struct Browser(scripted_browser::Browser);

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new() -> Self {
        crate::install_crypto_provider();
        Browser(scripted_browser::Browser::new().expect("http client"))
    }

    /// The value of cookie `name` for `host`, if the browser holds one.
    pub fn cookie(&self, host: &str, name: &str) -> Option<&str> {
        self.0.cookie(host, name)
    }

    /// GET `url` (not following a redirect).
    pub async fn get(&mut self, url: &str) -> Page {
        self.0
            .get(url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
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
        self.0
            .post_form(url, form)
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    /// Follow `page`'s redirects, one GET at a time, until one points to a URL `stop` accepts
    /// (returned unrequested) or a response is not a redirect. Panics after `max_hops`.
    pub async fn follow_until(
        &mut self,
        page: Page,
        stop: impl Fn(&Url) -> bool,
        max_hops: usize,
    ) -> Followed {
        self.0
            .follow_until(page, stop, max_hops)
            .await
            .unwrap_or_else(|e| panic!("following redirects: {e}"))
    }
}
