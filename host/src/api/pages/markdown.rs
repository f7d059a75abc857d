//! Connector setup instructions (markdown written by the plugin author) rendered as HTML with
//! raw HTML escaped and only http(s)/mailto links kept: a plugin cannot inject script.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// Render `markdown` to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let mut dropped_links = 0usize;
    let events = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { dest_url, .. }) if !safe_link(&dest_url) => {
            dropped_links += 1;
            None
        }
        Event::End(TagEnd::Link) if dropped_links > 0 => {
            dropped_links -= 1;
            None
        }
        Event::Start(Tag::Image {
            dest_url, title, ..
        }) => Some(Event::Text(CowStr::from(format!(
            "[image: {title} {dest_url}]"
        )))),
        Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_kept_and_script_is_not() {
        let html = render(
            "# Setup\n\n1. Open <https://example.com>\n2. <script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**",
        );
        assert!(html.contains("<h1>Setup</h1>"));
        assert!(html.contains("href=\"https://example.com\""));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
    }
}
