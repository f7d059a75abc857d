//! Plain text to and from the Atlassian Document Format (ADF), which Jira's REST API v3 uses
//! for rich-text fields such as `description`.

use serde_json::{Value, json};

/// An ADF document of `text`: one paragraph per blank-line-separated block, line breaks kept
/// as `hardBreak`s. Blank text gives an empty document.
pub fn from_text(text: &str) -> Value {
    let normalized = text.replace("\r\n", "\n");
    let mut paragraphs = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    for line in normalized.split('\n').chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !block.is_empty() {
                paragraphs.push(paragraph(&block));
                block.clear();
            }
        } else {
            block.push(line);
        }
    }
    json!({ "type": "doc", "version": 1, "content": paragraphs })
}

/// A paragraph of `lines`, separated by hard breaks (ADF text nodes may not be empty).
fn paragraph(lines: &[&str]) -> Value {
    let mut content = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            content.push(json!({ "type": "hardBreak" }));
        }
        content.push(json!({ "type": "text", "text": line }));
    }
    json!({ "type": "paragraph", "content": content })
}

/// The text of an ADF node: blocks separated by blank lines, list items on their own lines.
pub fn to_text(node: &Value) -> String {
    let mut out = String::new();
    write_node(node, &mut out);
    out.trim().to_owned()
}

fn write_node(node: &Value, out: &mut String) {
    let attrs = &node["attrs"];
    match node["type"].as_str().unwrap_or_default() {
        "text" => out.push_str(node["text"].as_str().unwrap_or_default()),
        "hardBreak" => out.push('\n'),
        "mention" => out.push_str(attrs["text"].as_str().unwrap_or("@someone")),
        "emoji" => out.push_str(
            attrs["text"]
                .as_str()
                .or_else(|| attrs["shortName"].as_str())
                .unwrap_or_default(),
        ),
        "inlineCard" | "blockCard" => out.push_str(attrs["url"].as_str().unwrap_or_default()),
        "rule" => out.push_str("\n---\n\n"),
        "listItem" => {
            out.push_str("- ");
            let start = out.len();
            write_children(node, out);
            let item = out[start..].trim_end().to_owned();
            out.truncate(start);
            out.push_str(&item);
            out.push('\n');
        }
        "bulletList" | "orderedList" => {
            write_children(node, out);
            out.push('\n');
        }
        "paragraph" | "heading" | "codeBlock" | "blockquote" | "panel" => {
            write_children(node, out);
            out.push_str("\n\n");
        }
        _ => write_children(node, out),
    }
}

fn write_children(node: &Value, out: &mut String) {
    if let Some(children) = node["content"].as_array() {
        for child in children {
            write_node(child, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        let doc = from_text("First line\nsecond line\n\n\nNext paragraph");
        assert_eq!(
            doc,
            json!({"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "First line"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "second line"}
                ]},
                {"type": "paragraph", "content": [{"type": "text", "text": "Next paragraph"}]}
            ]})
        );
        assert_eq!(
            from_text("  \n "),
            json!({"type": "doc", "version": 1, "content": []})
        );
        assert_eq!(to_text(&doc), "First line\nsecond line\n\nNext paragraph");
    }

    #[test]
    fn richer_documents_read_as_text() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "open"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "mention", "attrs": {"id": "x", "text": "@Ada"}},
                    {"type": "text", "text": " clicks"}
                ]}]}
            ]},
            {"type": "paragraph", "content": [{"type": "inlineCard", "attrs": {"url": "https://x.test"}}]}
        ]});
        assert_eq!(
            to_text(&doc),
            "Steps\n\n- open\n- @Ada clicks\n\nhttps://x.test"
        );
        assert_eq!(to_text(&Value::Null), "");
    }
}
