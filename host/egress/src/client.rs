//! [`Egress`]: the host side of the plugin's `http.send`. Runs the rules in order for the
//! request and again for every redirect hop:
//! allowlist → override → addresses → headers → credential → caps → redaction.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, HeaderMap, HeaderValue};
use tracing::Instrument as _;
use url::{Host, Url};

use super::address::non_public;
use super::allowlist::AllowList;
use super::credential::Credential;
use super::error::{EgressError, SettingsError};
use super::failure::from_reqwest;
use super::headers;
use super::hop::Hop;
use super::inject::{clear_slot, inject};
use super::message::{InboundResponse, OutboundRequest};
use super::origin::{Origin, parse_request_url};
use super::redact::Redactor;
use super::redirect;
use super::reroute::Router;
use super::resolve::{GuardedResolver, Resolver, SystemResolver};
use super::response;
use super::settings::EgressSettings;

/// The plugin-facing HTTP client: one connection pool, the policy, the settings.
pub struct Egress {
    client: reqwest::Client,
    settings: EgressSettings,
    router: Router,
}

impl fmt::Debug for Egress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Egress")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A checked request, ready for its first hop.
struct Prepared {
    hop: Hop,
    origin: Origin,
    redactor: Option<Redactor>,
}

impl Egress {
    /// An egress using the system resolver.
    pub fn new(settings: EgressSettings) -> Result<Self, SettingsError> {
        Self::with_resolver(settings, Arc::new(SystemResolver))
    }

    /// An egress with an injected resolver (tests map names to addresses without DNS).
    pub fn with_resolver(
        settings: EgressSettings,
        resolver: Arc<dyn Resolver>,
    ) -> Result<Self, SettingsError> {
        settings.validate()?;
        let router = Router::new(&settings.overrides)?;
        super::install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .referer(false)
            .dns_resolver(GuardedResolver::new(
                resolver,
                settings.allow_private_addresses,
            ))
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SettingsError::Client(e.to_string()))?;
        Ok(Self {
            client,
            settings,
            router,
        })
    }

    /// Where a URL really goes once the operator's overrides apply: for URLs the gateway hands
    /// to a browser (authorize pages), which must follow the same routing as its own requests.
    pub fn route(&self, url: &url::Url) -> url::Url {
        self.router.apply(url)
    }

    /// The settings this egress enforces.
    pub fn settings(&self) -> &EgressSettings {
        &self.settings
    }

    /// Sends a plugin's request under the policy, attaching `credential` (when given) only
    /// on the original origin, and returns a response with the credential redacted.
    pub async fn send(
        &self,
        allow: &AllowList,
        req: OutboundRequest,
        credential: Option<&Credential>,
    ) -> Result<InboundResponse, EgressError> {
        let budget = self.settings.timeout_for(req.timeout);
        let prepared = self.prepare(allow, req, credential)?;
        let span = tracing::debug_span!(
            "egress",
            origin = %prepared.origin,
            path = prepared.hop.url.path()
        );
        let run = self.run(allow, prepared, credential).instrument(span);
        match tokio::time::timeout(budget, run).await {
            Ok(result) => result,
            Err(_) => Err(EgressError::Timeout),
        }
    }

    /// Rule 1 (allowlist), rule 4 (headers), the request body cap, the credential slot.
    fn prepare(
        &self,
        allow: &AllowList,
        req: OutboundRequest,
        credential: Option<&Credential>,
    ) -> Result<Prepared, EgressError> {
        let mut url = parse_request_url(&req.url)?;
        let origin = check_allowed(allow, &url)?;
        let mut headers = headers::from_plugin(
            &req.headers,
            self.settings.max_header_count,
            self.settings.max_header_bytes,
        )?;
        if let Some(body) = &req.body
            && body.len() > self.settings.max_request_body_bytes
        {
            return Err(EgressError::invalid(format!(
                "request body exceeds {} bytes",
                self.settings.max_request_body_bytes
            )));
        }
        let redactor = match credential {
            Some(c) => {
                c.check_placement()
                    .map_err(|e| EgressError::invalid(e.to_string()))?;
                clear_slot(c, &mut headers, &mut url);
                Some(Redactor::for_credential(c))
            }
            None => None,
        };
        let hop = Hop {
            url,
            method: req.method,
            headers,
            body: req.body,
            authenticated: credential.is_some(),
        };
        Ok(Prepared {
            hop,
            origin,
            redactor,
        })
    }

    /// The hop loop: send, follow redirects, then read and redact the final response.
    async fn run(
        &self,
        allow: &AllowList,
        prepared: Prepared,
        credential: Option<&Credential>,
    ) -> Result<InboundResponse, EgressError> {
        let Prepared {
            mut hop,
            origin,
            redactor,
        } = prepared;
        let mut redirects = 0;
        loop {
            let mut response = self.send_hop(allow, &hop, credential).await?;
            let status = response.status();
            if redirect::is_followed(status)
                && let Some(next) = redirect::target(response.headers(), &hop.url, &self.router)?
            {
                if redirects >= self.settings.max_redirects {
                    return Err(EgressError::denied(format!(
                        "more than {} redirects",
                        self.settings.max_redirects
                    )));
                }
                redirects += 1;
                drop(response);
                hop = hop.follow(next, status, &origin, credential, redactor.as_ref())?;
                continue;
            }
            response::check_headers(
                response.headers(),
                self.settings.max_header_count,
                self.settings.max_header_bytes,
            )?;
            if redactor.is_some() && is_encoded(response.headers()) {
                return Err(EgressError::Transport(
                    "the upstream sent a compressed response to an authenticated request; \
                     it cannot be checked for the credential"
                        .into(),
                ));
            }
            let body =
                response::read_body(&mut response, self.settings.max_response_body_bytes).await?;
            let body = match &redactor {
                Some(r) => r.redact(body),
                None => body,
            };
            return Ok(InboundResponse {
                status: status.as_u16(),
                headers: response::visible_headers(response.headers(), redactor.as_ref()),
                body,
            });
        }
    }

    /// Rules 1–3 for one hop (again, for redirects), injection, then the wire request.
    async fn send_hop(
        &self,
        allow: &AllowList,
        hop: &Hop,
        credential: Option<&Credential>,
    ) -> Result<reqwest::Response, EgressError> {
        check_allowed(allow, &hop.url)?;
        let mut wire = self.router.apply(&hop.url);
        self.check_literal_address(&wire)?;
        let mut headers = hop.headers.clone();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        if hop.authenticated
            && let Some(c) = credential
        {
            inject(c, &mut headers, &mut wire)?;
        }
        let mut request = reqwest::Request::new(hop.method.to_reqwest(), wire);
        *request.headers_mut() = headers;
        if let Some(body) = &hop.body {
            *request.body_mut() = Some(body.clone().into());
        }
        tracing::debug!(method = ?hop.method, authenticated = hop.authenticated, "egress: sending");
        self.client
            .execute(request)
            .await
            .map_err(|e| from_reqwest(&e))
    }

    /// Rule 3 for IP-literal hosts, which reqwest connects to without asking the resolver.
    fn check_literal_address(&self, wire: &Url) -> Result<(), EgressError> {
        if self.settings.allow_private_addresses {
            return Ok(());
        }
        let ip: Option<IpAddr> = match wire.host() {
            Some(Host::Ipv4(a)) => Some(a.into()),
            Some(Host::Ipv6(a)) => Some(a.into()),
            // The URL parser turns every numeric host form into an IP; this is a backstop.
            Some(Host::Domain(d)) => d.parse().ok(),
            None => None,
        };
        match ip.and_then(non_public) {
            Some(why) => Err(EgressError::denied(format!("the target is a {why}"))),
            None => Ok(()),
        }
    }
}

