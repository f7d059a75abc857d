//! Builder methods on the WIT `identity`: who a credential belongs to, from `verify`.

use serde_json::Value;

pub use crate::bindings::latchkey::connector::types::Identity;
use crate::error::CallError;

impl Identity {
    /// The upstream's stable id for the credential's owner.
    pub fn new(subject: impl Into<String>) -> Self {
        Identity {
            subject: subject.into(),
            display_name: None,
            metadata: Vec::new(),
        }
    }

    /// A name a person recognises.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Reads subject and display name from a "who am I" answer by JSON pointer (RFC 6901);
    /// an answer without a subject is an upstream error.
    pub fn from_json(json: &Value, subject: &str, display_name: &str) -> Result<Self, CallError> {
        let identity = match json.pointer(subject) {
            Some(Value::String(id)) if !id.is_empty() => Identity::new(id.as_str()),
            Some(Value::Number(id)) => Identity::new(id.to_string()),
            _ => {
                return Err(CallError::upstream(
                    502,
                    format!("the identity answer has no `{subject}`"),
                ));
            }
        };
        Ok(match json.pointer(display_name).and_then(Value::as_str) {
            Some(name) => identity.display_name(name),
            None => identity,
        })
    }

    /// Adds metadata `key` from the string at `pointer` in `json`, when there is one.
    pub fn metadata_from(self, json: &Value, key: &str, pointer: &str) -> Self {
        match json.pointer(pointer).and_then(Value::as_str) {
            Some(value) => self.metadata(key, value),
            None => self,
        }
    }

    /// A non-secret fact worth keeping on the connection (workspace name, e-mail…).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Identity;
    use crate::error::CallError;
    use serde_json::json;

    #[test]
    fn builder() {
        let id = Identity::new("u1")
            .display_name("Ada")
            .metadata("email", "ada@x");
        assert_eq!(id.subject, "u1");
        assert_eq!(id.display_name.as_deref(), Some("Ada"));
        assert_eq!(id.metadata, [("email".into(), "ada@x".into())]);
    }

    #[test]
    fn from_json_reads_pointers() {
        let me = json!({"viewer": {"id": "u1", "name": "Ada", "email": "ada@x"}});
        let id = Identity::from_json(&me, "/viewer/id", "/viewer/name")
            .unwrap()
            .metadata_from(&me, "email", "/viewer/email")
            .metadata_from(&me, "missing", "/viewer/nope");
        assert_eq!(
            id,
            Identity::new("u1")
                .display_name("Ada")
                .metadata("email", "ada@x")
        );
        let numeric = Identity::from_json(&json!({"id": 42}), "/id", "/name").unwrap();
        assert_eq!(numeric, Identity::new("42"));
        assert!(matches!(
            Identity::from_json(&json!({"id": ""}), "/id", "/name"),
            Err(CallError::Upstream(_))
        ));
    }
}
