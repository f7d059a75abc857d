//! Reading the pages a consent flow shows: the form to submit, and the message a page says.

/// The `action` of the first form whose action contains `contains`, HTML entities decoded.
pub fn form_action(html: &str, contains: &str) -> Option<String> {
    html.match_indices("action=\"").find_map(|(i, m)| {
        let rest = &html[i + m.len()..];
        let end = rest.find('"')?;
        let action = rest[..end]
            .replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&amp;", "&");
        action.contains(contains).then_some(action)
    })
}

/// A page's visible message, roughly: the text of its first `<h1>` and `<p>`.
pub fn headline(html: &str) -> String {
    let grab = |tag: &str| {
        let open = format!("<{tag}");
        let start = html.find(&open)?;
        let after = &html[start..];
        let body_start = after.find('>')? + 1;
        let end = after.find(&format!("</{tag}>"))?;
        Some(after.get(body_start..end)?.trim().to_string())
    };
    [grab("h1"), grab("p")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_actions_are_found_and_unescaped() {
        let html = r#"<form method="post" action="&#x2f;connect&#x2f;cs_1&#x2f;t&#x2f;oauth">"#;
        assert_eq!(
            form_action(html, "/oauth").as_deref(),
            Some("/connect/cs_1/t/oauth")
        );
        assert_eq!(form_action(html, "/credential"), None);
    }

    #[test]
    fn headlines_join_the_heading_and_first_paragraph() {
        assert_eq!(
            headline("<h1 class=x>Done</h1><p>All good.</p>"),
            "Done: All good."
        );
        assert_eq!(headline("no markup"), "");
    }
}
