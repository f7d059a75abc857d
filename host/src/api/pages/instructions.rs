//! A connector's setup instructions split by audience and step. The markdown is one text, and
//! a heading's class (CommonMark heading attributes, `### For the operator {.operator}`) says
//! whom its section is for, up to the next heading of the same or a higher level:
//!
//! - no class: every end user, on every connect page;
//! - `.oauth2`, `.api-key`, `.basic`: shown beside that way of connecting only;
//! - `.operator`: never shown to end users (redirect URIs, client secrets…);
//! - `.scopes`: a list of `` `scope` — plain meaning `` items, shown next to each permission
//!   the page lists (the section's text itself is not shown).
//!
//! Connectors without classes keep working: everything is for end users, as before.

use std::collections::BTreeMap;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Who a section is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// Every end user.
    Everyone,
    /// End users connecting with OAuth.
    OAuth,
    /// End users pasting an API key.
    ApiKey,
    /// End users entering a username and password.
    Basic,
    /// The operator only.
    Operator,
    /// The meanings of scopes.
    Scopes,
}

impl Audience {
    fn from_class(class: &str) -> Option<Audience> {
        match class {
            "oauth2" | "oauth" => Some(Audience::OAuth),
            "api-key" => Some(Audience::ApiKey),
            "basic" => Some(Audience::Basic),
            "operator" => Some(Audience::Operator),
            "scopes" => Some(Audience::Scopes),
            _ => None,
        }
    }
}

/// The instructions of one connector, sorted.
#[derive(Debug, Clone, Default)]
pub struct Instructions {
    /// Markdown per audience, in the order written.
    pub sections: BTreeMap<Audience, String>,
    /// Plain meaning of each scope the connector explains.
    pub scopes: BTreeMap<String, String>,
}

impl Instructions {
    /// The markdown for `audience` (empty when there is none).
    pub fn for_audience(&self, audience: Audience) -> &str {
        self.sections
            .get(&audience)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Everything an end user may read, whatever the step: all but operator and scope text.
    pub fn for_end_users(&self) -> String {
        [
            Audience::Everyone,
            Audience::OAuth,
            Audience::ApiKey,
            Audience::Basic,
        ]
        .iter()
        .map(|a| self.for_audience(*a))
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
    }
}

fn level_of(level: HeadingLevel) -> usize {
    level as usize
}

/// Split `markdown` by the classes of its headings.
pub fn split(markdown: &str) -> Instructions {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut out = Instructions::default();
    // The open tagged section: its audience and its heading's level.
    let mut current: Option<(Audience, usize)> = None;
    // How deep inside blocks we are: only top-level blocks are copied (a block's start event
    // carries the source range of the whole block, nested ones included).
    let mut depth = 0usize;
    for (event, range) in parser.into_offset_iter() {
        let top = depth == 0;
        match &event {
            Event::Start(tag) if is_block(tag) => depth += 1,
            Event::End(tag) if is_block_end(tag) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if let Event::Start(Tag::Heading { level, classes, .. }) = &event {
            let level = level_of(*level);
            if current.is_some_and(|(_, open)| level <= open) {
                current = None;
            }
            if let Some(audience) = classes.iter().find_map(|c| Audience::from_class(c)) {
                current = Some((audience, level));
            }
        }
        let starts_block = matches!(&event, Event::Start(tag) if is_block(tag))
            || matches!(event, Event::Rule | Event::Html(_));
        if !top || !starts_block {
            continue;
        }
        let audience = current.map(|(a, _)| a).unwrap_or(Audience::Everyone);
        let text = strip_attributes(&markdown[range]);
        let section = out.sections.entry(audience).or_default();
        if !section.is_empty() {
            section.push_str("\n\n");
        }
        section.push_str(text.trim_end());
    }
    out.scopes = scope_meanings(out.for_audience(Audience::Scopes));
    out
}

/// Whether `tag` is a block (its range covers the whole block).
fn is_block(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Heading { .. }
            | Tag::Paragraph
            | Tag::List(_)
            | Tag::Item
            | Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::Table(_)
            | Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
    )
}

/// The end of a block that [`is_block`] counted.
fn is_block_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Heading(_)
            | TagEnd::Paragraph
            | TagEnd::List(_)
            | TagEnd::Item
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::Table
            | TagEnd::HtmlBlock
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
    )
}

/// A heading line without its `{…}` attributes (they are for this module, not the reader).
fn strip_attributes(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    if first.trim_start().starts_with('#')
        && let Some(open) = first.rfind('{')
        && first.trim_end().ends_with('}')
    {
        let rest = &text[first.len()..];
        return format!("{}{rest}", first[..open].trim_end());
    }
    text.to_string()
}

/// `` `scope` — meaning `` (or `:` / `-`) list items.
fn scope_meanings(markdown: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_item = false;
    let mut scope: Option<String> = None;
    let mut meaning = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Item) => {
                in_item = true;
                scope = None;
                meaning.clear();
            }
            Event::End(TagEnd::Item) => {
                in_item = false;
                if let Some(s) = scope.take() {
                    let text = meaning
                        .trim()
                        .trim_start_matches(['—', '–', '-', ':'])
                        .trim();
                    if !text.is_empty() {
                        out.insert(s, text.to_string());
                    }
                }
            }
            Event::Code(code) if in_item && scope.is_none() && meaning.trim().is_empty() => {
                scope = Some(code.to_string());
            }
            Event::Text(t) | Event::Code(t) if in_item => meaning.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_item => meaning.push(' '),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "## Connect Acme\n\nFor everyone.\n\n### With OAuth {.oauth2}\n\nChoose **Continue to Acme**.\n\n### Or: a key {.api-key}\n\n1. Copy the key.\n\n### For the operator {.operator}\n\nSet the redirect URI to `<public_url>/v1/oauth/callback/acme` and copy the client secret.\n\n#### Still the operator's\n\nMore.\n\n## Permissions {.scopes}\n\n- `repo` — full access to your repositories\n- `read:user`: your profile\n\n## After\n\nBack to everyone.\n";

    #[test]
    fn sections_go_to_their_audience() {
        let i = split(SAMPLE);
        let everyone = i.for_audience(Audience::Everyone);
        assert!(everyone.contains("For everyone") && everyone.contains("Back to everyone"));
        assert!(i.for_audience(Audience::OAuth).contains("Continue to Acme"));
        assert!(i.for_audience(Audience::ApiKey).contains("Copy the key"));
        let users = i.for_end_users();
        assert!(!users.contains("redirect URI"), "{users}");
        assert!(!users.contains("client secret"), "{users}");
        assert!(!users.contains("Still the operator"), "{users}");
        assert!(!users.contains("{."), "attributes are not shown: {users}");
        assert!(
            i.for_audience(Audience::Operator)
                .contains("Still the operator")
        );
        assert_eq!(
            i.scopes.get("repo").map(String::as_str),
            Some("full access to your repositories")
        );
        assert_eq!(
            i.scopes.get("read:user").map(String::as_str),
            Some("your profile")
        );
    }

    #[test]
    fn untagged_instructions_are_all_for_end_users() {
        let i = split("# Setup\n\nPaste the key.\n");
        assert_eq!(i.for_end_users(), "# Setup\n\nPaste the key.");
        assert!(i.scopes.is_empty());
    }
}
