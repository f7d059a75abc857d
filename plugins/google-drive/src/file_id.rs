//! Drive file ids, checked before they go into a URL path (so no input can add segments).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A Drive file id: 1–200 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct FileId(String);

impl TryFrom<String> for FileId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        let ok = (1..=200).contains(&trimmed.len())
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if ok {
            Ok(FileId(trimmed.to_owned()))
        } else {
            let shown: String = text.chars().take(60).collect();
            Err(format!(
                "`{shown}` is not a Drive file id (letters, digits, - and _)"
            ))
        }
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for FileId {
    fn schema_name() -> Cow<'static, str> {
        "FileId".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,200}$",
            "description": "The file's id, as list_files returns it.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::FileId;

    #[test]
    fn ids() {
        let id = FileId::try_from("1Fk000000000000000000000000000001".to_owned()).unwrap();
        assert_eq!(id.to_string(), "1Fk000000000000000000000000000001");
        for bad in [
            "",
            "../about",
            "a/b",
            "a?fields=*",
            "a b",
            "é",
            &"a".repeat(201),
        ] {
            assert!(FileId::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
