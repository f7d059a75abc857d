//! The `[mcp]` table of the configuration file.

use serde::Deserialize;

/// Settings for the MCP endpoint (`/mcp`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpSettings {
    /// Serve `/mcp` and its protected-resource metadata.
    pub enabled: bool,
    /// `Host` values accepted besides the public URL's and the loopback names: `name` (any
    /// port) or `name:port`. Everything else is refused (DNS rebinding).
    pub allowed_hosts: Vec<String>,
    /// Browser origins (`scheme://host[:port]`) accepted besides the public URL's origin and
    /// loopback origins. A request without `Origin` (not from a browser) is not affected.
    pub allowed_origins: Vec<String>,
    /// Seconds a tool call waits for the user to finish connecting once the client accepted a
    /// URL elicitation (then it answers with the link instead).
    pub elicitation_wait_seconds: u64,
}

impl Default for McpSettings {
    fn default() -> Self {
        McpSettings {
            enabled: true,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            elicitation_wait_seconds: 45,
        }
    }
}
