//! Repository owners and names, checked before they go into a URL path (so no input can add
//! segments or a query).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A user or organisation login: 1–39 letters, digits or hyphens, not starting with a hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Owner(String);

/// A repository name: 1–100 letters, digits, `.`, `_` or `-`, and not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RepoName(String);

const OWNER_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9-]{0,38}$";
const REPO_PATTERN: &str = "^[A-Za-z0-9._-]{1,100}$";

impl TryFrom<String> for Owner {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let ok = (1..=39).contains(&text.len())
            && !text.starts_with('-')
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(Owner(text))
        } else {
            Err(format!(
                "`{}` is not a GitHub user or organisation",
                clip(&text)
            ))
        }
    }
}

impl TryFrom<String> for RepoName {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let ok = (1..=100).contains(&text.len())
            && text != "."
            && text != ".."
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(RepoName(text))
        } else {
            Err(format!("`{}` is not a GitHub repository name", clip(&text)))
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for Owner {
    fn schema_name() -> Cow<'static, str> {
        "Owner".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": OWNER_PATTERN,
            "description": "The user or organisation that owns the repository, e.g. `octocat`.",
        })
    }
}

impl JsonSchema for RepoName {
    fn schema_name() -> Cow<'static, str> {
        "RepoName".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": REPO_PATTERN,
            "description": "The repository name without its owner, e.g. `hello-world`.",
        })
    }
}

/// At most 60 characters of `text`, for messages that quote input.
fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_names() {
        for owner in ["octocat", "rust-lang", "a", "A1-b2"] {
            assert!(Owner::try_from(owner.to_owned()).is_ok(), "{owner}");
        }
        for repo in ["hello-world", "rust", ".github", "a_b.c-d"] {
            assert!(RepoName::try_from(repo.to_owned()).is_ok(), "{repo}");
        }
    }

    #[test]
    fn refuses_anything_that_could_change_the_path() {
        for owner in ["", "-lead", "a/b", "a b", "a?x=1", "é", &"a".repeat(40)] {
            assert!(Owner::try_from(owner.to_owned()).is_err(), "{owner}");
        }
        for repo in ["", ".", "..", "a/b", "x%2F", "a b", "r?x", &"r".repeat(101)] {
            assert!(RepoName::try_from(repo.to_owned()).is_err(), "{repo}");
        }
    }
}
