//! Authorization-server metadata: RFC 8414 (`/.well-known/oauth-authorization-server`, path
//! inserted after the host) and OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`
//! appended to the issuer), fetched through egress like every request the gateway makes.
//!
//! The document must name the issuer it was fetched for (RFC 8414 §3.3): otherwise it is
//! ignored, so a server cannot impersonate another one through its metadata. Results are
//! cached per issuer (an hour; five minutes for "nothing published"), so a connect flow costs
//! at most one metadata request. Anything this module cannot use is reported as an error and
//! the caller falls back to the endpoints the connector declared.
//!
//! Kept free of connector and provider types: fetching the metadata of an authorization server
//! is also what an OAuth client of a remote MCP server does after RFC 9728.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::egress::{AllowList, Egress, Method, OutboundRequest};

/// How long a fetched document is used.
const FRESH: Duration = Duration::from_secs(3600);
/// How long "nothing usable is published" is believed.
const ABSENT: Duration = Duration::from_secs(300);
/// A metadata request's own deadline: discovery must never hold a connect flow for long.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest metadata document read.
const MAX_BYTES: usize = 256 << 10;

/// The parts of an authorization server's metadata the gateway uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    /// RFC 9207 §3: the server sends `iss` in every authorization response, so a response
    /// without one is not from it.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// Why no usable metadata was found.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DiscoveryError {
    #[error("the issuer {0:?} is not an https (or, for tests, http) URL without query")]
    BadIssuer(String),
    #[error("the server publishes no metadata document")]
    NotPublished,
    #[error("the metadata names issuer {found:?}, not {expected:?}")]
    IssuerMismatch { expected: String, found: String },
    #[error("the metadata document is invalid: {0}")]
    Invalid(String),
    #[error("the metadata could not be fetched: {0}")]
    Transport(String),
}

/// Where the metadata of `issuer` may be published, in the order to try: RFC 8414 §3.1
/// (well-known segment between host and path), then OpenID Connect Discovery §4 (appended).
pub fn well_known_urls(issuer: &str) -> Result<Vec<String>, DiscoveryError> {
    let bad = || DiscoveryError::BadIssuer(issuer.to_string());
    let url = url::Url::parse(issuer).map_err(|_| bad())?;
    if !matches!(url.scheme(), "https" | "http")
        || url.query().is_some()
        || url.fragment().is_some()
        || url.host_str().is_none()
    {
        return Err(bad());
    }
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    Ok(vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}{path}/.well-known/openid-configuration"),
    ])
}

/// Fetch and check the metadata of `issuer` (no cache): the first well-known URL that answers
/// 200 with a document naming `issuer` wins.
pub async fn fetch(egress: &Egress, issuer: &str) -> Result<ServerMetadata, DiscoveryError> {
    let urls = well_known_urls(issuer)?;
    let origin = url::Url::parse(issuer)
        .map(|u| u.origin().ascii_serialization())
        .map_err(|_| DiscoveryError::BadIssuer(issuer.to_string()))?;
    let allow = AllowList::parse([origin]).map_err(|e| DiscoveryError::BadIssuer(e.to_string()))?;
    let mut last = DiscoveryError::NotPublished;
    for url in urls {
        let request = OutboundRequest {
            method: Method::Get,
            url,
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            timeout: Some(TIMEOUT),
        };
        let response = match egress.send(&allow, request, None).await {
            Ok(r) => r,
            Err(e) => {
                last = DiscoveryError::Transport(e.to_string());
                continue;
            }
        };
        if response.status != 200 {
            continue;
        }
        if response.body.len() > MAX_BYTES {
            last = DiscoveryError::Invalid("larger than 256 KiB".into());
            continue;
        }
        let metadata: ServerMetadata = match serde_json::from_slice(&response.body) {
            Ok(m) => m,
            Err(e) => {
                last = DiscoveryError::Invalid(e.to_string());
                continue;
            }
        };
        // RFC 8414 §3.3: identical to the issuer the document was requested for.
        if metadata.issuer != issuer {
            return Err(DiscoveryError::IssuerMismatch {
                expected: issuer.to_string(),
                found: metadata.issuer,
            });
        }
        for endpoint in [
            &metadata.authorization_endpoint,
            &metadata.token_endpoint,
            &metadata.revocation_endpoint,
        ]
        .into_iter()
        .flatten()
        {
            let ok = url::Url::parse(endpoint)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.username().is_empty());
            if !ok {
                return Err(DiscoveryError::Invalid(format!(
                    "endpoint {endpoint:?} is not an http(s) URL"
                )));
            }
        }
        return Ok(metadata);
    }
    Err(last)
}

struct Entry {
    at: Instant,
    result: Result<ServerMetadata, DiscoveryError>,
}

/// Metadata per issuer, fetched at most once per freshness period.
#[derive(Default)]
pub struct MetadataCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for MetadataCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataCache").finish_non_exhaustive()
    }
}

impl MetadataCache {
    fn cached(&self, issuer: &str) -> Option<Result<ServerMetadata, DiscoveryError>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(issuer)?;
        let ttl = if entry.result.is_ok() { FRESH } else { ABSENT };
        (entry.at.elapsed() < ttl).then(|| entry.result.clone())
    }

    /// The metadata of `issuer`, from the cache or fetched now.
    pub async fn get(
        &self,
        egress: &Egress,
        issuer: &str,
    ) -> Result<ServerMetadata, DiscoveryError> {
        if let Some(hit) = self.cached(issuer) {
            return hit;
        }
        let result = fetch(egress, issuer).await;
        if let Err(e) = &result {
            tracing::debug!(issuer, error = %e, "no usable authorization server metadata");
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: issuers come from the operator's configuration and loaded connectors.
        if entries.len() > 1024 {
            entries.clear();
        }
        entries.insert(
            issuer.to_string(),
            Entry {
                at: Instant::now(),
                result: result.clone(),
            },
        );
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_follow_rfc_8414_and_openid_discovery() {
        assert_eq!(
            well_known_urls("https://id.example.com").expect("urls"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server",
                "https://id.example.com/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            well_known_urls("https://kc.example.com/realms/acme/").expect("urls"),
            [
                "https://kc.example.com/.well-known/oauth-authorization-server/realms/acme",
                "https://kc.example.com/realms/acme/.well-known/openid-configuration",
            ]
        );
        assert!(well_known_urls("ftp://x").is_err());
        assert!(well_known_urls("https://x/?a=1").is_err());
        assert!(well_known_urls("not a url").is_err());
    }

    #[test]
    fn metadata_reads_the_fields_the_gateway_uses() {
        let m: ServerMetadata = serde_json::from_str(
            r#"{"issuer":"https://a","authorization_endpoint":"https://a/auth","token_endpoint":"https://a/token","authorization_response_iss_parameter_supported":true,"other":1}"#,
        )
        .expect("parse");
        assert!(m.authorization_response_iss_parameter_supported);
        assert_eq!(m.revocation_endpoint, None);
    }
}
