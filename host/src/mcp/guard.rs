//! DNS-rebinding defence for `/mcp`: the `Host` must name this gateway (its public URL, a
//! loopback name, or an operator-listed host) and a browser's `Origin`, when sent, must be the
//! public origin, a loopback origin, or an operator-listed one. Anything else is refused
//! before authentication.

/// A host name (lower-case, IPv6 without brackets) and an optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    host: String,
    port: Option<u16>,
}

/// A browser origin: scheme, host, port (the scheme's default when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// Which `Host` and `Origin` values `/mcp` accepts.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    public: Option<Origin>,
    hosts: Vec<Authority>,
    origins: Vec<Origin>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("the Host header is missing or malformed")]
    BadHost,
    #[error("this gateway does not answer to that Host")]
    ForeignHost,
    #[error("requests from that Origin are not allowed")]
    ForeignOrigin,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `name`, `name:port`, `[v6]`, `[v6]:port` → authority.
fn parse_authority(text: &str) -> Option<Authority> {
    let text = text.trim();
    if text.is_empty() || text.contains(['/', '@', ' ']) {
        return None;
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        (host, port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p.parse().ok()?)),
            Some(_) => return None,
            None => (text, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some(Authority {
        host: host.to_ascii_lowercase(),
        port,
    })
}

fn parse_origin(text: &str) -> Option<Origin> {
    let url = url::Url::parse(text.trim()).ok()?;
    let scheme = url.scheme().to_string();
    let port = url.port().or_else(|| default_port(&scheme))?;
    let host = match url.host()? {
        url::Host::Domain(d) => d.to_ascii_lowercase(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    if url.path() != "/" && !url.path().is_empty() {
        return None;
    }
    Some(Origin { scheme, host, port })
}

impl OriginPolicy {
    /// The policy for a gateway reachable at `public_base`, plus the operator's extra hosts
    /// and origins (entries that do not parse are ignored, with a warning).
    pub fn new(public_base: &str, extra_hosts: &[String], extra_origins: &[String]) -> Self {
        let public = parse_origin(public_base);
        let mut hosts = Vec::new();
        if let Some(p) = &public {
            hosts.push(Authority {
                host: p.host.clone(),
                port: Some(p.port),
            });
        }
        for h in extra_hosts {
            match parse_authority(h) {
                Some(a) => hosts.push(a),
                None => {
                    tracing::warn!(host = %h, "ignoring an unparsable [mcp] allowed_hosts entry")
                }
            }
        }
        let mut origins = Vec::new();
        for o in extra_origins {
            match parse_origin(o) {
                Some(parsed) => origins.push(parsed),
                None => {
                    tracing::warn!(origin = %o, "ignoring an unparsable [mcp] allowed_origins entry")
                }
            }
        }
        OriginPolicy {
            public,
            hosts,
            origins,
        }
    }

    /// Check a request's `Host` and `Origin` header values.
    pub fn check(&self, host: Option<&str>, origin: Option<&str>) -> Result<(), GuardError> {
        let host = parse_authority(host.ok_or(GuardError::BadHost)?).ok_or(GuardError::BadHost)?;
        if !self.host_allowed(&host) {
            return Err(GuardError::ForeignHost);
        }
        if let Some(origin) = origin
            && !self.origin_allowed(origin)
        {
            return Err(GuardError::ForeignOrigin);
        }
        Ok(())
    }

    fn host_allowed(&self, host: &Authority) -> bool {
        if is_loopback(&host.host) {
            return true;
        }
        self.hosts.iter().any(|allowed| {
            allowed.host == host.host
                && match (allowed.port, host.port) {
                    // A listed name without a port accepts any port.
                    (None, _) => true,
                    (Some(want), Some(got)) => want == got,
                    // No port in Host: the default port of the public scheme.
                    (Some(want), None) => self
                        .public
                        .as_ref()
                        .and_then(|p| default_port(&p.scheme))
                        .is_some_and(|d| d == want),
                }
        })
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        let Some(origin) = parse_origin(origin) else {
            // Includes the opaque `null` origin of sandboxed frames and file pages.
            return false;
        };
        if is_loopback(&origin.host) {
            return true;
        }
        self.public.as_ref() == Some(&origin) || self.origins.contains(&origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OriginPolicy {
        OriginPolicy::new(
            "https://gw.example.com",
            &["internal.lan:8080".into(), "other.lan".into()],
            &["https://console.example.com".into()],
        )
    }

    #[test]
    fn the_public_host_and_loopback_names_are_accepted() {
        let p = policy();
        for host in [
            "gw.example.com",
            "gw.example.com:443",
            "GW.example.com",
            "127.0.0.1:9999",
            "localhost:3000",
            "[::1]:8080",
            "internal.lan:8080",
            "other.lan:1234",
        ] {
            assert_eq!(p.check(Some(host), None), Ok(()), "{host}");
        }
    }

    #[test]
    fn a_rebinding_host_is_refused() {
        let p = policy();
        for host in [
            "evil.example",
            "evil.example:443",
            "gw.example.com:8443",
            "internal.lan:9090",
            "gw.example.com.evil.example",
        ] {
            assert_eq!(
                p.check(Some(host), None),
                Err(GuardError::ForeignHost),
                "{host}"
            );
        }
        for host in ["", "a b", "user@gw.example.com", "[::1", "h:port"] {
            assert_eq!(
                p.check(Some(host), None),
                Err(GuardError::BadHost),
                "{host}"
            );
        }
        assert_eq!(p.check(None, None), Err(GuardError::BadHost));
    }

    #[test]
    fn only_the_public_loopback_and_listed_origins_are_accepted() {
        let p = policy();
        for origin in [
            "https://gw.example.com",
            "https://gw.example.com:443",
            "http://localhost:5173",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "https://console.example.com",
        ] {
            assert_eq!(
                p.check(Some("gw.example.com"), Some(origin)),
                Ok(()),
                "{origin}"
            );
        }
        for origin in [
            "https://evil.example",
            "http://gw.example.com",
            "https://gw.example.com:8443",
            "null",
            "file://",
            "https://console.example.com:444",
            "not a url",
        ] {
            assert_eq!(
                p.check(Some("gw.example.com"), Some(origin)),
                Err(GuardError::ForeignOrigin),
                "{origin}"
            );
        }
    }

    #[test]
    fn a_loopback_gateway_accepts_its_own_address() {
        let p = OriginPolicy::new("http://127.0.0.1:4100", &[], &[]);
        assert_eq!(
            p.check(Some("127.0.0.1:4100"), Some("http://127.0.0.1:4100")),
            Ok(())
        );
        assert_eq!(
            p.check(Some("127.0.0.1:4100"), Some("http://attacker.test:4100")),
            Err(GuardError::ForeignOrigin)
        );
        assert_eq!(
            p.check(Some("attacker.test:4100"), None),
            Err(GuardError::ForeignHost)
        );
    }
}
