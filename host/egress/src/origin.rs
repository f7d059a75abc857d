//! Strict parsing of the absolute http(s) URLs plugins hand us, and the origin they name.
//!
//! The `url` crate implements the WHATWG parser, which is lenient on purpose (it strips
//! tabs and newlines, treats `\` as `/`, drops an empty userinfo). We refuse those inputs
//! before parsing so that what we check is exactly what we send.

use std::fmt;

use url::{Host, Url};

use super::error::EgressError;

/// Longest URL a plugin may send.
pub(super) const MAX_URL_BYTES: usize = 8 * 1024;

/// The two schemes egress speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Plain HTTP: only reachable when an allowlist entry says `http://`.
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    /// Parses a scheme ASCII-case-insensitively; `None` for anything but http(s).
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("https") {
            Some(Self::Https)
        } else if s.eq_ignore_ascii_case("http") {
            Some(Self::Http)
        } else {
            None
        }
    }

    /// The lower-case scheme name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The port used when a URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

/// Scheme, host and port: what the allowlist, overrides and redirect rules compare.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: Scheme,
    host: Host<String>,
    port: u16,
}

impl Origin {
    /// Builds an origin from parts already validated by this module.
    pub(super) fn new(scheme: Scheme, host: Host<String>, port: u16) -> Self {
        Self { scheme, host, port }
    }

    /// The origin of a URL that went through [`parse_request_url`]; `None` otherwise.
    pub fn of(url: &Url) -> Option<Self> {
        let scheme = Scheme::parse(url.scheme())?;
        let host = url.host()?.to_owned();
        let port = url.port().unwrap_or(scheme.default_port());
        Some(Self { scheme, host, port })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, normalised by the URL parser (lower-case, punycode, canonical IP).
    pub fn host(&self) -> &Host<String> {
        &self.host
    }

    /// The port, with the scheme's default filled in.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The origin as a URL with path `/`, used as the base of rerouted requests.
    pub(super) fn to_url(&self) -> Option<Url> {
        Url::parse(&format!("{self}/")).ok()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// The pieces of `scheme://authority<rest>` found by a plain split, before `url` parses it.
pub(super) struct RawParts<'a> {
    pub scheme: Scheme,
    pub authority: &'a str,
    pub rest: &'a str,
}

/// Why a raw URL string was refused, before deciding which error variant it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Malformed input.
    Invalid(String),
    /// Well-formed but against policy (scheme, userinfo).
    Denied(String),
}

impl From<Refusal> for EgressError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(m) => EgressError::InvalidRequest(m),
            Refusal::Denied(m) => EgressError::Denied(m),
        }
    }
}

impl Refusal {
    /// The message, whichever kind of refusal it is.
    pub(super) fn into_message(self) -> String {
        match self {
            Self::Invalid(m) | Self::Denied(m) => m,
        }
    }
}

/// Splits `scheme://authority...` by hand and refuses what the WHATWG parser would
/// silently repair: whitespace, control characters, backslashes, userinfo, odd schemes.
pub(super) fn split_raw(raw: &str) -> Result<RawParts<'_>, Refusal> {
    if raw.len() > MAX_URL_BYTES {
        return Err(Refusal::Invalid(format!(
            "URL is longer than {MAX_URL_BYTES} bytes"
        )));
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Refusal::Invalid(
            "URL contains whitespace or control characters".into(),
        ));
    }
    if raw.contains('\\') {
        return Err(Refusal::Invalid("URL contains a backslash".into()));
    }
    let Some((scheme, after)) = raw.split_once("://") else {
        return Err(Refusal::Invalid(
            "URL must be absolute: http(s)://host/...".into(),
        ));
    };
    let Some(scheme) = Scheme::parse(scheme) else {
        return Err(Refusal::Denied(
            "only http and https URLs are allowed".into(),
        ));
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.contains('@') {
        return Err(Refusal::Denied(
            "URL must not contain userinfo (user@host)".into(),
        ));
    }
    if authority.is_empty() {
        return Err(Refusal::Invalid("URL has no host".into()));
    }
    Ok(RawParts {
        scheme,
        authority,
        rest,
    })
}

/// Checks a domain the way DNS sees it: no empty label (so no trailing dot), label and
/// name lengths within RFC 1035.
pub(super) fn check_domain(domain: &str) -> Result<(), String> {
    if domain.len() > 253 {
        return Err("host name is longer than 253 characters".into());
    }
    if domain.ends_with('.') {
        return Err("host name must not end with a dot".into());
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err("host name has an empty label".into());
        }
        if label.len() > 63 {
            return Err("host name has a label longer than 63 characters".into());
        }
    }
    Ok(())
}

