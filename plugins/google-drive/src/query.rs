//! Drive search queries built from an agent's words: always a quoted literal, never raw `q`
//! syntax, so input cannot widen the search.

/// `q` for files whose name matches `words` (Drive: a prefix of the name or of one of its
/// words, case-insensitive), outside the trash; everything outside the trash without words.
pub fn name_search(words: Option<&str>) -> String {
    match words.map(str::trim).filter(|w| !w.is_empty()) {
        Some(words) => format!("name contains '{}' and trashed = false", escape(words)),
        None => "trashed = false".to_owned(),
    }
}

/// Escapes `\` and `'` for a single-quoted Drive literal.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::name_search;

    #[test]
    fn quoted_and_escaped() {
        assert_eq!(name_search(None), "trashed = false");
        assert_eq!(name_search(Some("  ")), "trashed = false");
        assert_eq!(
            name_search(Some("plan")),
            "name contains 'plan' and trashed = false"
        );
        assert_eq!(
            name_search(Some(r"x' or name contains '\")),
            r"name contains 'x\' or name contains \'\\' and trashed = false"
        );
    }
}
