//! Who a call runs for, as the host told the connector (never a secret).

pub use crate::bindings::latchkey::connector::types::CallContext;

/// The call's user, connection, connection metadata and granted scopes.
#[derive(Debug, Clone)]
pub struct Context {
    raw: CallContext,
}

impl Context {
    /// Wraps the WIT call context.
    pub fn new(raw: CallContext) -> Self {
        Context { raw }
    }

    /// The user the call acts for.
    pub fn user_id(&self) -> &str {
        &self.raw.user_id
    }

    /// The connection whose credential the host attaches.
    pub fn connection_id(&self) -> &str {
        &self.raw.connection_id
    }

    /// A non-secret fact about the connection, e.g. Salesforce's `instance_url`.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.raw
            .metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The scopes the connection was granted.
    pub fn granted_scopes(&self) -> &[String] {
        &self.raw.granted_scopes
    }

    /// Whether the connection was granted `scope` (to skip optional work it cannot do).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.raw.granted_scopes.iter().any(|s| s == scope)
    }

    /// The WIT call context as received.
    pub fn as_raw(&self) -> &CallContext {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let ctx = Context::new(CallContext {
            user_id: "u".into(),
            connection_id: "c".into(),
            metadata: vec![("instance_url".into(), "https://x.my.salesforce.com".into())],
            granted_scopes: vec!["read".into()],
        });
        assert_eq!(ctx.user_id(), "u");
        assert_eq!(ctx.connection_id(), "c");
        assert_eq!(
            ctx.metadata("instance_url"),
            Some("https://x.my.salesforce.com")
        );
        assert_eq!(ctx.metadata("missing"), None);
        assert!(ctx.has_scope("read"));
        assert!(!ctx.has_scope("write"));
        assert_eq!(ctx.granted_scopes(), ["read".to_owned()]);
    }
}
