//! Compact views of Drive files for agents.

use serde_json::{Value, json};

/// Fields asked of files.list (Drive's partial-response syntax).
pub const LIST_FIELDS: &str =
    "nextPageToken, files(id, name, mimeType, modifiedTime, size, webViewLink)";
/// Fields asked of files.get.
pub const FILE_FIELDS: &str = "id, name, mimeType, createdTime, modifiedTime, size, \
                               webViewLink, parents, starred, trashed, owners(displayName, emailAddress)";

/// One file, with only the fields an agent needs (Drive sends `size` as a string).
pub fn file(file: &Value) -> Value {
    let mut out = json!({
        "id": file["id"],
        "name": file["name"],
        "mime_type": file["mimeType"],
        "modified_time": file["modifiedTime"],
        "web_view_link": file["webViewLink"],
    });
    if let Some(size) = file["size"].as_str().and_then(|s| s.parse::<u64>().ok()) {
        out["size"] = size.into();
    }
    if file["mimeType"] == "application/vnd.google-apps.folder" {
        out["is_folder"] = true.into();
    }
    out
}

/// A files.list answer: the files, and the token for the next page.
pub fn file_list(answer: &Value) -> Value {
    let files: Vec<Value> = answer["files"]
        .as_array()
        .map(|items| items.iter().map(file).collect())
        .unwrap_or_default();
    json!({ "files": files, "next_page_token": answer["nextPageToken"] })
}

/// A files.get answer, with owners and dates.
pub fn file_details(answer: &Value) -> Value {
    let mut out = file(answer);
    out["created_time"] = answer["createdTime"].clone();
    out["parents"] = answer["parents"].clone();
    out["starred"] = answer["starred"].clone();
    out["trashed"] = answer["trashed"].clone();
    let owners: Vec<Value> = answer["owners"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| json!({ "name": o["displayName"], "email": o["emailAddress"] }))
        .collect();
    out["owners"] = owners.into();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_folders() {
        let list = json!({"files": [
            {"id": "1", "name": "a.png", "mimeType": "image/png", "size": "48213"},
            {"id": "2", "name": "Reports", "mimeType": "application/vnd.google-apps.folder"},
        ], "nextPageToken": "t"});
        let out = file_list(&list);
        assert_eq!(out["files"][0]["size"], 48213);
        assert!(out["files"][0].get("is_folder").is_none());
        assert_eq!(out["files"][1]["is_folder"], true);
        assert_eq!(out["next_page_token"], "t");
        assert_eq!(file_list(&json!({}))["files"], json!([]));
    }
}
