//! One hop of an exchange, and how a redirect turns it into the next one.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderMap, PROXY_AUTHORIZATION};
use url::Url;

use super::credential::Credential;
use super::error::EgressError;
use super::inject::clear_slot;
use super::message::Method;
use super::origin::Origin;
use super::redact::Redactor;
use super::redirect;

/// Headers that describe a body; dropped when a redirect turns the request into a GET.
const BODY_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// The logical request of one hop: before override and credential injection.
pub(super) struct Hop {
    pub url: Url,
    pub method: Method,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    /// Still on the original origin, so the credential is attached.
    pub authenticated: bool,
}

impl Hop {
    /// The next hop after a redirect to `next`: strips what must not cross origins and
    /// changes the method. `origin` is the original request's origin.
    pub(super) fn follow(
        mut self,
        mut next: Url,
        status: StatusCode,
        origin: &Origin,
        credential: Option<&Credential>,
        redactor: Option<&Redactor>,
    ) -> Result<Hop, EgressError> {
        let same_origin = Origin::of(&next).as_ref() == Some(origin);
        if !same_origin {
            // Sticky: once the chain has left the origin, no credential for the rest of it.
            self.authenticated = false;
            for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                self.headers.remove(name);
            }
        }
        if let Some(c) = credential {
            // The Location is upstream-controlled: it may not fill the credential slot.
            clear_slot(c, &mut self.headers, &mut next);
        }
        if !self.authenticated
            && let Some(r) = redactor
            && r.reveals(next.as_str().as_bytes())
        {
            return Err(EgressError::denied(
                "redirect would carry the credential to another origin",
            ));
        }
        let (method, keep_body) = redirect::next_method(status, self.method);
        if !keep_body {
            self.body = None;
            for name in BODY_HEADERS {
                self.headers.remove(*name);
            }
        }
        tracing::debug!(%status, same_origin, "egress: following redirect");
        Ok(Hop {
            url: next,
            method,
            ..self
        })
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn hop(url: &str) -> Hop {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer own"));
        headers.insert(COOKIE, HeaderValue::from_static("a=1"));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        headers.insert("x-keep", HeaderValue::from_static("1"));
        Hop {
            url: Url::parse(url).unwrap(),
            method: Method::Post,
            headers,
            body: Some(b"x".to_vec()),
            authenticated: true,
        }
    }

    fn origin(url: &str) -> Origin {
        Origin::of(&Url::parse(url).unwrap()).unwrap()
    }

    #[test]
    fn cross_origin_strips_credentials_for_good() {
        let o = origin("https://a.test/");
        let next = Url::parse("https://b.test/x").unwrap();
        let h = hop("https://a.test/").follow(next, StatusCode::TEMPORARY_REDIRECT, &o, None, None);
        let h = h.unwrap();
        assert!(!h.authenticated);
        assert!(!h.headers.contains_key(AUTHORIZATION) && !h.headers.contains_key(COOKIE));
        assert_eq!(h.headers["x-keep"], "1");
        assert_eq!(
            (h.method, h.body.as_deref()),
            (Method::Post, Some(&b"x"[..]))
        );
        // Coming back does not restore it.
        let back = Url::parse("https://a.test/y").unwrap();
        let h = h.follow(back, StatusCode::FOUND, &o, None, None).unwrap();
        assert!(!h.authenticated);
    }

    #[test]
    fn same_origin_keeps_the_credential_and_303_drops_the_body() {
        let o = origin("https://a.test/");
        let next = Url::parse("https://a.test/x").unwrap();
        let h = hop("https://a.test/").follow(next, StatusCode::SEE_OTHER, &o, None, None);
        let h = h.unwrap();
        assert!(h.authenticated);
        assert!(h.headers.contains_key(AUTHORIZATION));
        assert_eq!((h.method, h.body), (Method::Get, None));
        assert!(!h.headers.contains_key("content-type"));
    }

    #[test]
    fn a_secret_in_a_cross_origin_location_is_refused() {
        let cred = Credential::Bearer("tok-abc-123".into());
        let r = Redactor::for_credential(&cred);
        let o = origin("https://a.test/");
        let follow = |to: &str| {
            hop("https://a.test/").follow(
                Url::parse(to).unwrap(),
                StatusCode::FOUND,
                &o,
                Some(&cred),
                Some(&r),
            )
        };
        assert!(matches!(
            follow("https://b.test/cb?code=tok-abc-123"),
            Err(EgressError::Denied(_))
        ));
        assert!(follow("https://a.test/cb?code=tok-abc-123").is_ok());
        assert!(follow("https://b.test/cb?code=other").is_ok());
    }
}
