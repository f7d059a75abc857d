//! Overrides: send requests for an allowed origin to another base URL (tests, demo).
//! Applied after the allowlist check; the target still goes through the address rule.

use std::collections::BTreeMap;

use url::Url;

use super::allowlist::HostPattern;
use super::error::SettingsError;
use super::origin::{Origin, parse_request_url};

/// One override: requests for `origin` go to `base` with the path appended.
#[derive(Clone, Debug)]
struct Route {
    origin: Origin,
    origin_url: Url,
    base: Url,
    /// `base`'s path without a trailing slash (`""` for the root).
    base_path: String,
}

impl Route {
    /// The part of `wire`'s path below this route's base, when `wire` is under it.
    fn rest_of<'a>(&self, wire: &'a Url) -> Option<&'a str> {
        if Origin::of(wire)? != Origin::of(&self.base)? {
            return None;
        }
        let rest = wire.path().strip_prefix(self.base_path.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }
}

/// All overrides, validated.
#[derive(Clone, Debug, Default)]
pub(super) struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Validates the settings' override map: keys are exact allowed origins, values are
    /// http(s) base URLs without userinfo, query or fragment, and no two are ambiguous.
    pub(super) fn new(overrides: &BTreeMap<String, String>) -> Result<Self, SettingsError> {
        let mut routes: Vec<Route> = Vec::new();
        for (key, target) in overrides {
            let bad = |reason: &str| SettingsError::Override {
                key: key.clone(),
                reason: reason.into(),
            };
            let pattern: HostPattern = key
                .parse()
                .map_err(|e: super::AllowListError| bad(&e.reason))?;
            let origin = pattern
                .exact_origin()
                .ok_or_else(|| bad("an override must name one origin, not a wildcard"))?;
            let origin_url = origin.to_url().ok_or_else(|| bad("unusable origin"))?;
            let base = parse_request_url(target)
                .map_err(|r| bad(&format!("target: {}", r.into_message())))?;
            if base.query().is_some() || target.contains('#') {
                return Err(bad("target must not have a query or fragment"));
            }
            let base_path = base.path().trim_end_matches('/').to_owned();
            let route = Route {
                origin,
                origin_url,
                base,
                base_path,
            };
            if routes.iter().any(|r| r.origin == route.origin) {
                return Err(bad("another override already names this origin"));
            }
            if routes.iter().any(|r| {
                Origin::of(&r.base) == Origin::of(&route.base) && r.base_path == route.base_path
            }) {
                return Err(bad("another override has the same target"));
            }
            routes.push(route);
        }
        Ok(Self { routes })
    }

    /// Where a request for the (already allowed) `logical` URL is actually sent.
    pub(super) fn apply(&self, logical: &Url) -> Url {
        let Some(origin) = Origin::of(logical) else {
            return logical.clone();
        };
        match self.routes.iter().find(|r| r.origin == origin) {
            None => logical.clone(),
            Some(route) => {
                let mut wire = route.base.clone();
                wire.set_path(&format!("{}{}", route.base_path, logical.path()));
                wire.set_query(logical.query());
                wire
            }
        }
    }

    /// Maps an absolute redirect target under an override's base back to the logical URL
    /// it stands for; `None` when no override covers it.
    pub(super) fn reverse(&self, wire: &Url) -> Option<Url> {
        let (route, rest) = self
            .routes
            .iter()
            .filter_map(|r| r.rest_of(wire).map(|rest| (r, rest)))
            .max_by_key(|(r, _)| r.base_path.len())?;
        let mut logical = route.origin_url.clone();
        logical.set_path(if rest.is_empty() { "/" } else { rest });
        logical.set_query(wire.query());
        Some(logical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(pairs: &[(&str, &str)]) -> Result<Router, SettingsError> {
        Router::new(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn apply_appends_path_and_query() {
        let r = router(&[
            ("https://api.notion.com", "http://127.0.0.1:4100/notion"),
            ("https://slack.com", "http://127.0.0.1:4100/slack/"),
            ("https://api.linear.app", "http://127.0.0.1:4200"),
        ])
        .unwrap();
        assert_eq!(
            r.apply(&url("https://api.notion.com/v1/users?page=2"))
                .as_str(),
            "http://127.0.0.1:4100/notion/v1/users?page=2"
        );
        assert_eq!(
            r.apply(&url("https://slack.com/api/chat.postMessage"))
                .as_str(),
            "http://127.0.0.1:4100/slack/api/chat.postMessage"
        );
        assert_eq!(
            r.apply(&url("https://api.linear.app/graphql")).as_str(),
            "http://127.0.0.1:4200/graphql"
        );
        assert_eq!(
            r.apply(&url("https://other.com/x")).as_str(),
            "https://other.com/x"
        );
        // Origin matching includes the port.
        assert_eq!(
            r.apply(&url("https://api.notion.com:8443/x")).as_str(),
            "https://api.notion.com:8443/x"
        );
    }

    #[test]
    fn reverse_maps_back_to_the_logical_origin() {
        let r = router(&[
            ("https://api.notion.com", "http://127.0.0.1:4100/notion"),
            ("https://api.linear.app", "http://127.0.0.1:4100"),
        ])
        .unwrap();
        assert_eq!(
            r.reverse(&url("http://127.0.0.1:4100/notion/v1/x?a=1"))
                .unwrap()
                .as_str(),
            "https://api.notion.com/v1/x?a=1"
        );
        assert_eq!(
            r.reverse(&url("http://127.0.0.1:4100/notion"))
                .unwrap()
                .as_str(),
            "https://api.notion.com/"
        );
        assert_eq!(
            r.reverse(&url("http://127.0.0.1:4100/notionx"))
                .unwrap()
                .as_str(),
            "https://api.linear.app/notionx"
        );
        assert!(r.reverse(&url("http://127.0.0.1:4101/notion")).is_none());
    }

    #[test]
    fn bad_overrides_are_refused() {
        for (k, v) in [
            ("https://*.atlassian.net", "http://127.0.0.1:1"),
            ("https://api.notion.com/v1", "http://127.0.0.1:1"),
            ("api.notion.com", "http://127.0.0.1:1"),
            ("https://api.notion.com", "ftp://127.0.0.1:1"),
            ("https://api.notion.com", "http://u:p@127.0.0.1:1"),
            ("https://api.notion.com", "http://127.0.0.1:1/?x=1"),
            ("https://api.notion.com", "http://127.0.0.1:1/#x"),
            ("https://api.notion.com", "127.0.0.1:1"),
        ] {
            assert!(router(&[(k, v)]).is_err(), "{k} -> {v}");
        }
        assert!(
            router(&[
                ("https://a.com", "http://127.0.0.1:1/x"),
                ("https://b.com", "http://127.0.0.1:1/x/"),
            ])
            .is_err()
        );
        assert!(
            router(&[
                ("https://a.com", "http://127.0.0.1:1/x"),
                ("https://A.com:443", "http://127.0.0.1:1/y"),
            ])
            .is_err()
        );
    }
}
