//! Tool inputs: made up from a tool's JSON Schema when nobody gave a sample, and filled in from
//! `{{variables}}` (see [`super::scenario_file`]).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Values `{{name}}` stands for.
pub type Vars = BTreeMap<String, Value>;

/// An input that satisfies `schema`'s required properties with placeholder values (the
/// schema's `default`, `const`, first `enum` value or `examples` entry when it has one).
pub fn from_schema(schema: &Value) -> Value {
    from_schema_at(schema, schema, 0)
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    }
}

fn from_schema_at(root: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(root, schema);
    if depth > 8 {
        return Value::Null;
    }
    for key in ["default", "const"] {
        if let Some(v) = schema.get(key) {
            return v.clone();
        }
    }
    if let Some(v) = schema.get("enum").and_then(|e| e.get(0)) {
        return v.clone();
    }
    if let Some(v) = schema.get("examples").and_then(|e| e.get(0)) {
        return v.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema.get(key).and_then(|e| {
            e.as_array()?
                .iter()
                .find(|s| resolve(root, s).get("type") != Some(&json!("null")))
        }) {
            return from_schema_at(root, first, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut out = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for name in required {
                let prop = schema
                    .pointer(&format!(
                        "/properties/{}",
                        name.replace('~', "~0").replace('/', "~1")
                    ))
                    .unwrap_or(&Value::Null);
                out.insert(name.to_string(), from_schema_at(root, prop, depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema.get("items").unwrap_or(&Value::Null);
            Value::Array(
                (0..min.min(4))
                    .map(|_| from_schema_at(root, item, depth + 1))
                    .collect(),
            )
        }
        "integer" => json!(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1)
        ),
        "number" => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(1.0)),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => {
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            let text = "latchkey-check";
            if (text.len() as u64) < min {
                json!("x".repeat(usize::try_from(min).unwrap_or(16)))
            } else {
                json!(text)
            }
        }
    }
}

/// Why an input could not be filled in.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown variable {{{{{0}}}}} (known: {1})")]
pub struct UnknownVar(pub String, pub String);

/// `input` with every `{{name}}` replaced from `vars`.
pub fn fill(input: &Value, vars: &Vars) -> Result<Value, UnknownVar> {
    match input {
        Value::String(s) => fill_str(s, vars),
        Value::Array(items) => items
            .iter()
            .map(|v| fill(v, vars))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), fill(v, vars)?);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn lookup(name: &str, vars: &Vars) -> Result<Value, UnknownVar> {
    vars.get(name).cloned().ok_or_else(|| {
        UnknownVar(
            name.to_string(),
            vars.keys().cloned().collect::<Vec<_>>().join(", "),
        )
    })
}

fn fill_str(s: &str, vars: &Vars) -> Result<Value, UnknownVar> {
    let trimmed = s.trim();
    if let Some(name) = trimmed
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .filter(|n| !n.contains("{{") && !n.contains("}}"))
    {
        return lookup(name.trim(), vars);
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        match lookup(after[..end].trim(), vars)? {
            Value::String(v) => out.push_str(&v),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_from_schemas() {
        let schema = json!({
            "type": "object",
            "required": ["title", "team", "count", "kind", "tags", "nested", "maybe"],
            "properties": {
                "title": {"type": "string", "minLength": 3},
                "team": {"$ref": "#/$defs/Team"},
                "count": {"type": "integer", "minimum": 5},
                "kind": {"enum": ["bug", "task"]},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "nested": {"type": "object", "required": ["on"], "properties": {"on": {"type": "boolean"}}},
                "maybe": {"anyOf": [{"type": "null"}, {"type": "string", "default": "d"}]},
                "optional": {"type": "string"}
            },
            "$defs": {"Team": {"type": "string", "examples": ["ENG"]}}
        });
        assert_eq!(
            from_schema(&schema),
            json!({"title": "latchkey-check", "team": "ENG", "count": 5, "kind": "bug",
                   "tags": ["latchkey-check"], "nested": {"on": false}, "maybe": "d"})
        );
        assert_eq!(from_schema(&json!({"type": "object"})), json!({}));
    }

    #[test]
    fn variables_are_filled_in() {
        let vars: Vars = [
            ("login".to_string(), json!("kit-tester")),
            ("n".to_string(), json!(7)),
        ]
        .into();
        let input = json!({"owner": "{{login}}", "number": "{{ n }}", "title": "#{{n}} by {{login}}", "list": ["{{n}}"], "keep": 1});
        assert_eq!(
            fill(&input, &vars).expect("filled"),
            json!({"owner": "kit-tester", "number": 7, "title": "#7 by kit-tester", "list": [7], "keep": 1})
        );
        let err = fill(&json!({"x": "{{nope}}"}), &vars).expect_err("unknown");
        assert!(err.to_string().contains("{{nope}}"), "{err}");
        assert_eq!(fill(&json!("a {{ b"), &vars), Ok(json!("a {{ b")));
    }
}
