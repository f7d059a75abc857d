//! Builder methods on the WIT `manifest`: what a connector declares about itself.

use crate::auth::AuthScheme;
pub use crate::bindings::latchkey::connector::types::Manifest;

impl Manifest {
    /// A manifest with an id (`[a-z][a-z0-9-]*`), a display name and a semver version;
    /// tools are filled in from the connector's [`crate::Tools`].
    pub fn new(id: &str, name: &str, version: &str) -> Self {
        Manifest {
            id: id.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            description: String::new(),
            auth: Vec::new(),
            allowed_hosts: Vec::new(),
            setup_instructions: String::new(),
            tools: Vec::new(),
        }
    }

    /// One sentence on what the connector reaches.
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    /// Adds an accepted way to authenticate (the first added is preferred).
    pub fn auth(mut self, scheme: impl Into<AuthScheme>) -> Self {
        self.auth.push(scheme.into());
        self
    }

    /// Adds an origin the connector may reach, e.g. `https://api.notion.com`.
    pub fn allow_host(mut self, origin: &str) -> Self {
        self.allowed_hosts.push(origin.to_owned());
        self
    }

    /// Markdown shown on the connect page ("where do I find my API key?"). Classes on headings
    /// mark sections: `### For the operator {.operator}` is never shown to end users;
    /// `{.oauth2}`, `{.api-key}`, `{.basic}` go beside that way of connecting; `{.scopes}` lists
    /// `` `scope` — plain meaning `` items.
    pub fn setup_instructions(mut self, markdown: &str) -> Self {
        self.setup_instructions = markdown.to_owned();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{ApiKeyScheme, Placement};

    #[test]
    fn builder_collects_fields_in_order() {
        let manifest = Manifest::new("notion", "Notion", "0.1.0")
            .description("Pages.")
            .auth(ApiKeyScheme::bearer("Internal integration secret"))
            .allow_host("https://api.notion.com")
            .setup_instructions("# Setup");
        assert_eq!(manifest.id, "notion");
        assert_eq!(manifest.description, "Pages.");
        assert_eq!(
            manifest.allowed_hosts,
            ["https://api.notion.com".to_owned()]
        );
        assert_eq!(manifest.setup_instructions, "# Setup");
        let AuthScheme::ApiKey(key) = &manifest.auth[0] else {
            panic!("expected an api-key scheme");
        };
        assert_eq!(key.placement, Placement::Bearer);
        assert!(manifest.tools.is_empty());
    }
}
