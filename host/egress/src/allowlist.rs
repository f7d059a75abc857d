//! The connector's `allowed-hosts`: parsed strictly at manifest load, matched per request.

use std::fmt;
use std::str::FromStr;

use url::{Host, Url};

use super::error::AllowListError;
use super::origin::{Origin, Scheme, check_domain, split_raw};

/// How an entry matches hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum HostMatch {
    /// Exactly this host (domain or IP literal).
    Exact(Host<String>),
    /// `*.suffix`: one or more labels before the suffix, never the suffix itself.
    Subdomains(String),
}

/// One `allowed-hosts` entry: `scheme://host[:port]` or `scheme://*.domain[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPattern {
    scheme: Scheme,
    host: HostMatch,
    port: u16,
}

impl HostPattern {
    /// True when a request to `origin` is covered by this entry.
    pub fn matches(&self, origin: &Origin) -> bool {
        if self.scheme != origin.scheme() || self.port != origin.port() {
            return false;
        }
        match (&self.host, origin.host()) {
            (HostMatch::Exact(h), host) => h == host,
            (HostMatch::Subdomains(suffix), Host::Domain(d)) => d
                .strip_suffix(suffix.as_str())
                .and_then(|prefix| prefix.strip_suffix('.'))
                .is_some_and(|labels| !labels.is_empty()),
            (HostMatch::Subdomains(_), _) => false,
        }
    }

    /// The single origin this entry names, or `None` for a wildcard (used for overrides).
    pub(super) fn exact_origin(&self) -> Option<Origin> {
        match &self.host {
            HostMatch::Exact(h) => Some(Origin::new(self.scheme, h.clone(), self.port)),
            HostMatch::Subdomains(_) => None,
        }
    }
}

impl FromStr for HostPattern {
    type Err = AllowListError;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        parse_entry(entry).map_err(|reason| AllowListError {
            entry: entry.to_owned(),
            reason,
        })
    }
}

fn parse_entry(entry: &str) -> Result<HostPattern, String> {
    let parts = split_raw(entry).map_err(|r| r.into_message())?;
    if !(parts.rest.is_empty() || parts.rest == "/") {
        return Err(
            "must be an origin only: scheme://host[:port], no path, query or fragment".into(),
        );
    }
    let (wildcard, host_port) = match parts.authority.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, parts.authority),
    };
    if host_port.contains('*') {
        return Err(
            "a wildcard must be the whole leftmost label, as in https://*.example.com".into(),
        );
    }
    let url = Url::parse(&format!("{}://{host_port}/", parts.scheme.as_str()))
        .map_err(|e| format!("invalid host: {e}"))?;
    let port = url.port().unwrap_or(parts.scheme.default_port());
    if port == 0 {
        return Err("port 0 is not allowed".into());
    }
    let host = match url.host() {
        None => return Err("missing host".into()),
        Some(Host::Domain(d)) => {
            check_domain(d)?;
            if wildcard && d.split('.').count() < 2 {
                return Err(
                    "a wildcard needs at least two labels after it (*.example.com, not *.com)"
                        .into(),
                );
            }
            if wildcard {
                HostMatch::Subdomains(d.to_owned())
            } else {
                HostMatch::Exact(Host::Domain(d.to_owned()))
            }
        }
        Some(ip @ (Host::Ipv4(_) | Host::Ipv6(_))) => {
            if wildcard {
                return Err("a wildcard cannot apply to an IP address".into());
            }
            HostMatch::Exact(ip.to_owned())
        }
    };
    Ok(HostPattern {
        scheme: parts.scheme,
        host,
        port,
    })
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        match &self.host {
            HostMatch::Exact(h) => write!(f, "{h}")?,
            HostMatch::Subdomains(s) => write!(f, "*.{s}")?,
        }
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// Every origin a connector may reach; an empty list reaches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<HostPattern>,
}

