//! The cookie that binds OAuth flows to the browser that started them (`lk_connect`), parsed
//! and written with the `cookie` crate. Its path is `/`, covering both the start
//! (`/connect/…`) and the callback, so a second flow in the same browser (another tab, a pack
//! next to a single app) reuses the value instead of overwriting it: every flow started in
//! this browser stays bound to it.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use secrecy::{ExposeSecret, SecretString};

/// The cookie's name.
pub const NAME: &str = "lk_connect";

/// The binding value this browser presented, if any (the first, when it sent several).
pub fn read(headers: &HeaderMap) -> Option<SecretString> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == NAME && !c.value().is_empty())
        .map(|c| SecretString::from(c.value().to_string()))
}

/// The `Set-Cookie` value binding this browser to `value` for `max_age_secs`; `Secure` when
/// the gateway is reached over https.
pub fn set(value: &SecretString, max_age_secs: i64, secure: bool) -> Option<HeaderValue> {
    let cookie = Cookie::build((NAME, value.expose_secret().to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binding_is_found_among_other_cookies_and_written_for_every_path() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; lk_connect=abc; b=2"),
        );
        let found = read(&headers).expect("found");
        assert_eq!(found.expose_secret(), "abc");
        assert!(read(&HeaderMap::new()).is_none());
        let set = set(&SecretString::from("abc"), 600, true).expect("header");
        let text = set.to_str().expect("text");
        for part in [
            "lk_connect=abc",
            "Path=/",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Max-Age=600",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }
}
