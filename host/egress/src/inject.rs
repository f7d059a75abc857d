//! Placing the credential into a request, and clearing its slot of anything the plugin
//! (or a redirect's `Location`) put there.
//!
//! Decision: a plugin value in the credential's slot is removed, not refused. The host
//! owns that slot; removing keeps SDK defaults (a stray `Authorization`) from failing
//! calls, and the injected value always wins.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use url::Url;

use super::credential::Credential;
use super::error::EgressError;

/// Removes every query parameter named `name` (ASCII case-insensitive), keeping the rest
/// of the query byte-for-byte.
pub(super) fn remove_query_param(url: &mut Url, name: &str) {
    let Some(query) = url.query() else {
        return;
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|segment| {
            let key = url::form_urlencoded::parse(segment.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            !key.eq_ignore_ascii_case(name)
        })
        .collect();
    if kept.len() == query.split('&').count() {
        return;
    }
    let kept = kept.join("&");
    url.set_query((!kept.is_empty()).then_some(kept.as_str()));
}

/// Clears the credential's slot: its header (and any `Authorization` for Authorization
/// placements), and its query parameter.
pub(super) fn clear_slot(credential: &Credential, headers: &mut HeaderMap, url: &mut Url) {
    if let Some(name) = credential.header_name()
        && headers.remove(&name).is_some()
    {
        tracing::debug!(header = %name, "egress: plugin value in the credential header removed");
    }
    if let Some(name) = credential.query_name() {
        remove_query_param(url, name);
    }
}

fn sensitive(value: String) -> Result<HeaderValue, EgressError> {
    let mut v = HeaderValue::try_from(value)
        .map_err(|_| EgressError::invalid("the stored credential cannot be sent in a header"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Adds the credential to a request that is about to go on the wire.
pub(super) fn inject(
    credential: &Credential,
    headers: &mut HeaderMap,
    url: &mut Url,
) -> Result<(), EgressError> {
    match credential {
        Credential::Bearer(secret) => {
            let v = sensitive(format!("Bearer {}", secret.expose_secret()))?;
            headers.insert(AUTHORIZATION, v);
        }
        Credential::Header {
            name,
            prefix,
            secret,
        } => {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| EgressError::invalid("invalid credential header name"))?;
            let v = sensitive(format!("{prefix}{}", secret.expose_secret()))?;
            headers.insert(name, v);
        }
        Credential::Query { name, secret } => {
            let pair = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(name, secret.expose_secret())
                .finish();
            let query = match url.query() {
                Some(q) if !q.is_empty() => format!("{q}&{pair}"),
                _ => pair,
            };
            url.set_query(Some(&query));
        }
        Credential::Basic { username, password } => {
            let pair = format!("{username}:{}", password.expose_secret());
            let v = sensitive(format!("Basic {}", STANDARD.encode(pair)))?;
            headers.insert(AUTHORIZATION, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn query_param_removal_keeps_the_rest_verbatim() {
        let mut u = url("https://a.com/x?a=1&API_KEY=evil&b=%20+&api_key&api%5Fkey=z");
        remove_query_param(&mut u, "api_key");
        assert_eq!(u.query(), Some("a=1&b=%20+"));
        let mut u = url("https://a.com/x?api_key=1");
        remove_query_param(&mut u, "api_key");
        assert_eq!(u.as_str(), "https://a.com/x");
        let mut u = url("https://a.com/x?z=%zz");
        remove_query_param(&mut u, "api_key");
        assert_eq!(u.query(), Some("z=%zz"));
    }

    #[test]
    fn each_placement_lands_where_declared() {
        let mut h = HeaderMap::new();
        let mut u = url("https://a.com/x?q=1");
        inject(&Credential::Bearer("tok".into()), &mut h, &mut u).unwrap();
        assert_eq!(h[AUTHORIZATION], "Bearer tok");
        assert!(h[AUTHORIZATION].is_sensitive());

        let mut h = HeaderMap::new();
        let c = Credential::Header {
            name: "X-Api-Key".into(),
            prefix: "Token ".into(),
            secret: "k".into(),
        };
        inject(&c, &mut h, &mut u).unwrap();
        assert_eq!(h["x-api-key"], "Token k");
        assert!(h["x-api-key"].is_sensitive());

        let c = Credential::Query {
            name: "api key".into(),
            secret: "a&b=c d+é".into(),
        };
        inject(&c, &mut h, &mut u).unwrap();
        assert_eq!(u.query(), Some("q=1&api+key=a%26b%3Dc+d%2B%C3%A9"));

        let mut h = HeaderMap::new();
        let c = Credential::Basic {
            username: "user".into(),
            password: "pass".into(),
        };
        inject(&c, &mut h, &mut u).unwrap();
        assert_eq!(h[AUTHORIZATION], "Basic dXNlcjpwYXNz");
    }

    #[test]
    fn a_secret_with_crlf_is_refused_without_echoing_it() {
        let mut h = HeaderMap::new();
        let mut u = url("https://a.com/");
        let err = inject(
            &Credential::Bearer("abc\r\nX-Evil: 1".into()),
            &mut h,
            &mut u,
        )
        .unwrap_err();
        assert!(!err.to_string().contains("abc"));
    }

    #[test]
    fn clearing_the_slot_removes_plugin_values() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer plugin"));
        h.insert("x-api-key", HeaderValue::from_static("plugin"));
        let mut u = url("https://a.com/?api_key=plugin&x=1");
        clear_slot(&Credential::Bearer("s".into()), &mut h, &mut u);
        assert!(!h.contains_key(AUTHORIZATION));
        assert!(h.contains_key("x-api-key"));
        let c = Credential::Header {
            name: "X-API-KEY".into(),
            prefix: String::new(),
            secret: "s".into(),
        };
        clear_slot(&c, &mut h, &mut u);
        assert!(!h.contains_key("x-api-key"));
        let c = Credential::Query {
            name: "api_key".into(),
            secret: "s".into(),
        };
        clear_slot(&c, &mut h, &mut u);
        assert_eq!(u.query(), Some("x=1"));
    }
}