/// Rule 1: the URL's origin must be in the connector's allowlist.
fn check_allowed(allow: &AllowList, url: &Url) -> Result<Origin, EgressError> {
    let origin = Origin::of(url).ok_or_else(|| EgressError::invalid("URL has no origin"))?;
    if !allow.permits(&origin) {
        tracing::debug!(%origin, "egress: origin not in allowlist");
        return Err(EgressError::denied(format!(
            "{origin} is not in the connector's allowed hosts"
        )));
    }
    Ok(origin)
}

/// True when the body carries a content coding (gzip, br, ...) other than identity.
fn is_encoded(headers: &HeaderMap) -> bool {
    headers.get_all(CONTENT_ENCODING).iter().any(|v| {
        v.to_str().map_or(true, |v| {
            v.split(',')
                .map(str::trim)
                .any(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn egress_is_shareable_and_send_is_a_send_future() {
        fn assert_sync<T: Send + Sync>() {}
        assert_sync::<Egress>();
        let egress = Egress::new(EgressSettings::default()).unwrap();
        let allow = AllowList::default();
        let cred = Credential::Bearer("x".into());
        let fut = egress.send(&allow, OutboundRequest::get("https://a.test/"), Some(&cred));
        assert_send(&fut);
    }

    #[test]
    fn content_codings() {
        let mut h = HeaderMap::new();
        assert!(!is_encoded(&h));
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("identity"));
        assert!(!is_encoded(&h));
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("identity, br"));
        assert!(is_encoded(&h));
    }
}
