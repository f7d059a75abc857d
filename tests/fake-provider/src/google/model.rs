//! Drive's data as the fake keeps it (every user gets a few files, one of them in the trash)
//! and the JSON of files and users (Drive API v3), with `fields` selection.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::clock;
use crate::people::Person;

/// A Google-Docs folder's MIME type.
pub const FOLDER: &str = "application/vnd.google-apps.folder";

/// Every file, and which people were seeded.
#[derive(Default)]
pub struct DriveData {
    pub files: Vec<DriveFile>,
    seeded: HashSet<u64>,
    next_id: u64,
}

/// A file (or folder).
#[derive(Debug, Clone)]
pub struct DriveFile {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    pub owner: Person,
    pub parents: Vec<String>,
    pub created_time: String,
    pub size: Option<u64>,
    pub trashed: bool,
    pub starred: bool,
}

/// Which file fields an answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    /// Drive's default: `kind`, `id`, `name`, `mimeType`.
    Default,
    All,
    Only(Vec<String>),
}

/// The id of `person`'s "My Drive" folder (what `'root'` stands for).
pub fn root_id(person: &Person) -> String {
    format!("0AFakeRoot{:08}Uk9PVA", person.id)
}

impl DriveData {
    /// Gives `person` their files the first time they are seen.
    pub fn seed(&mut self, person: &Person) {
        if !self.seeded.insert(person.id) {
            return;
        }
        let root = root_id(person);
        let reports = self.new_id();
        let now = clock::now();
        let file = |id: String, name: &str, mime: &str, parent: &str| DriveFile {
            id,
            name: name.to_owned(),
            mime_type: mime.to_owned(),
            owner: person.clone(),
            parents: vec![parent.to_owned()],
            created_time: now.clone(),
            size: None,
            trashed: false,
            starred: false,
        };
        let doc = "application/vnd.google-apps.document";
        let seeded = vec![
            file(reports.clone(), "Reports", FOLDER, &root),
            file(self.new_id(), "Project plan", doc, &root),
            DriveFile {
                starred: true,
                ..file(
                    self.new_id(),
                    "Budget 2026",
                    "application/vnd.google-apps.spreadsheet",
                    &root,
                )
            },
            DriveFile {
                size: Some(48_213),
                ..file(self.new_id(), "Team photo.png", "image/png", &root)
            },
            DriveFile {
                size: Some(183_204),
                ..file(self.new_id(), "Q3 report.pdf", "application/pdf", &reports)
            },
            DriveFile {
                trashed: true,
                ..file(self.new_id(), "Old draft", doc, &root)
            },
        ];
        self.files.extend(seeded);
    }

    /// A fresh Drive-shaped id (33 characters).
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("1Fk{:030}", self.next_id)
    }
}

impl Fields {
    /// Reads a `fields` parameter for one file (`id,name`, `owners(emailAddress)`, `*`);
    /// absent: the default. A sub-selection keeps the whole field.
    pub fn for_file(fields: Option<&str>) -> Self {
        let Some(text) = fields.map(str::trim).filter(|t| !t.is_empty()) else {
            return Fields::Default;
        };
        let items = split_top_level(text);
        if items.contains(&"*") {
            return Fields::All;
        }
        Fields::Only(items.iter().map(|item| field_name(item)).collect())
    }

    /// Reads a `fields` parameter of files.list (`nextPageToken, files(id, name)`, `files`,
    /// `*`, `files/id`).
    pub fn for_list(fields: Option<&str>) -> Self {
        let Some(text) = fields.map(str::trim).filter(|t| !t.is_empty()) else {
            return Fields::Default;
        };
        let mut nested = Vec::new();
        for item in split_top_level(text) {
            if item == "*" || item == "files" {
                return Fields::All;
            }
            if let Some(inner) = item
                .strip_prefix("files(")
                .and_then(|r| r.strip_suffix(')'))
            {
                return Self::for_file(Some(inner));
            }
            if let Some(name) = item.strip_prefix("files/") {
                nested.push(field_name(name));
            }
        }
        if nested.is_empty() {
            Fields::Default
        } else {
            Fields::Only(nested)
        }
    }
}

