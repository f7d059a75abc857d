//! The app's "current user" and what they answer on the consent screen.

use serde::{Deserialize, Serialize};

/// Who is signed in at the app, what they grant, and whether a consent page is shown.
///
/// JSON: `{"user": "Ada Lovelace", "grant": "all" | "deny" | {"only": ["scope", …]},
/// "page": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The signed-in user's name (see [`crate::people`]).
    pub user: String,
    /// What the user answers when asked (without a page) or what "Allow" grants by default.
    #[serde(default)]
    pub grant: ConsentGrant,
    /// Render an HTML consent page (Allow / Deny buttons, no JavaScript) instead of answering
    /// at once.
    #[serde(default)]
    pub page: bool,
}

/// The user's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentGrant {
    /// Every requested scope.
    #[default]
    All,
    /// Only the requested scopes in this list (possibly none).
    Only(Vec<String>),
    /// Refuse: the client gets `error=access_denied`.
    Deny,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            user: "Ada Lovelace".to_owned(),
            grant: ConsentGrant::All,
            page: false,
        }
    }
}

impl ConsentGrant {
    /// The scopes granted out of `requested`, or `None` for a refusal.
    pub fn apply(&self, requested: &[String]) -> Option<Vec<String>> {
        match self {
            ConsentGrant::All => Some(requested.to_vec()),
            ConsentGrant::Only(allowed) => Some(
                requested
                    .iter()
                    .filter(|scope| allowed.contains(scope))
                    .cloned()
                    .collect(),
            ),
            ConsentGrant::Deny => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers() {
        let requested = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(ConsentGrant::All.apply(&requested), Some(requested.clone()));
        assert_eq!(
            ConsentGrant::Only(vec!["b".into(), "c".into()]).apply(&requested),
            Some(vec!["b".to_owned()])
        );
        assert_eq!(ConsentGrant::Deny.apply(&requested), None);
    }

    #[test]
    fn json_forms() {
        let consent: Consent =
            serde_json::from_value(json!({"user": "Bo", "grant": {"only": ["repo"]}})).unwrap();
        assert_eq!(consent.grant, ConsentGrant::Only(vec!["repo".into()]));
        assert!(!consent.page);
        let deny: Consent =
            serde_json::from_value(json!({"user": "Bo", "grant": "deny", "page": true})).unwrap();
        assert_eq!(deny.grant, ConsentGrant::Deny);
        assert!(deny.page);
    }
}
