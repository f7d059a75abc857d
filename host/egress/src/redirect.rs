//! Redirect handling: which statuses we follow, how the method changes, and where the
//! `Location` points (as a logical URL, before any override).

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use url::Url;

use super::error::EgressError;
use super::message::Method;
use super::origin::{Refusal, parse_request_url, split_raw};
use super::reroute::Router;

/// 301, 302, 303, 307 and 308; other 3xx are returned to the plugin as they are.
pub(super) fn is_followed(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The method of the next hop and whether the body is kept (Fetch standard rules:
/// 303 turns anything but HEAD into a body-less GET; 301/302 do so for POST).
pub(super) fn next_method(status: StatusCode, method: Method) -> (Method, bool) {
    match (status.as_u16(), method) {
        (303, Method::Head) => (Method::Head, false),
        (303, _) | (301 | 302, Method::Post) => (Method::Get, false),
        _ => (method, true),
    }
}

/// The next hop's logical URL, or `None` when the response has no `Location` (it is
/// then returned as it is). Relative targets resolve against the logical URL of the hop,
/// as they would against the real upstream; absolute targets under an override's base
/// are mapped back to the origin that override stands for.
pub(super) fn target(
    headers: &HeaderMap,
    logical: &Url,
    router: &Router,
) -> Result<Option<Url>, EgressError> {
    let Some(value) = headers.get(LOCATION) else {
        return Ok(None);
    };
    let bad = |m: &str| EgressError::denied(format!("redirect refused: {m}"));
    let raw = value.to_str().map_err(|_| bad("Location is not ASCII"))?;
    let absolute = split_raw(raw).is_ok();
    let joined = if absolute {
        Url::parse(raw).map_err(|_| bad("Location is not a valid URL"))?
    } else {
        if raw.contains('\\') || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("Location contains forbidden characters"));
        }
        logical
            .join(raw)
            .map_err(|_| bad("Location is not a valid URL"))?
    };
    let joined = if absolute {
        router.reverse(&joined).unwrap_or(joined)
    } else {
        joined
    };
    // Re-run the strict parser on the result: userinfo, schemes, dots, ports.
    let next = parse_request_url(joined.as_str()).map_err(|r| match r {
        Refusal::Invalid(m) | Refusal::Denied(m) => bad(&m),
    })?;
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use reqwest::header::HeaderValue;

    use super::*;

    fn loc(value: &str, from: &str, router: &Router) -> Result<Option<Url>, EgressError> {
        let mut h = HeaderMap::new();
        h.insert(LOCATION, HeaderValue::from_str(value).unwrap());
        target(&h, &Url::parse(from).unwrap(), router)
    }

    #[test]
    fn methods_change_like_fetch() {
        let s = |c| StatusCode::from_u16(c).unwrap();
        assert_eq!(next_method(s(303), Method::Post), (Method::Get, false));
        assert_eq!(next_method(s(303), Method::Put), (Method::Get, false));
        assert_eq!(next_method(s(303), Method::Head), (Method::Head, false));
        assert_eq!(next_method(s(302), Method::Post), (Method::Get, false));
        assert_eq!(next_method(s(301), Method::Put), (Method::Put, true));
        assert_eq!(next_method(s(307), Method::Post), (Method::Post, true));
        assert_eq!(next_method(s(308), Method::Patch), (Method::Patch, true));
        assert!(is_followed(s(308)) && !is_followed(s(300)) && !is_followed(s(304)));
    }

    #[test]
    fn relative_and_absolute_targets() {
        let r = Router::default();
        let from = "https://api.a.com/v1/x?q=1";
        assert_eq!(
            loc("/v2/y", from, &r).unwrap().unwrap().as_str(),
            "https://api.a.com/v2/y"
        );
        assert_eq!(
            loc("z?p=2#frag", from, &r).unwrap().unwrap().as_str(),
            "https://api.a.com/v1/z?p=2"
        );
        assert_eq!(
            loc("//b.com/p", from, &r).unwrap().unwrap().as_str(),
            "https://b.com/p"
        );
        assert_eq!(
            loc("HTTP://B.com/p", from, &r).unwrap().unwrap().as_str(),
            "http://b.com/p"
        );
        let h = HeaderMap::new();
        assert!(
            target(&h, &Url::parse(from).unwrap(), &r)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn tricky_targets_are_denied() {
        let r = Router::default();
        let from = "https://api.a.com/v1/x";
        for value in [
            "https://api.a.com@evil.com/",
            "//user@api.a.com/",
            "https://evil.com\\@api.a.com/",
            "/\\evil.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://api.a.com./",
            "https://a..com/",
        ] {
            let err = loc(value, from, &r).unwrap_err();
            assert!(matches!(err, EgressError::Denied(_)), "{value}: {err:?}");
        }
    }

    #[test]
    fn override_targets_map_back() {
        let mut o = BTreeMap::new();
        o.insert(
            "https://api.a.com".to_string(),
            "http://127.0.0.1:4100/a".to_string(),
        );
        let r = Router::new(&o).unwrap();
        assert_eq!(
            loc(
                "http://127.0.0.1:4100/a/next?x=1",
                "https://api.a.com/v1",
                &r
            )
            .unwrap()
            .unwrap()
            .as_str(),
            "https://api.a.com/next?x=1"
        );
    }
}
