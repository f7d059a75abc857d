//! SOQL built from an agent's words: always one quoted literal, never raw SOQL, so input can
//! neither end the literal nor widen a `LIKE` with its own wildcards.

/// Escapes `text` for a single-quoted SOQL literal used with `LIKE`: quotes, backslashes and
/// line breaks get SOQL's escapes, and `%` and `_` become literal characters. Other control
/// characters are refused.
pub fn like_literal(text: &str) -> Result<String, char> {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("\\%"),
            '_' => out.push_str("\\_"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => return Err(c),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The query of `search_accounts`: Accounts whose name contains `name`, by name.
pub fn accounts_named(name: &str, fields: &str, limit: u32) -> Result<String, char> {
    Ok(format!(
        "SELECT {fields} FROM Account WHERE Name LIKE '%{}%' ORDER BY Name LIMIT {limit}",
        like_literal(name)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_escape_their_quotes() {
        assert_eq!(like_literal("Acme").unwrap(), "Acme");
        assert_eq!(like_literal("O'Reilly").unwrap(), "O\\'Reilly");
        assert_eq!(like_literal("100%_x").unwrap(), "100\\%\\_x");
        assert_eq!(
            like_literal(r"x\' OR Name LIKE '%").unwrap(),
            r"x\\\' OR Name LIKE \'\%"
        );
        assert_eq!(like_literal("a\nb\"").unwrap(), "a\\nb\\\"");
        assert_eq!(like_literal("a\u{0}b"), Err('\u{0}'));
        assert_eq!(
            accounts_named("Acme", "Id, Name", 5).unwrap(),
            "SELECT Id, Name FROM Account WHERE Name LIKE '%Acme%' ORDER BY Name LIMIT 5"
        );
    }
}
