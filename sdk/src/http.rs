//! Outgoing requests: a small builder over the WIT `http.send`, and response readers that
//! turn upstream failures into call errors.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::latchkey::connector::http;
pub use crate::bindings::latchkey::connector::http::{HttpError, Method};
use crate::error::CallError;
use crate::{percent, status, transport};

/// A request to an upstream; the host checks its origin against the manifest's allowed hosts.
#[derive(Debug, Clone)]
pub struct Request {
    raw: http::Request,
}

impl Request {
    /// A request with no headers, no body, and no credential.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            raw: http::Request {
                method,
                url: url.into(),
                headers: Vec::new(),
                body: None,
                authenticate: false,
                token: None,
                timeout_ms: None,
            },
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// `PUT url`.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// `PATCH url`.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::Patch, url)
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Adds a header (repeated names are sent repeatedly).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.raw.headers.push((name.into(), value.into()));
        self
    }

    /// Appends `name=value` to the query string, percent-encoded.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        let separator = if self.raw.url.contains('?') { '&' } else { '?' };
        self.raw.url = format!(
            "{}{separator}{}={}",
            self.raw.url,
            percent::encode(name),
            percent::encode(value)
        );
        self
    }

    /// Sends `body` as JSON (and says so in `Content-Type`).
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self, CallError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| CallError::internal(format!("could not encode the request body: {e}")))?;
        Ok(self.header("content-type", "application/json").body(bytes))
    }

    /// Sends these bytes as the body.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.raw.body = Some(bytes.into());
        self
    }

    /// Asks the host to attach the connection's credential; the connector never sees it.
    pub fn authenticated(mut self) -> Self {
        self.raw.authenticate = true;
        self.raw.token = None;
        self
    }

    /// Like [`Request::authenticated`], with one of the connection's named extra tokens (e.g.
    /// Slack's `"user"` token, declared in the manifest's `extra-tokens`).
    pub fn authenticated_with(mut self, token: &str) -> Self {
        self.raw.authenticate = true;
        self.raw.token = Some(token.to_owned());
        self
    }

    /// Gives up after this many milliseconds (the host caps it with its own limit).
    pub fn timeout_ms(mut self, milliseconds: u32) -> Self {
        self.raw.timeout_ms = Some(milliseconds);
        self
    }

    /// The WIT request this builder made, e.g. to assert on it in a test.
    pub fn as_raw(&self) -> &http::Request {
        &self.raw
    }

    /// Sends the request; any HTTP status is an `Ok` (read it with [`Response::json`] or
    /// [`Response::error_for_status`]), only transport failures are errors.
    pub fn send(self) -> Result<Response, HttpError> {
        transport::send(&self.raw).map(|raw| Response { raw })
    }
}

/// An upstream's answer.
#[derive(Debug, Clone)]
pub struct Response {
    raw: http::Response,
}

impl Response {
    /// Wraps a WIT response (handy in tests).
    pub fn from_raw(raw: http::Response) -> Self {
        Response { raw }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.raw.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.raw.status)
    }

    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        status::header(&self.raw.headers, name)
    }

    /// All headers, in the order received.
    pub fn headers(&self) -> &[(String, String)] {
        &self.raw.headers
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.raw.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw.body).into_owned()
    }

    /// The WIT response, for callers that need every detail.
    pub fn into_raw(self) -> http::Response {
        self.raw
    }

    /// `Ok(self)` for 2xx, else the call error for the status (see [`crate::status`]).
    pub fn error_for_status(self) -> Result<Self, CallError> {
        match status::error_for_status(self.raw.status, &self.raw.headers, &self.raw.body) {
            None => Ok(self),
            Some(error) => Err(error),
        }
    }

    /// The body as `T` after [`Response::error_for_status`]; a body that does not fit `T`
    /// becomes `upstream(status, …)`.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, CallError> {
        let response = self.error_for_status()?;
        serde_json::from_slice(&response.raw.body).map_err(|e| {
            CallError::upstream(
                response.raw.status,
                format!("the upstream answered with unexpected JSON: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AuthError, UpstreamError};
    use crate::testing;

    #[test]
    fn builder_fills_the_wit_request() {
        let request = Request::post("https://api.example.com/v1/things")
            .header("Notion-Version", "2022-06-28")
            .json(&serde_json::json!({"a": 1}))
            .expect("serializable")
            .authenticated()
            .timeout_ms(5_000);
        let raw = request.as_raw();
        assert_eq!(raw.method, Method::Post);
        assert_eq!(raw.url, "https://api.example.com/v1/things");
        assert!(raw.authenticate);
        assert_eq!(raw.timeout_ms, Some(5_000));
        assert_eq!(raw.body.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert!(
            raw.headers
                .contains(&("content-type".into(), "application/json".into()))
        );
        assert!(
            raw.headers
                .contains(&("Notion-Version".into(), "2022-06-28".into()))
        );
    }

    #[test]
    fn plain_requests_are_not_authenticated() {
        let raw = Request::get("https://example.com").as_raw().clone();
        assert_eq!(raw.method, Method::Get);
        assert!(!raw.authenticate);
        assert_eq!(raw.body, None);
    }

    #[test]
    fn query_parameters_are_encoded() {
        let request = Request::get("https://example.com/search")
            .query("q", "a b&c=d")
            .query("page size", "10");
        assert_eq!(
            request.as_raw().url,
            "https://example.com/search?q=a%20b%26c%3Dd&page%20size=10"
        );
    }

    #[test]
    fn json_maps_statuses_and_bad_bodies() {
        testing::mock_http(|req| {
            Ok(match req.url.as_str() {
                "https://x/ok" => testing::response(200, "{\"n\":1}"),
                "https://x/expired" => testing::response(401, "{}"),
                "https://x/garbage" => testing::response(200, "not json"),
                _ => testing::response(404, "{\"message\":\"no such thing\"}"),
            })
        });
        #[derive(serde::Deserialize)]
        struct N {
            n: u32,
        }
        let ok: N = Request::get("https://x/ok").send().unwrap().json().unwrap();
        assert_eq!(ok.n, 1);
        let expired = Request::get("https://x/expired")
            .send()
            .unwrap()
            .json::<N>();
        assert!(matches!(expired, Err(CallError::Auth(AuthError::Expired))));
        let garbage = Request::get("https://x/garbage")
            .send()
            .unwrap()
            .json::<N>();
        assert!(matches!(
            garbage,
            Err(CallError::Upstream(UpstreamError { status: 200, .. }))
        ));
        let missing = Request::get("https://x/other").send().unwrap().json::<N>();
        assert_eq!(
            missing.err(),
            Some(CallError::upstream(404, "no such thing"))
        );
        testing::clear_http();
        assert!(matches!(
            Request::get("https://x/ok").send(),
            Err(HttpError::Transport(_))
        ));
    }

    #[test]
    fn response_reads_headers_case_insensitively() {
        let response = Response::from_raw(http::Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"hi".to_vec(),
        });
        assert_eq!(response.header("content-type"), Some("text/plain"));
        assert_eq!(response.text(), "hi");
        assert!(response.is_success());
    }
}
