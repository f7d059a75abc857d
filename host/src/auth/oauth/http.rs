//! The gateway's own requests to token and revocation endpoints, made through egress (same
//! routing, address policy, timeouts and size caps as plugin traffic) and normalised for the
//! `oauth2` crate. What the provider answered is kept aside for error classification.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use oauth2::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use super::normalize::normalize;
use crate::egress::{AllowList, Egress, EgressError, Method, OutboundRequest};
use crate::plugin::TokenResponseShape;

/// A failure to get any HTTP answer from the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub EgressError);

/// What the provider's last answer looked like, beyond what `oauth2` reports.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    /// The response body without tokens or secrets.
    pub public: Option<Value>,
    pub requests: u32,
    /// Named further tokens from the last success.
    pub extra_tokens: Vec<(String, secrecy::SecretString)>,
    /// Further granted scopes (prefixed) from the last success.
    pub extra_scopes: Vec<String>,
}

/// One provider endpoint family, for one flow.
pub struct TokenHttp<'a> {
    egress: &'a Egress,
    allow: AllowList,
    shape: TokenResponseShape,
    separator: String,
    observed: Mutex<Observed>,
}

fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

fn retry_after(headers: &[(String, String)]) -> Option<Duration> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

impl<'a> TokenHttp<'a> {
    /// A client allowed to reach exactly the origins of `urls`.
    pub fn new(
        egress: &'a Egress,
        urls: &[&str],
        shape: TokenResponseShape,
        separator: &str,
    ) -> Result<Self, String> {
        let origins: Vec<String> = urls.iter().filter_map(|u| origin_of(u)).collect();
        let allow = AllowList::parse(&origins).map_err(|e| e.to_string())?;
        Ok(TokenHttp {
            egress,
            allow,
            shape,
            separator: separator.to_string(),
            observed: Mutex::new(Observed::default()),
        })
    }

    /// What was seen so far.
    pub fn observed(&self) -> Observed {
        self.observed.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// Send one request (the `oauth2` crate's async HTTP client).
    pub async fn call(
        &self,
        req: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, TransportError> {
        let method = match req.method().as_str() {
            "GET" => Method::Get,
            _ => Method::Post,
        };
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), v.to_string()))
            })
            .collect();
        let outbound = OutboundRequest {
            method,
            url: req.uri().to_string(),
            headers,
            body: Some(req.body().clone()),
            timeout: None,
        };
        if let Ok(mut o) = self.observed.lock() {
            o.requests += 1;
        }
        let response = self
            .egress
            .send(&self.allow, outbound, None)
            .await
            .map_err(TransportError)?;
        let normalized = normalize(
            response.status,
            &response.body,
            &self.shape,
            &self.separator,
        );
        if let Ok(mut o) = self.observed.lock() {
            o.status = Some(response.status);
            o.retry_after = retry_after(&response.headers);
            o.public = normalized.public.clone();
            o.extra_tokens = normalized.extra_tokens.clone();
            o.extra_scopes = normalized.extra_scopes.clone();
        }
        let mut out = oauth2::http::Response::new(normalized.body);
        *out.status_mut() =
            StatusCode::from_u16(normalized.status).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        *out.headers_mut() = headers;
        Ok(out)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenHttp<'_> {
    type Error = TransportError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(TokenHttp::call(self, request))
    }
}
