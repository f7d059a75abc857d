//! Slack channels as an agent names them: an id (`C0123ABCD`) or a name (`general`, `#general`).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A channel id or name, checked (names lose their `#`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ChannelRef(String);

/// `C`, `G` or `D` and 8 or more upper-case letters or digits.
fn is_id(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b'C' | b'G' | b'D'))
        && (9..=24).contains(&text.len())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// 1–80 lower-case letters, digits, `-`, `_` or `.`.
fn is_name(text: &str) -> bool {
    (1..=80).contains(&text.len())
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

impl TryFrom<String> for ChannelRef {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        let name = trimmed.strip_prefix('#').unwrap_or(trimmed);
        if is_id(trimmed) {
            Ok(ChannelRef(trimmed.to_owned()))
        } else if is_name(name) {
            Ok(ChannelRef(name.to_owned()))
        } else {
            Err(format!(
                "`{}` is not a Slack channel id (like C0123ABCD) or name (like general)",
                trimmed.chars().take(60).collect::<String>()
            ))
        }
    }
}

impl fmt::Display for ChannelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for ChannelRef {
    fn schema_name() -> Cow<'static, str> {
        "ChannelRef".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([CGD][A-Z0-9]{8,23}|#?[a-z0-9._-]{1,80})$",
            "description": "The channel's id (e.g. C0123ABCD, as list_channels shows) or its name (e.g. general).",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        let parse = |t: &str| ChannelRef::try_from(t.to_owned()).map(|c| c.to_string());
        assert_eq!(parse("C0GENERAL01").unwrap(), "C0GENERAL01");
        assert_eq!(parse(" #general ").unwrap(), "general");
        assert_eq!(parse("eng-team_2").unwrap(), "eng-team_2");
        for bad in [
            "",
            "#",
            "General",
            "gen eral",
            "C0",
            "<@U123>",
            "#a/b",
            &"x".repeat(81),
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
