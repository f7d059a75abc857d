//! Server-rendered pages for end users (connect, success, error): minijinja templates with
//! HTML auto-escaping, and headers that keep the connect link out of referrers and frames.

pub mod instructions;
pub mod markdown;

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::Environment;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Built-in templates: a failure here is a build defect caught by the tests below.
    for (name, source) in [
        (
            "layout.html",
            include_str!("../../../templates/layout.html"),
        ),
        (
            "connect.html",
            include_str!("../../../templates/connect.html"),
        ),
        (
            "result.html",
            include_str!("../../../templates/result.html"),
        ),
        ("pack.html", include_str!("../../../templates/pack.html")),
    ] {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "built-in template does not parse");
        }
    }
    env
});

/// An HTML page response with the pages' security headers.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"),
    );
    // The connect URL is a capability: never leak it to the provider in a Referer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Render a template; a rendering failure becomes a plain error page, never a panic.
pub fn render(status: StatusCode, template: &str, ctx: minijinja::Value) -> Response {
    match TEMPLATES.get_template(template).and_then(|t| t.render(ctx)) {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(template, error = %e, "page rendering failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<h1>Something went wrong</h1>".into(),
            )
        }
    }
}

/// `text` as a sentence: a capital first letter and one closing full stop.
pub fn sentence(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['!', '?']) {
        out.push('.');
    }
    out
}

/// The success or failure page at the end of a flow.
pub fn result(
    status: StatusCode,
    success: bool,
    heading: &str,
    message: &str,
    retry_url: Option<&str>,
) -> Response {
    render(
        status,
        "result.html",
        minijinja::context! { success, heading, message, retry_url },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_start_with_a_capital_and_end_once() {
        assert_eq!(
            sentence("access was not granted: x.."),
            "Access was not granted: x."
        );
        assert_eq!(sentence("ok"), "Ok.");
        assert_eq!(sentence("Really?"), "Really?");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn every_template_parses_and_escapes() {
        for name in ["layout.html", "connect.html", "result.html", "pack.html"] {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
        let page = TEMPLATES
            .get_template("result.html")
            .and_then(|t| {
                t.render(
                    minijinja::context! { success => false, heading => "<b>x</b>", message => "m" },
                )
            })
            .expect("renders");
        assert!(
            page.contains("&lt;b&gt;x") && !page.contains("<b>x"),
            "{page}"
        );
    }
}
