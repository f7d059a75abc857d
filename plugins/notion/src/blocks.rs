//! Markdown-ish text to Notion blocks: paragraphs, `#`/`##`/`###` headings, `-`/`*` bullets.

use latchkey_sdk::CallError;
use serde_json::{Value, json};

/// Notion's cap on the characters (UTF-16 units) of one rich-text object.
const MAX_TEXT: usize = 2000;
/// Notion's cap on the children sent in one request.
const MAX_BLOCKS: usize = 100;

/// The blocks for `text`; too many blocks for one request is invalid input.
pub fn from_text(text: &str) -> Result<Vec<Value>, CallError> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_end();
        let special = [
            ("### ", "heading_3"),
            ("## ", "heading_2"),
            ("# ", "heading_1"),
            ("- ", "bulleted_list_item"),
            ("* ", "bulleted_list_item"),
        ]
        .iter()
        .find_map(|(prefix, kind)| Some((*kind, trimmed.strip_prefix(prefix)?)));
        if trimmed.is_empty() || special.is_some() {
            flush(&mut paragraph, &mut blocks);
        }
        match special {
            Some((kind, rest)) => blocks.push(block(kind, rest.trim())),
            None if !trimmed.is_empty() => paragraph.push(trimmed),
            None => {}
        }
    }
    flush(&mut paragraph, &mut blocks);
    if blocks.len() > MAX_BLOCKS {
        return Err(CallError::invalid_input(format!(
            "content makes {} blocks; Notion takes at most {MAX_BLOCKS} per page creation",
            blocks.len()
        )));
    }
    Ok(blocks)
}

/// Ends the paragraph being collected, if any.
fn flush(paragraph: &mut Vec<&str>, blocks: &mut Vec<Value>) {
    if !paragraph.is_empty() {
        blocks.push(block("paragraph", &paragraph.join("\n")));
        paragraph.clear();
    }
}

/// One block of `kind` holding `text`.
fn block(kind: &str, text: &str) -> Value {
    json!({ "object": "block", "type": kind, kind: { "rich_text": rich_text(text) } })
}

/// `text` as rich-text objects, split to respect Notion's per-object length cap.
pub fn rich_text(text: &str) -> Vec<Value> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > MAX_TEXT {
            parts.push(std::mem::take(&mut current));
            units = 0;
        }
        units += c.len_utf16();
        current.push(c);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
        .into_iter()
        .map(|content| json!({ "type": "text", "text": { "content": content } }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdownish_lines_become_blocks() {
        let blocks =
            from_text("# Title\nfirst line\nsecond line\n\n- a\n* b\n### Small\nlast").unwrap();
        let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "heading_1",
                "paragraph",
                "bulleted_list_item",
                "bulleted_list_item",
                "heading_3",
                "paragraph"
            ]
        );
        assert_eq!(
            blocks[1]["paragraph"]["rich_text"][0]["text"]["content"],
            "first line\nsecond line"
        );
        assert_eq!(
            blocks[2]["bulleted_list_item"]["rich_text"][0]["text"]["content"],
            "a"
        );
    }

    #[test]
    fn empty_text_has_no_blocks() {
        assert!(from_text("").unwrap().is_empty());
        assert!(from_text("\n\n  \n").unwrap().is_empty());
    }

    #[test]
    fn long_text_is_split_and_too_many_blocks_refused() {
        let parts = rich_text(&"x".repeat(4500));
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2]["text"]["content"].as_str().unwrap().len(), 500);
        let many = "- item\n".repeat(101);
        assert!(matches!(from_text(&many), Err(CallError::InvalidInput(_))));
    }
}
