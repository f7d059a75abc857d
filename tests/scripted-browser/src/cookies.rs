//! The cookie jar, as a browser keeps it (RFC 6265): per host, not per port (§8.5), sent only
//! under the cookie's `Path` (§5.1.4), replaced by name and path, dropped when it expires.
//!
//! Written here rather than taken from reqwest's `cookies` feature: that jar cannot list what
//! it holds (the suite checks a binding cookie was set), and turning the feature on would
//! change the gateway's own reqwest build in every build that includes this crate.

/// One stored cookie.
#[derive(Debug, Clone)]
struct Cookie {
    host: String,
    name: String,
    value: String,
    path: String,
}

/// The cookies of one browser.
#[derive(Debug, Clone, Default)]
pub struct Jar {
    cookies: Vec<Cookie>,
}

/// RFC 6265 §5.1.4: the default path of a cookie set by a response to `path`.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

/// RFC 6265 §5.1.4: whether a request to `request_path` carries a cookie of `cookie_path`.
pub(crate) fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

impl Jar {
    /// The value of cookie `name` for `host` (under any path), if the jar holds one.
    pub fn get(&self, host: &str, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|c| c.host == host && c.name == name)
            .map(|c| c.value.as_str())
    }

    /// The `Cookie` header for a request to `host` at `path`, if any cookie applies.
    pub fn header_for(&self, host: &str, path: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| c.host == host && path_matches(&c.path, path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keep (or replace, or drop) what a `Set-Cookie` from `host` at `path` says.
    pub fn store(&mut self, host: &str, path: &str, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let mut cookie_path = default_path(path);
        let mut expired = value.is_empty();
        for attr in parts {
            let (k, v) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
            if k.eq_ignore_ascii_case("path") && v.starts_with('/') {
                cookie_path = v.to_string();
            } else if (k.eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-']))
                || (k.eq_ignore_ascii_case("expires") && v.contains("1970"))
            {
                expired = true;
            }
        }
        self.cookies
            .retain(|c| !(c.host == host && c.name == name && c.path == cookie_path));
        if !expired {
            self.cookies.push(Cookie {
                host: host.to_string(),
                name: name.to_string(),
                value: value.to_string(),
                path: cookie_path,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_paths_match_as_in_rfc_6265() {
        assert!(path_matches("/", "/anything"));
        assert!(path_matches("/v1/oauth/callback", "/v1/oauth/callback/x"));
        assert!(path_matches("/v1/oauth/callback", "/v1/oauth/callback"));
        assert!(!path_matches("/v1/oauth/callback", "/v1/oauth/callbackx"));
        assert!(!path_matches("/v1/oauth/callback", "/connect/x"));
        assert_eq!(default_path("/connect/a/b/oauth"), "/connect/a/b");
        assert_eq!(default_path("/x"), "/");
    }

    #[test]
    fn cookies_are_kept_per_host_and_path_and_cleared() {
        let mut jar = Jar::default();
        jar.store(
            "127.0.0.1",
            "/connect/a/b/oauth",
            "lk=1; Path=/v1/oauth/callback; HttpOnly",
        );
        jar.store("127.0.0.1", "/connect/a/b/oauth", "other=2");
        assert_eq!(
            jar.header_for("127.0.0.1", "/v1/oauth/callback/x")
                .as_deref(),
            Some("lk=1")
        );
        assert_eq!(
            jar.header_for("127.0.0.1", "/connect/a/b/x").as_deref(),
            Some("other=2")
        );
        assert_eq!(jar.header_for("localhost", "/v1/oauth/callback/x"), None);
        assert_eq!(jar.get("127.0.0.1", "lk"), Some("1"));
        jar.store(
            "127.0.0.1",
            "/connect/a/b/oauth",
            "lk=; path=/v1/oauth/callback; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        );
        assert_eq!(jar.header_for("127.0.0.1", "/v1/oauth/callback/x"), None);
        jar.store("127.0.0.1", "/connect/a/b/oauth", "other=3; Max-Age=0");
        assert_eq!(jar.get("127.0.0.1", "other"), None);
    }
}
