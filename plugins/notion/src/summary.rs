//! Compact views of Notion objects for agents: id, kind, title, URL, last edit.

use serde_json::{Value, json};

/// The search answer as summaries, with Notion's pagination fields.
pub fn search_results(answer: &Value) -> Value {
    let results: Vec<Value> = answer["results"]
        .as_array()
        .map(|items| items.iter().map(object).collect())
        .unwrap_or_default();
    json!({
        "results": results,
        "has_more": answer["has_more"].as_bool().unwrap_or(false),
        "next_cursor": answer["next_cursor"],
    })
}

/// One page or database, summarised.
pub fn object(object: &Value) -> Value {
    json!({
        "id": object["id"],
        "object": object["object"],
        "title": title(object),
        "url": object["url"],
        "last_edited_time": object["last_edited_time"],
    })
}

/// The plain-text title: a database's `title`, or a page's property of type `title`.
pub fn title(object: &Value) -> String {
    let rich_text = if object["object"] == "database" {
        &object["title"]
    } else {
        object["properties"]
            .as_object()
            .and_then(|props| props.values().find(|p| p["type"] == "title"))
            .map_or(&Value::Null, |p| &p["title"])
    };
    rich_text
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|part| {
            part["plain_text"]
                .as_str()
                .or(part["text"]["content"].as_str())
        })
        .collect()
}

/// At most `max` characters of `text`, for error messages that quote input.
pub fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_of_pages_and_databases() {
        let page = json!({"object": "page", "properties": {
            "Name": {"type": "title", "title": [{"plain_text": "Road"}, {"plain_text": "map"}]},
            "Tags": {"type": "multi_select"}
        }});
        assert_eq!(title(&page), "Roadmap");
        let database = json!({"object": "database", "title": [{"plain_text": "Tasks"}]});
        assert_eq!(title(&database), "Tasks");
        assert_eq!(title(&json!({"object": "page"})), "");
    }

    #[test]
    fn search_results_are_summarised() {
        let answer = json!({"results": [{"object": "page", "id": "p1", "url": "u",
            "properties": {"title": {"type": "title", "title": [{"plain_text": "Hi"}]}}}],
            "has_more": true, "next_cursor": "c"});
        let out = search_results(&answer);
        assert_eq!(out["results"][0]["title"], "Hi");
        assert_eq!(out["results"][0]["id"], "p1");
        assert_eq!(out["has_more"], true);
        assert_eq!(out["next_cursor"], "c");
    }
}
