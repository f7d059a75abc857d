//! Compact views of GitHub objects for agents.

use serde_json::{Value, json};

/// The authenticated user.
pub fn user(user: &Value) -> Value {
    json!({
        "login": user["login"],
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "html_url": user["html_url"],
        "public_repos": user["public_repos"],
    })
}

/// A repository.
pub fn repo(repo: &Value) -> Value {
    json!({
        "full_name": repo["full_name"],
        "private": repo["private"],
        "description": repo["description"],
        "html_url": repo["html_url"],
        "default_branch": repo["default_branch"],
        "open_issues_count": repo["open_issues_count"],
        "updated_at": repo["updated_at"],
    })
}

/// An issue (GitHub lists pull requests among issues: `is_pull_request` says which).
pub fn issue(issue: &Value) -> Value {
    let labels: Vec<Value> = issue["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|label| label["name"].as_str().map(Value::from))
        .collect();
    json!({
        "number": issue["number"],
        "title": issue["title"],
        "state": issue["state"],
        "html_url": issue["html_url"],
        "author": issue["user"]["login"],
        "labels": labels,
        "comments": issue["comments"],
        "created_at": issue["created_at"],
        "is_pull_request": issue.get("pull_request").is_some(),
    })
}

/// Each element of a JSON array answer, summarised.
pub fn each(answer: &Value, summarise: fn(&Value) -> Value) -> Vec<Value> {
    answer
        .as_array()
        .map(|items| items.iter().map(summarise).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_pull_requests() {
        let answer = json!([
            {"number": 1, "title": "Bug", "state": "open", "user": {"login": "ada"},
             "labels": [{"name": "bug"}, {"id": 3}]},
            {"number": 2, "title": "Fix", "pull_request": {"url": "u"}, "labels": []},
        ]);
        let issues = each(&answer, issue);
        assert_eq!(issues[0]["author"], "ada");
        assert_eq!(issues[0]["labels"], json!(["bug"]));
        assert_eq!(issues[0]["is_pull_request"], false);
        assert_eq!(issues[1]["is_pull_request"], true);
        assert!(each(&json!({"message": "x"}), repo).is_empty());
    }
}
