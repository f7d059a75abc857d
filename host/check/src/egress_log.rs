//! What connectors asked egress for during a check: a tap on every call's `http.send`, so a
//! request to a host outside the allowlist is seen even when the connector swallows the error.

use std::sync::Mutex;

use latchkey::plugin::{HttpError, HttpRequest, HttpResponse};
use latchkey::toolcall::tap::OutboundTap;

/// One request a connector made.
#[derive(Debug, Clone)]
pub struct Seen {
    pub connector: String,
    /// What the kit was doing (`tool create_issue`, `consent`…) when it was made.
    pub during: String,
    pub method: &'static str,
    /// Scheme, host and path; never the query (it may carry a key).
    pub url: String,
    /// Status of the answer, when one came.
    pub status: Option<u16>,
    /// Why egress refused it, when it did.
    pub denied: Option<String>,
}

/// The tap the kit installs on its gateway.
#[derive(Default)]
pub struct EgressLog {
    seen: Mutex<Vec<Seen>>,
    during: Mutex<String>,
}

fn without_query(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

impl EgressLog {
    /// Label the requests made from now on.
    pub fn set_during(&self, what: &str) {
        if let Ok(mut d) = self.during.lock() {
            *d = what.to_string();
        }
    }

    /// Everything seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl OutboundTap for EgressLog {
    fn observe(
        &self,
        connector: &str,
        request: &HttpRequest,
        result: &Result<HttpResponse, HttpError>,
    ) {
        let during = self.during.lock().map(|d| d.clone()).unwrap_or_default();
        let (status, denied) = match result {
            Ok(r) => (Some(r.status), None),
            Err(HttpError::Denied(m)) => (None, Some(m.clone())),
            Err(_) => (None, None),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(Seen {
                connector: connector.to_string(),
                during,
                method: request.method.as_str(),
                url: without_query(&request.url),
                status,
                denied,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey::plugin::Method;

    #[test]
    fn records_denials_without_queries() {
        let log = EgressLog::default();
        log.set_during("tool t");
        let req = HttpRequest {
            method: Method::Get,
            url: "https://u:p@evil.example/x?key=secret".into(),
            headers: Vec::new(),
            body: None,
            authenticate: true,
            token: None,
            timeout_ms: None,
        };
        log.observe("acme", &req, &Err(HttpError::Denied("not allowed".into())));
        let seen = log.seen();
        assert_eq!(seen[0].url, "https://evil.example/x");
        assert_eq!(seen[0].during, "tool t");
        assert_eq!(seen[0].denied.as_deref(), Some("not allowed"));
    }
}
