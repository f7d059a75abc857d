//! Notion page ids, checked before they go into a URL path (so no input can add segments).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A page id in Notion's dashed form (`8-4-4-4-12` lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PageId(String);

impl TryFrom<String> for PageId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        let hex: String = match trimmed.len() {
            32 => trimmed.to_owned(),
            36 if [8, 13, 18, 23]
                .iter()
                .all(|&i| trimmed.as_bytes()[i] == b'-') =>
            {
                trimmed.replace('-', "")
            }
            _ => String::new(),
        };
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "`{}` is not a Notion page id (32 hex digits, dashes optional)",
                crate::summary::clip(&text, 60)
            ));
        }
        let hex = hex.to_ascii_lowercase();
        Ok(PageId(format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )))
    }
}

impl fmt::Display for PageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for PageId {
    fn schema_name() -> Cow<'static, str> {
        "PageId".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::PageId;

    #[test]
    fn accepts_both_forms_and_normalises() {
        let dashed = PageId::try_from("59833787-2CF9-4FDF-8782-E53DB20768A5".to_owned()).unwrap();
        let plain = PageId::try_from("598337872cf94fdf8782e53db20768a5".to_owned()).unwrap();
        assert_eq!(dashed, plain);
        assert_eq!(dashed.to_string(), "59833787-2cf9-4fdf-8782-e53db20768a5");
    }

    #[test]
    fn refuses_anything_that_could_change_the_path() {
        for bad in [
            "",
            "../users/me",
            "598337872cf94fdf8782e53db20768a5/../../x",
            "59833787-2cf9-4fdf-8782-e53db20768a",
            "598337872cf94fdf8782e53db20768a5?x=1",
            "5983378-72cf9-4fdf-8782-e53db20768a5",
            "g98337872cf94fdf8782e53db20768a5",
            "é98337872cf94fdf8782e53db20768a",
        ] {
            assert!(PageId::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
