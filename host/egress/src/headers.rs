//! Turning plugin-supplied header pairs into a `HeaderMap`, refusing anything that could
//! smuggle a second request, steer the connection, or impersonate the host.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::error::EgressError;

/// Headers only the host (or the HTTP stack) may set: hop-by-hop, framing, routing.
const FORBIDDEN: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "http2-settings",
    // The host asks for `identity`: redaction cannot see inside a compressed body.
    "accept-encoding",
];

/// True for headers a plugin may never set itself (`Proxy-*` included).
pub(super) fn is_forbidden(name: &HeaderName) -> bool {
    let n = name.as_str();
    FORBIDDEN.contains(&n) || n.starts_with("proxy-")
}

/// A header name shortened and escaped for an error message.
pub(super) fn shown(name: &str) -> String {
    let short: String = name.chars().take(64).collect();
    format!("{short:?}")
}

/// Validates one header name (token, no CR/LF/NUL).
pub(super) fn parse_name(name: &str) -> Result<HeaderName, EgressError> {
    if name.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(EgressError::invalid(format!(
            "header name {} contains CR, LF or NUL",
            shown(name)
        )));
    }
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| EgressError::invalid(format!("invalid header name {}", shown(name))))
}

/// Validates one header value (no CR/LF/NUL or other control characters).
pub(super) fn parse_value(name: &HeaderName, value: &str) -> Result<HeaderValue, EgressError> {
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(EgressError::invalid(format!(
            "value of header {} contains CR, LF or NUL",
            shown(name.as_str())
        )));
    }
    HeaderValue::from_str(value).map_err(|_| {
        EgressError::invalid(format!(
            "value of header {} contains invalid characters",
            shown(name.as_str())
        ))
    })
}

/// Builds the request headers from the plugin's pairs, within the count and size caps.
pub(super) fn from_plugin(
    pairs: &[(String, String)],
    max_count: usize,
    max_bytes: usize,
) -> Result<HeaderMap, EgressError> {
    if pairs.len() > max_count {
        return Err(EgressError::invalid(format!(
            "more than {max_count} request headers"
        )));
    }
    let total: usize = pairs.iter().map(|(n, v)| n.len() + v.len()).sum();
    if total > max_bytes {
        return Err(EgressError::invalid(format!(
            "request headers exceed {max_bytes} bytes"
        )));
    }
    let mut map = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        let name = parse_name(name)?;
        if is_forbidden(&name) {
            return Err(EgressError::invalid(format!(
                "header {} is set by the host, not the plugin",
                shown(name.as_str())
            )));
        }
        let value = parse_value(&name, value)?;
        map.append(name, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn build(p: &[(&str, &str)]) -> Result<HeaderMap, EgressError> {
        from_plugin(&pairs(p), 100, 64 * 1024)
    }

    #[test]
    fn ordinary_headers_pass_and_repeat() {
        let map = build(&[
            ("Accept", "application/json"),
            ("X-Trace", "a"),
            ("x-trace", "b"),
            ("Notion-Version", "2022-06-28"),
            ("Authorization", "Bearer plugin-own"),
        ])
        .unwrap();
        assert_eq!(map.get_all("x-trace").iter().count(), 2);
        assert_eq!(map["notion-version"], "2022-06-28");
    }

    #[test]
    fn crlf_and_nul_are_refused_in_names_and_values() {
        for (n, v) in [
            ("X-A\r\nHost", "x"),
            ("X-A\n", "x"),
            ("X-A\0", "x"),
            ("X-A", "x\r\nHost: evil.com"),
            ("X-A", "x\ny"),
            ("X-A", "x\0y"),
            ("X-A", "x\u{7f}"),
            ("X A", "x"),
            (":authority", "evil.com"),
            ("", "x"),
            ("X-Ä", "x"),
        ] {
            let err = build(&[(n, v)]).unwrap_err();
            assert!(
                matches!(err, EgressError::InvalidRequest(_)),
                "{n:?}: {err}"
            );
        }
    }

    #[test]
    fn hop_by_hop_and_framing_headers_are_refused() {
        for n in [
            "Host",
            "Content-Length",
            "Transfer-Encoding",
            "Connection",
            "Keep-Alive",
            "Upgrade",
            "TE",
            "Trailer",
            "Expect",
            "Proxy-Authorization",
            "Proxy-Connection",
            "proxy-anything",
            "Accept-Encoding",
        ] {
            let err = build(&[(n, "x")]).unwrap_err();
            assert!(matches!(err, EgressError::InvalidRequest(_)), "{n}");
        }
    }

    #[test]
    fn caps_apply() {
        let many: Vec<(String, String)> = (0..5).map(|i| (format!("x-{i}"), "v".into())).collect();
        assert!(from_plugin(&many, 4, 1024).is_err());
        assert!(from_plugin(&many, 5, 1024).is_ok());
        assert!(from_plugin(&pairs(&[("x", &"v".repeat(100))]), 5, 50).is_err());
    }
}
