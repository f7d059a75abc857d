//! JSON Schemas (draft 2020-12) of tool inputs, derived from their Rust types.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

/// The draft 2020-12 schema of `T` as JSON text, as the WIT `tool.input-schema` wants it.
pub fn input_schema<T: JsonSchema>() -> String {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.as_value().to_string()
}

/// No arguments: send `{}`.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Find things in Notion.
    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Search {
        /// Words to look for.
        query: String,
        /// At most this many results.
        page_size: Option<u32>,
    }

    #[test]
    fn schema_is_draft_2020_12_object_with_descriptions() {
        let schema: Value = serde_json::from_str(&input_schema::<Search>()).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], serde_json::json!(["query"]));
        assert_eq!(
            schema["properties"]["query"]["description"],
            "Words to look for."
        );
        assert_eq!(schema["description"], "Find things in Notion.");
    }

    #[test]
    fn no_input_is_a_closed_empty_object() {
        let schema: Value = serde_json::from_str(&input_schema::<NoInput>()).unwrap();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
    }
}
