//! Jira project keys, issue keys and cloud ids, checked before they go into a URL path (so no
//! input can add segments, a query or a fragment).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A project key: an upper-case letter, then upper-case letters, digits or `_` (Jira's
/// default rule), at most 255 characters. Lower-case input is upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ProjectKey(String);

/// An issue key (`ENG-42`, any case) or a numeric issue id (`10042`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IssueKey(String);

const PROJECT_PATTERN: &str = "^[A-Za-z][A-Za-z0-9_]{0,254}$";
const ISSUE_PATTERN: &str = "^([A-Za-z][A-Za-z0-9_]{0,254}-[1-9][0-9]{0,17}|[1-9][0-9]{0,17})$";

fn project_ok(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && text.len() <= 255
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn number_ok(text: &str) -> bool {
    (1..=18).contains(&text.len())
        && !text.starts_with('0')
        && text.bytes().all(|b| b.is_ascii_digit())
}

impl TryFrom<String> for ProjectKey {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        if project_ok(trimmed) {
            Ok(ProjectKey(trimmed.to_ascii_uppercase()))
        } else {
            Err(format!(
                "`{}` is not a Jira project key (like ENG: a letter, then letters, digits or _)",
                clip(&text)
            ))
        }
    }
}

impl TryFrom<String> for IssueKey {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        let ok = match trimmed.rsplit_once('-') {
            Some((project, number)) => project_ok(project) && number_ok(number),
            None => number_ok(trimmed),
        };
        if ok {
            Ok(IssueKey(trimmed.to_ascii_uppercase()))
        } else {
            Err(format!(
                "`{}` is not a Jira issue key (like ENG-42) or issue id",
                clip(&text)
            ))
        }
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for ProjectKey {
    fn schema_name() -> Cow<'static, str> {
        "ProjectKey".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": PROJECT_PATTERN,
            "description": "The project's key, e.g. `ENG` (the prefix of its issue keys).",
        })
    }
}

impl JsonSchema for IssueKey {
    fn schema_name() -> Cow<'static, str> {
        "IssueKey".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": ISSUE_PATTERN,
            "description": "The issue's key, e.g. `ENG-42` (or its numeric id).",
        })
    }
}

/// Whether `text` is a cloud id (a UUID: 8-4-4-4-12 hexadecimal digits), safe in a path.
pub fn is_cloud_id(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// At most 60 characters of `text`, for messages that quote input.
fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised() {
        assert_eq!(
            ProjectKey::try_from(" eng ".to_owned())
                .unwrap()
                .to_string(),
            "ENG"
        );
        assert_eq!(
            IssueKey::try_from("eng-42".to_owned()).unwrap().to_string(),
            "ENG-42"
        );
        assert_eq!(
            IssueKey::try_from("10042".to_owned()).unwrap().to_string(),
            "10042"
        );
        assert!(ProjectKey::try_from("MY_PROJ2".to_owned()).is_ok());
        assert!(IssueKey::try_from("MY_PROJ2-1".to_owned()).is_ok());
    }

    #[test]
    fn nothing_that_could_change_the_path() {
        for bad in [
            "", "1ENG", "EN G", "ENG/1", "../x", "ENG?x=1", "ENG#", "É", "ENG-",
        ] {
            assert!(ProjectKey::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        for bad in [
            "",
            "ENG",
            "ENG-0",
            "ENG-01",
            "ENG-1/../../x",
            "ENG-1?fields=*all",
            "-1",
            "ENG--1",
            "ENG-1 ",
            "ENG-1%2F",
            "0",
            "ENG-1234567890123456789",
        ] {
            let trimmed_ok = bad == "ENG-1 ";
            assert_eq!(
                IssueKey::try_from(bad.to_owned()).is_ok(),
                trimmed_ok,
                "{bad}"
            );
        }
    }

    #[test]
    fn cloud_ids() {
        assert!(is_cloud_id("1324a887-45db-1bf4-1e99-ef0ff456d421"));
        assert!(!is_cloud_id("1324a887-45db-1bf4-1e99-ef0ff456d42"));
        assert!(!is_cloud_id("1324a887/45db-1bf4-1e99-ef0ff456d421"));
        assert!(!is_cloud_id("../../../../../../../../../../../../."));
    }
}
