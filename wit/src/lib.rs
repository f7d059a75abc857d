//! The rules of the connector contract (`connector.wit`, beside this crate) that its types
//! cannot state: what a connector id and a tool name may be. Written once, here, for both
//! sides: the host refuses a plugin that breaks them when it loads it, and the SDK refuses
//! the connector in its own `cargo test`, before it is ever loaded. No dependencies, so the
//! SDK's wasm build and the host share it without either pulling in the other.

/// Longest connector id.
pub const MAX_CONNECTOR_ID: usize = 40;
/// Longest tool name.
pub const MAX_TOOL_NAME: usize = 48;

/// Whether `id` is a valid connector id, `[a-z][a-z0-9-]*` of at most 40 characters, not
/// ending in `-`: agents see tools as `<id>_<tool>`, so an id never holds a `_`.
pub fn valid_connector_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && id.len() <= MAX_CONNECTOR_ID
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-')
}

/// Whether `name` is a valid tool name within a connector, `[a-z][a-z0-9_]*` of at most 48
/// characters.
pub fn valid_tool_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= MAX_TOOL_NAME
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What is wrong with connector id `id`, in a sentence, or `None` when it is valid.
pub fn connector_id_problem(id: &str) -> Option<String> {
    (!valid_connector_id(id)).then(|| {
        format!(
            "id {id:?} must match [a-z][a-z0-9-]* (at most {MAX_CONNECTOR_ID} characters, not ending in '-'; no '_': agents see tools as <id>_<tool>)"
        )
    })
}

/// What is wrong with tool name `name`, in a sentence, or `None` when it is valid.
pub fn tool_name_problem(name: &str) -> Option<String> {
    (!valid_tool_name(name)).then(|| {
        format!(
            "tool name {name:?} must match [a-z][a-z0-9_]* (at most {MAX_TOOL_NAME} characters)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_ids() {
        for good in ["notion", "google-drive", "a1", "x"] {
            assert!(valid_connector_id(good), "{good}");
        }
        for bad in [
            "",
            "Notion",
            "1password",
            "google_drive",
            "trailing-",
            "with space",
            "é",
            &"a".repeat(41),
        ] {
            assert!(!valid_connector_id(bad), "{bad}");
            assert!(connector_id_problem(bad).is_some());
        }
        assert!(connector_id_problem(&"a".repeat(40)).is_none());
    }

    #[test]
    fn tool_names() {
        for good in ["search", "create_issue", "v2_list"] {
            assert!(valid_tool_name(good), "{good}");
        }
        for bad in ["", "Search", "_x", "list-items", &"a".repeat(49)] {
            assert!(!valid_tool_name(bad), "{bad}");
            assert!(tool_name_problem(bad).is_some());
        }
    }
}
