//! A compact view of a Jira issue for agents (plain-text description, names instead of
//! nested objects).

use serde_json::{Value, json};

use crate::adf;

/// The issue as `get_issue` returns it; `url` is its page on the site, when known.
pub fn issue(issue: &Value, url: Option<String>) -> Value {
    let fields = &issue["fields"];
    let person = |value: &Value| -> Value {
        match value["displayName"].as_str() {
            Some(name) => json!({ "name": name, "account_id": value["accountId"] }),
            None => Value::Null,
        }
    };
    let description = match &fields["description"] {
        Value::Null => Value::Null,
        Value::String(text) => text.clone().into(),
        doc => adf::to_text(doc).into(),
    };
    json!({
        "key": issue["key"],
        "id": issue["id"],
        "url": url,
        "summary": fields["summary"],
        "description": description,
        "status": fields["status"]["name"],
        "issue_type": fields["issuetype"]["name"],
        "project": fields["project"]["key"],
        "priority": fields["priority"]["name"],
        "assignee": person(&fields["assignee"]),
        "reporter": person(&fields["reporter"]),
        "labels": fields["labels"],
        "created": fields["created"],
        "updated": fields["updated"],
    })
}
