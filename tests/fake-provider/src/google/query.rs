//! The part of Drive's `q` language the fake understands: terms joined by `and` —
//! `name contains 'x'` (case-insensitive prefix of the name or of one of its words, as Drive
//! matches), `name = 'x'`, `fullText contains 'x'` (any substring), `mimeType = 'x'`,
//! `mimeType != 'x'`, `'<id>' in parents`, `trashed = true|false`, `starred = true|false`.

use super::model::DriveFile;

/// One condition on a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    NameContains(String),
    FullText(String),
    NameIs(String),
    MimeIs(String),
    MimeIsNot(String),
    InParent(String),
    Trashed(bool),
    Starred(bool),
}

/// Parses `q`; `None` for anything outside the supported subset (Drive's "Invalid Value").
pub fn parse(q: &str) -> Option<Vec<Term>> {
    split_and(q)?.iter().map(|part| term(part.trim())).collect()
}

/// Whether `file` meets every term.
pub fn matches(terms: &[Term], file: &DriveFile) -> bool {
    terms.iter().all(|term| match term {
        Term::NameContains(text) => {
            let text = text.to_lowercase();
            let name = file.name.to_lowercase();
            name.starts_with(&text)
                || name
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|word| word.starts_with(&text))
        }
        Term::FullText(text) => file.name.to_lowercase().contains(&text.to_lowercase()),
        Term::NameIs(name) => &file.name == name,
        Term::MimeIs(mime) => &file.mime_type == mime,
        Term::MimeIsNot(mime) => &file.mime_type != mime,
        Term::InParent(id) => file.parents.contains(id),
        Term::Trashed(on) => file.trashed == *on,
        Term::Starred(on) => file.starred == *on,
    })
}

/// Splits on ` and ` outside quotes (case-insensitive); `None` on an unterminated quote.
fn split_and(q: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = q.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                current.push(c);
                current.push(chars.next()?);
            }
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            _ => current.push(c),
        }
        let cut = current.len().saturating_sub(5);
        let ends_with_and = current
            .get(cut..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(" and "));
        if !quoted && ends_with_and {
            current.truncate(cut);
            parts.push(std::mem::take(&mut current));
        }
    }
    if quoted {
        return None;
    }
    parts.push(current);
    Some(parts)
}

/// One term.
fn term(text: &str) -> Option<Term> {
    if let Some(id) = text.strip_suffix(" in parents") {
        return Some(Term::InParent(literal(id.trim())?));
    }
    let (field, rest) = text.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace)?;
    let value = value.trim();
    match (field, op) {
        ("name", "contains") => Some(Term::NameContains(literal(value)?)),
        ("fullText", "contains") => Some(Term::FullText(literal(value)?)),
        ("name", "=") => Some(Term::NameIs(literal(value)?)),
        ("mimeType", "=") => Some(Term::MimeIs(literal(value)?)),
        ("mimeType", "!=") => Some(Term::MimeIsNot(literal(value)?)),
        ("trashed", "=") => Some(Term::Trashed(boolean(value)?)),
        ("starred", "=") => Some(Term::Starred(boolean(value)?)),
        _ => None,
    }
}

/// A single-quoted string with `\'` and `\\` escapes.
fn literal(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '\'' => return None,
            _ => out.push(c),
        }
    }
    Some(out)
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_terms() {
        assert_eq!(
            parse("name contains 'plan' and trashed = false"),
            Some(vec![
                Term::NameContains("plan".into()),
                Term::Trashed(false)
            ])
        );
        assert_eq!(
            parse("'root' in parents AND mimeType != 'application/vnd.google-apps.folder'"),
            Some(vec![
                Term::InParent("root".into()),
                Term::MimeIsNot("application/vnd.google-apps.folder".into())
            ])
        );
        assert_eq!(
            parse(r"name = 'Bob\'s and Ann\'s'"),
            Some(vec![Term::NameIs("Bob's and Ann's".into())])
        );
    }

    #[test]
    fn unsupported_or_broken() {
        assert_eq!(parse("name contains 'unterminated"), None);
        assert_eq!(parse("modifiedTime > '2020-01-01'"), None);
        assert_eq!(parse("trashed = maybe"), None);
        assert_eq!(parse("name contains plan"), None);
        assert_eq!(parse(""), None);
    }
}