impl AllowList {
    /// Parses a manifest's `allowed-hosts`; the first bad entry fails the whole list.
    pub fn parse<I, S>(entries: I) -> Result<Self, AllowListError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let entries = entries
            .into_iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<Vec<HostPattern>, _>>()?;
        Ok(Self { entries })
    }

    /// True when some entry covers `origin`.
    pub fn permits(&self, origin: &Origin) -> bool {
        self.entries.iter().any(|p| p.matches(origin))
    }

    /// The parsed entries, in manifest order.
    pub fn entries(&self) -> &[HostPattern] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::super::origin::parse_request_url;
    use super::*;

    fn origin(raw: &str) -> Origin {
        Origin::of(&parse_request_url(raw).unwrap()).unwrap()
    }

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(entries).unwrap()
    }

    #[test]
    fn exact_entries_match_scheme_host_and_port() {
        let allow = list(&["https://api.notion.com"]);
        assert!(allow.permits(&origin("https://api.notion.com/v1/users")));
        assert!(allow.permits(&origin("https://API.NOTION.COM:443/")));
        assert!(!allow.permits(&origin("http://api.notion.com/")));
        assert!(!allow.permits(&origin("https://api.notion.com:8443/")));
        assert!(!allow.permits(&origin("https://notion.com/")));
        assert!(!allow.permits(&origin("https://x.api.notion.com/")));
        assert!(!allow.permits(&origin("https://api.notion.com.evil.com/")));
    }

    #[test]
    fn explicit_ports_and_http_only_when_listed() {
        let allow = list(&["https://api.notion.com:8443", "http://legacy.example.com"]);
        assert!(allow.permits(&origin("https://api.notion.com:8443/")));
        assert!(!allow.permits(&origin("https://api.notion.com/")));
        assert!(allow.permits(&origin("http://legacy.example.com/")));
        assert!(!allow.permits(&origin("https://legacy.example.com/")));
    }

    #[test]
    fn wildcards_need_at_least_one_label() {
        let allow = list(&["https://*.atlassian.net"]);
        assert!(allow.permits(&origin("https://acme.atlassian.net/rest")));
        assert!(allow.permits(&origin("https://a.b.atlassian.net/")));
        assert!(!allow.permits(&origin("https://atlassian.net/")));
        assert!(!allow.permits(&origin("https://evilatlassian.net/")));
        assert!(!allow.permits(&origin("https://acme.atlassian.net.evil.com/")));
        assert!(!allow.permits(&origin("http://acme.atlassian.net/")));
    }

    #[test]
    fn idna_and_case_are_normalised_on_both_sides() {
        let allow = list(&["https://BÜCHER.de"]);
        assert!(allow.permits(&origin("https://xn--bcher-kva.de/")));
        assert!(allow.permits(&origin("https://bücher.DE/")));
    }

    #[test]
    fn ip_literal_entries_match_exactly() {
        let allow = list(&["http://127.0.0.1:4100", "http://[::1]:4100"]);
        assert!(allow.permits(&origin("http://127.0.0.1:4100/")));
        assert!(allow.permits(&origin("http://2130706433:4100/")));
        assert!(allow.permits(&origin("http://[0:0::1]:4100/")));
        assert!(!allow.permits(&origin("http://127.0.0.2:4100/")));
    }

    #[test]
    fn junk_entries_are_rejected_with_a_reason() {
        for entry in [
            "",
            "api.notion.com",
            "https://api.notion.com/v1",
            "https://api.notion.com?x=1",
            "https://api.notion.com#x",
            "https://user@api.notion.com",
            "https://user:pw@api.notion.com",
            "https://a..b.com",
            "https://.a.com",
            "https://api.notion.com.",
            "https://*",
            "https://*.",
            "*",
            "https://*.com",
            "https://*.1.2.3.4",
            "https://*.[::1]",
            "https://a.*.com",
            "https://*a.com",
            "https://**.a.com",
            "ftp://a.com",
            "file:///etc",
            "wss://a.com",
            "https://a.com:0",
            "https://a.com:99999",
            " https://a.com",
            "https://a b.com",
            "https://a.com\\",
        ] {
            let err = AllowList::parse([entry]).unwrap_err();
            assert_eq!(err.entry, entry);
            assert!(!err.reason.is_empty(), "{entry}");
        }
    }

    #[test]
    fn display_round_trips() {
        for entry in [
            "https://api.notion.com",
            "https://*.atlassian.net",
            "https://api.notion.com:8443",
            "http://[::1]:4100",
        ] {
            let p: HostPattern = entry.parse().unwrap();
            assert_eq!(p.to_string(), entry);
        }
        let p: HostPattern = "HTTPS://Api.Notion.com:443/".parse().unwrap();
        assert_eq!(p.to_string(), "https://api.notion.com");
    }

    #[test]
    fn empty_list_permits_nothing() {
        assert!(!AllowList::default().permits(&origin("https://a.com/")));
    }
}