/// Splits on commas outside parentheses, trimming each item.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0_usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(text[start..].trim());
    items.retain(|item| !item.is_empty());
    items
}

/// `owners(emailAddress)` or `owners/emailAddress` → `owners`.
fn field_name(item: &str) -> String {
    item.split(['(', '/'])
        .next()
        .unwrap_or(item)
        .trim()
        .to_owned()
}

impl DriveFile {
    /// The file resource with the selected fields.
    pub fn json(&self, fields: &Fields) -> Value {
        let all = self.full_json();
        let keep: Vec<&str> = match fields {
            Fields::All => return all,
            Fields::Default => vec!["kind", "id", "name", "mimeType"],
            Fields::Only(names) => names.iter().map(String::as_str).collect(),
        };
        let Value::Object(all) = all else {
            return all;
        };
        let picked: Map<String, Value> = all
            .into_iter()
            .filter(|(key, _)| keep.contains(&key.as_str()))
            .collect();
        Value::Object(picked)
    }

    fn full_json(&self) -> Value {
        let link = if self.mime_type.starts_with("application/vnd.google-apps.") {
            let kind = self
                .mime_type
                .trim_start_matches("application/vnd.google-apps.");
            match kind {
                "folder" => format!("https://drive.google.com/drive/folders/{}", self.id),
                _ => format!(
                    "https://docs.google.com/{kind}/d/{}/edit?usp=drivesdk",
                    self.id
                ),
            }
        } else {
            format!(
                "https://drive.google.com/file/d/{}/view?usp=drivesdk",
                self.id
            )
        };
        let mut file = json!({
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": self.parents,
            "starred": self.starred,
            "trashed": self.trashed,
            "createdTime": self.created_time,
            "modifiedTime": self.created_time,
            "webViewLink": link,
            "iconLink": format!("https://drive-thirdparty.googleusercontent.com/16/type/{}", self.mime_type),
            "owners": [user_json(&self.owner)],
            "ownedByMe": true,
            "shared": false,
        });
        if let Some(size) = self.size {
            // Drive sends int64 values as strings.
            file["size"] = size.to_string().into();
        }
        file
    }
}

/// A Drive user resource.
pub fn user_json(person: &Person) -> Value {
    json!({
        "kind": "drive#user",
        "displayName": person.name,
        "photoLink": format!("https://lh3.googleusercontent.com/a/fake{}=s64", person.id),
        "me": true,
        "permissionId": format!("{:020}", person.id),
        "emailAddress": person.email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::People;

    #[test]
    fn fields_selection() {
        assert_eq!(Fields::for_file(None), Fields::Default);
        assert_eq!(Fields::for_file(Some("*")), Fields::All);
        assert_eq!(
            Fields::for_list(Some("nextPageToken, files(id, name, size)")),
            Fields::Only(vec!["id".into(), "name".into(), "size".into()])
        );
        assert_eq!(
            Fields::for_list(Some("files/id")),
            Fields::Only(vec!["id".into()])
        );
        assert_eq!(Fields::for_list(Some("files")), Fields::All);
        assert_eq!(Fields::for_list(Some("nextPageToken")), Fields::Default);
        assert_eq!(
            Fields::for_file(Some("id, owners(displayName, emailAddress), parents")),
            Fields::Only(vec!["id".into(), "owners".into(), "parents".into()])
        );
        assert_eq!(
            Fields::for_list(Some("files(id, owners(emailAddress)), nextPageToken")),
            Fields::Only(vec!["id".into(), "owners".into()])
        );
    }

    #[test]
    fn seeded_files() {
        let mut people = People::default();
        let ada = people.get("Ada");
        let mut data = DriveData::default();
        data.seed(&ada);
        data.seed(&ada);
        assert_eq!(data.files.len(), 6);
        let photo = data
            .files
            .iter()
            .find(|f| f.name == "Team photo.png")
            .unwrap();
        assert_eq!(photo.id.len(), 33);
        let default = photo.json(&Fields::Default);
        assert_eq!(default.as_object().map(|o| o.len()), Some(4));
        assert_eq!(photo.json(&Fields::All)["size"], "48213");
        assert_eq!(
            photo.json(&Fields::Only(vec!["name".into()])),
            json!({"name": "Team photo.png"})
        );
    }
}
