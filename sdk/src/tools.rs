//! The typed tool router: each tool is written once, with its input type, and both the
//! manifest's tool list and `call-tool` dispatch come from it.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::latchkey::connector::types::Tool;
use crate::context::Context;
use crate::error::CallError;
use crate::schema;

type Handler = Box<dyn Fn(&Context, &str) -> Result<String, CallError>>;

/// One registered tool: what the manifest says about it, and how to run it.
struct Entry {
    name: String,
    description: String,
    required_scopes: Vec<String>,
    read_only: bool,
    input_schema: fn() -> String,
    handler: Handler,
}

/// The tools of a connector, in the order registered.
#[derive(Default)]
pub struct Tools {
    entries: Vec<Entry>,
}

impl Tools {
    /// No tools yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool that changes things upstream.
    ///
    /// # Panics
    /// When `name` is already registered: a connector bug, caught the first time it runs.
    pub fn tool<I, O, F>(self, name: &str, description: &str, scopes: &[&str], handler: F) -> Self
    where
        I: DeserializeOwned + JsonSchema,
        O: Serialize,
        F: Fn(&Context, I) -> Result<O, CallError> + 'static,
    {
        self.add(name, description, scopes, false, handler)
    }

    /// Adds a tool that only reads.
    ///
    /// # Panics
    /// When `name` is already registered.
    pub fn read_only<I, O, F>(
        self,
        name: &str,
        description: &str,
        scopes: &[&str],
        handler: F,
    ) -> Self
    where
        I: DeserializeOwned + JsonSchema,
        O: Serialize,
        F: Fn(&Context, I) -> Result<O, CallError> + 'static,
    {
        self.add(name, description, scopes, true, handler)
    }

    fn add<I, O, F>(
        mut self,
        name: &str,
        description: &str,
        scopes: &[&str],
        read_only: bool,
        handler: F,
    ) -> Self
    where
        I: DeserializeOwned + JsonSchema,
        O: Serialize,
        F: Fn(&Context, I) -> Result<O, CallError> + 'static,
    {
        assert!(
            self.entries.iter().all(|e| e.name != name),
            "tool `{name}` is registered twice"
        );
        let tool = name.to_owned();
        let handler = move |ctx: &Context, input: &str| {
            let input = parse_input::<I>(&tool, input)?;
            let output = handler(ctx, input)?;
            serde_json::to_string(&output).map_err(|e| {
                CallError::internal(format!("could not encode the output of `{tool}`: {e}"))
            })
        };
        self.entries.push(Entry {
            name: name.to_owned(),
            description: description.to_owned(),
            required_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            read_only,
            input_schema: schema::input_schema::<I>,
            handler: Box::new(handler),
        });
        self
    }

    /// The manifest entries of all tools, schemas included.
    pub fn list(&self) -> Vec<Tool> {
        self.entries
            .iter()
            .map(|e| Tool {
                name: e.name.clone(),
                description: e.description.clone(),
                input_schema: (e.input_schema)(),
                required_scopes: e.required_scopes.clone(),
                read_only: e.read_only,
            })
            .collect()
    }

    /// Runs the tool `name` on JSON `input`, returning JSON output.
    pub fn call(&self, ctx: &Context, name: &str, input: &str) -> Result<String, CallError> {
        match self.entries.iter().find(|e| e.name == name) {
            Some(entry) => (entry.handler)(ctx, input),
            None => Err(CallError::invalid_input(format!(
                "unknown tool `{name}`; this connector has: {}",
                self.entries
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// Reads a tool's input; empty text counts as `{}` so argument-less calls just work.
fn parse_input<I: DeserializeOwned>(tool: &str, input: &str) -> Result<I, CallError> {
    let input = if input.trim().is_empty() { "{}" } else { input };
    serde_json::from_str(input)
        .map_err(|e| CallError::invalid_input(format!("invalid input for `{tool}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::NoInput;
    use crate::testing;
    use serde::Deserialize;
    use serde_json::{Value, json};

    #[derive(Deserialize, JsonSchema)]
    struct Add {
        a: i64,
        b: i64,
    }

    fn add(_: &Context, input: Add) -> Result<Value, CallError> {
        Ok(json!({ "sum": input.a + input.b }))
    }

    fn whoami(ctx: &Context, _: NoInput) -> Result<String, CallError> {
        Ok(ctx.user_id().to_owned())
    }

    fn tools() -> Tools {
        Tools::new()
            .tool("add", "Adds two numbers.", &["math:write"], add)
            .read_only("whoami", "The user.", &[], whoami)
    }

    #[test]
    fn list_describes_every_tool() {
        let list = tools().list();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "add");
        assert_eq!(list[0].required_scopes, ["math:write".to_owned()]);
        assert!(!list[0].read_only);
        assert!(list[1].read_only);
        let schema: Value = serde_json::from_str(&list[0].input_schema).unwrap();
        assert_eq!(schema["required"], json!(["a", "b"]));
    }

    #[test]
    fn call_dispatches_by_name() {
        let ctx = testing::context(&[]);
        assert_eq!(
            tools().call(&ctx, "add", r#"{"a":2,"b":3}"#).unwrap(),
            r#"{"sum":5}"#
        );
        assert_eq!(tools().call(&ctx, "whoami", "").unwrap(), "\"user-1\"");
    }

    #[test]
    fn bad_input_is_invalid_input() {
        let ctx = testing::context(&[]);
        let Err(CallError::InvalidInput(message)) = tools().call(&ctx, "add", r#"{"a":2}"#) else {
            panic!("expected invalid-input");
        };
        assert!(
            message.contains("`add`") && message.contains("missing field `b`"),
            "{message}"
        );
        assert!(matches!(
            tools().call(&ctx, "add", "not json"),
            Err(CallError::InvalidInput(_))
        ));
        assert!(matches!(
            tools().call(&ctx, "whoami", r#"{"extra":1}"#),
            Err(CallError::InvalidInput(_))
        ));
    }

    #[test]
    fn unknown_tool_lists_the_known_ones() {
        let ctx = testing::context(&[]);
        assert_eq!(
            tools().call(&ctx, "nope", "{}"),
            Err(CallError::invalid_input(
                "unknown tool `nope`; this connector has: add, whoami"
            ))
        );
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn duplicate_names_are_refused() {
        let _ =
            Tools::new()
                .read_only("whoami", "", &[], whoami)
                .read_only("whoami", "", &[], whoami);
    }
}
