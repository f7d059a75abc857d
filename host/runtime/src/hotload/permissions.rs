//! What a connector version may do with users' credentials: the hosts it may reach, the
//! scopes it asks for, and where its auth schemes send secrets. An update that adds to any
//! of these waits for an operator's approval.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{AuthScheme, Manifest, Placement};

/// The security-relevant surface of one connector version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Allowed origins, as declared (case-folded).
    pub hosts: BTreeSet<String>,
    /// Scopes the tools require plus the scopes its auth schemes ask for.
    pub scopes: BTreeSet<String>,
    /// One line per auth scheme: its kind and everything that decides where a secret goes.
    pub auth: BTreeSet<String>,
}

fn placement(p: &Placement) -> String {
    match p {
        Placement::Bearer => "bearer".into(),
        Placement::Basic => "basic".into(),
        Placement::Header { name, prefix } => {
            format!("header {:?} prefix {prefix:?}", name.to_ascii_lowercase())
        }
        Placement::Query { name } => format!("query {name:?}"),
    }
}

fn scheme(s: &AuthScheme) -> String {
    match s {
        AuthScheme::Oauth2(o) => format!(
            "oauth2 authorize={} token={} revoke={} auth={:?} placement={}",
            o.authorize_url,
            o.token_url,
            o.revoke_url.as_deref().unwrap_or("-"),
            o.token_endpoint_auth,
            placement(&o.placement)
        ),
        AuthScheme::ApiKey(k) => format!("api_key placement={}", placement(&k.placement)),
        AuthScheme::Basic(_) => "basic".into(),
        AuthScheme::ServiceAccount(s) => format!(
            "service_account {:?} token={} audience={} placement={}",
            s.kind,
            s.token_url,
            s.audience.as_deref().unwrap_or("-"),
            placement(&s.placement)
        ),
    }
}

impl Permissions {
    /// The permissions a manifest asks for.
    pub fn of(m: &Manifest) -> Permissions {
        let mut scopes: BTreeSet<String> = m
            .tools
            .iter()
            .flat_map(|t| t.required_scopes.iter().cloned())
            .collect();
        for s in &m.auth {
            match s {
                AuthScheme::Oauth2(o) => scopes.extend(o.default_scopes.iter().cloned()),
                AuthScheme::ServiceAccount(sa) => scopes.extend(sa.scopes.iter().cloned()),
                AuthScheme::ApiKey(_) | AuthScheme::Basic(_) => {}
            }
        }
        Permissions {
            hosts: m
                .allowed_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            scopes,
            auth: m.auth.iter().map(scheme).collect(),
        }
    }

    /// What `self` asks for beyond `approved`, one readable line each; empty when nothing.
    pub fn widening_over(&self, approved: &Permissions) -> Vec<String> {
        let new = |what: &str, mine: &BTreeSet<String>, theirs: &BTreeSet<String>| {
            mine.difference(theirs)
                .map(|x| format!("new {what}: {x}"))
                .collect::<Vec<_>>()
        };
        let mut out = new("host", &self.hosts, &approved.hosts);
        out.extend(new("scope", &self.scopes, &approved.scopes));
        out.extend(new("auth scheme", &self.auth, &approved.auth));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiKeyScheme, ToolSpec};

    fn manifest(hosts: &[&str], scopes: &[&str], header: Option<&str>) -> Manifest {
        Manifest {
            id: "x".into(),
            name: "X".into(),
            version: "1".into(),
            description: String::new(),
            auth: vec![AuthScheme::ApiKey(ApiKeyScheme {
                label: "Key".into(),
                placement: match header {
                    Some(name) => Placement::Header {
                        name: name.into(),
                        prefix: String::new(),
                    },
                    None => Placement::Bearer,
                },
            })],
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            setup_instructions: String::new(),
            tools: vec![ToolSpec {
                name: "t".into(),
                description: "t".into(),
                input_schema: serde_json::json!({"type": "object"}),
                required_scopes: scopes.iter().map(|s| s.to_string()).collect(),
                read_only: true,
            }],
        }
    }

    #[test]
    fn narrowing_or_equal_is_not_widening() {
        let old = Permissions::of(&manifest(
            &["https://a.com", "https://b.com"],
            &["r", "w"],
            None,
        ));
        let same = Permissions::of(&manifest(
            &["https://A.com", "https://b.com"],
            &["w", "r"],
            None,
        ));
        let narrower = Permissions::of(&manifest(&["https://a.com"], &["r"], None));
        assert!(same.widening_over(&old).is_empty());
        assert!(narrower.widening_over(&old).is_empty());
    }

    #[test]
    fn new_hosts_scopes_or_placements_are_widening() {
        let old = Permissions::of(&manifest(&["https://a.com"], &["r"], None));
        let hosts = Permissions::of(&manifest(
            &["https://a.com", "https://evil.com"],
            &["r"],
            None,
        ));
        assert_eq!(
            hosts.widening_over(&old),
            vec!["new host: https://evil.com"]
        );
        let scopes = Permissions::of(&manifest(&["https://a.com"], &["r", "admin"], None));
        assert_eq!(scopes.widening_over(&old), vec!["new scope: admin"]);
        let placement = Permissions::of(&manifest(&["https://a.com"], &["r"], Some("X-Key")));
        let w = placement.widening_over(&old);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].starts_with("new auth scheme: api_key placement=header"),
            "{w:?}"
        );
    }
}