/// Checks the parsed URL's host and port; shared by request URLs and redirect targets.
fn check_parsed(url: &Url) -> Result<(), Refusal> {
    if Scheme::parse(url.scheme()).is_none() {
        return Err(Refusal::Denied(
            "only http and https URLs are allowed".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Denied(
            "URL must not contain userinfo (user@host)".into(),
        ));
    }
    match url.host() {
        None => return Err(Refusal::Invalid("URL has no host".into())),
        Some(Host::Domain(d)) => check_domain(d).map_err(Refusal::Invalid)?,
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => {}
    }
    if url.port() == Some(0) {
        return Err(Refusal::Invalid("port 0 is not allowed".into()));
    }
    Ok(())
}

/// Parses a plugin-supplied absolute URL strictly. The fragment is dropped (it is never
/// sent); everything else is kept exactly as the parser normalised it.
pub(super) fn parse_request_url(raw: &str) -> Result<Url, Refusal> {
    split_raw(raw)?;
    let mut url = Url::parse(raw).map_err(|e| Refusal::Invalid(format!("invalid URL: {e}")))?;
    check_parsed(&url)?;
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(raw: &str) -> String {
        parse_request_url(raw)
            .unwrap()
            .host_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn userinfo_is_denied_in_every_spelling() {
        for raw in [
            "https://allowed@evil.com/",
            "https://user:pw@api.notion.com/",
            "https://@api.notion.com/",
            "https://:@api.notion.com/",
        ] {
            assert!(
                matches!(parse_request_url(raw), Err(Refusal::Denied(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn fragment_tricks_name_the_real_host() {
        // `evil#@allowed`: the host is `evil`; the fragment is dropped.
        let url = parse_request_url("https://evil.com#@api.notion.com").unwrap();
        assert_eq!(url.host_str(), Some("evil.com"));
        assert_eq!(url.fragment(), None);
    }

    #[test]
    fn lenient_parser_inputs_are_refused() {
        for raw in [
            "https://api.notion.com\\@evil.com/",
            "https://api.no\ntion.com/",
            "https://api.notion.com/\t",
            " https://api.notion.com/",
            "https:api.notion.com",
            "https:/api.notion.com",
            "//api.notion.com/",
            "https://",
            "https:///x",
            "https://a..b.com/",
            "https://.a.com/",
            "https://api.notion.com./",
            "https://a.com:0/",
        ] {
            assert!(
                matches!(parse_request_url(raw), Err(Refusal::Invalid(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn non_http_schemes_are_denied() {
        for raw in [
            "ftp://a.com/",
            "file:///etc/passwd",
            "gopher://a.com/",
            "ws://a.com/",
        ] {
            assert!(
                matches!(parse_request_url(raw), Err(Refusal::Denied(_))),
                "{raw}"
            );
        }
        assert!(parse_request_url("data:text/plain,hi").is_err());
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(host_of("HTTPS://API.Notion.COM/x"), "api.notion.com");
        assert_eq!(host_of("https://bücher.de/"), "xn--bcher-kva.de");
        assert_eq!(host_of("http://2130706433/"), "127.0.0.1");
        assert_eq!(host_of("http://0x7f.1/"), "127.0.0.1");
        assert_eq!(host_of("http://017700000001/"), "127.0.0.1");
        assert_eq!(host_of("http://127.1/"), "127.0.0.1");
        assert_eq!(host_of("http://0/"), "0.0.0.0");
        assert_eq!(host_of("http://[::ffff:127.0.0.1]/"), "[::ffff:7f00:1]");
    }

    #[test]
    fn origin_fills_default_ports_and_displays_compactly() {
        let a = Origin::of(&parse_request_url("https://a.com/x").unwrap()).unwrap();
        let b = Origin::of(&parse_request_url("https://a.com:443/y").unwrap()).unwrap();
        let c = Origin::of(&parse_request_url("http://a.com:443/").unwrap()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.port(), 443);
        assert_eq!(a.to_string(), "https://a.com");
        assert_eq!(c.to_string(), "http://a.com:443");
    }

    #[test]
    fn overlong_urls_are_refused() {
        let raw = format!("https://a.com/{}", "x".repeat(MAX_URL_BYTES));
        assert!(matches!(parse_request_url(&raw), Err(Refusal::Invalid(_))));
    }
}
