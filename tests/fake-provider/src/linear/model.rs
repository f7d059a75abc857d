//! Linear's data as the fake keeps it (one account per API key) and the JSON shapes of its
//! objects and GraphQL errors.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Accounts by API key.
pub type Accounts = HashMap<String, Account>;

/// What one API key sees.
pub struct Account {
    pub user_id: String,
    pub user_name: String,
    pub teams: Vec<Team>,
    /// Oldest first.
    pub issues: Vec<Issue>,
}

pub struct Team {
    pub id: String,
    pub key: String,
    pub name: String,
    /// Issues created so far, for identifiers like `ENG-3`.
    pub issue_count: u32,
}

pub struct Issue {
    pub id: String,
    pub identifier: String,
    pub title: String,
    pub description: Option<String>,
    pub team_id: String,
    pub created_at: String,
}

/// The ids handed back when a key is added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearSeed {
    pub user_id: String,
    /// The account's one team, to create issues in.
    pub team_id: String,
    pub team_key: String,
}

impl Account {
    /// The seed ids of this account.
    pub fn seed(&self) -> LinearSeed {
        let team = self.teams.first();
        LinearSeed {
            user_id: self.user_id.clone(),
            team_id: team.map(|t| t.id.clone()).unwrap_or_default(),
            team_key: team.map(|t| t.key.clone()).unwrap_or_default(),
        }
    }

    /// The viewer, with every field the connector may ask for.
    pub fn viewer_json(&self) -> Value {
        let email = format!(
            "{}@example.com",
            self.user_name.to_lowercase().replace(' ', ".")
        );
        json!({
            "id": self.user_id,
            "name": self.user_name,
            "displayName": self.user_name.split(' ').next().unwrap_or_default().to_lowercase(),
            "email": email,
            "active": true,
        })
    }

    /// `teams { nodes … }`.
    pub fn teams_json(&self) -> Value {
        let nodes: Vec<Value> = self.teams.iter().map(team_json).collect();
        json!({ "nodes": nodes, "pageInfo": { "hasNextPage": false, "endCursor": null } })
    }

    /// An issue with its team.
    pub fn issue_json(&self, issue: &Issue) -> Value {
        let team = self.teams.iter().find(|t| t.id == issue.team_id);
        json!({
            "id": issue.id,
            "identifier": issue.identifier,
            "title": issue.title,
            "description": issue.description,
            "url": format!("https://linear.app/fake/issue/{}", issue.identifier),
            "priority": 0,
            "createdAt": issue.created_at,
            "updatedAt": issue.created_at,
            "state": { "name": "Todo", "type": "unstarted" },
            "team": team.map(team_json),
            "assignee": null,
        })
    }
}

fn team_json(team: &Team) -> Value {
    json!({ "id": team.id, "key": team.key, "name": team.name })
}

/// One GraphQL error in Linear's shape.
pub fn graphql_error(message: &str, kind: &str, code: &str, user_message: &str) -> Value {
    json!({
        "message": message,
        "extensions": {
            "type": kind,
            "code": code,
            "userError": true,
            "userPresentableMessage": user_message,
        },
    })
}
