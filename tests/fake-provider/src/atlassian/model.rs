//! The one Jira Cloud site the fake has ("acme"): two projects, a few seeded issues, and the
//! JSON shapes of Jira's REST API v3 (issues, users, the site as accessible-resources lists it).

use serde_json::{Value, json};

use crate::clock;
use crate::people::Person;

/// The site's cloud id, as accessible-resources lists it.
pub const CLOUD_ID: &str = "1324a887-45db-4bf4-9e99-ef0ff456d421";
/// The site's own URL (browse links).
pub const SITE_URL: &str = "https://acme.atlassian.net";
/// The site's name.
pub const SITE_NAME: &str = "acme";
/// Where 3LO requests go (the API gateway), used in `self` links.
pub const API: &str = "https://api.atlassian.com";

/// Issue types every project has: (id, name).
pub const ISSUE_TYPES: &[(&str, &str)] = &[
    ("10001", "Task"),
    ("10002", "Bug"),
    ("10003", "Story"),
    ("10004", "Epic"),
];

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    pub id: u64,
    pub key: &'static str,
    pub name: &'static str,
}

/// An issue.
#[derive(Debug, Clone)]
pub struct Issue {
    pub id: u64,
    pub key: String,
    pub project: Project,
    pub summary: String,
    /// Atlassian Document Format, or `null`.
    pub description: Value,
    pub issue_type: (&'static str, &'static str),
    pub labels: Vec<String>,
    pub reporter: Person,
    pub created: String,
    pub updated: String,
}

/// The site's projects and issues.
#[derive(Default)]
pub struct JiraData {
    pub issues: Vec<Issue>,
    seeded: bool,
    next_id: u64,
}

/// The projects of the site.
pub fn projects() -> [Project; 2] {
    [
        Project {
            id: 10000,
            key: "ENG",
            name: "Engineering",
        },
        Project {
            id: 10001,
            key: "OPS",
            name: "Operations",
        },
    ]
}

/// Jira's timestamp form: `2026-01-02T03:04:05.000+0000`.
pub fn now() -> String {
    let now = clock::now();
    match now.strip_suffix('Z') {
        Some(base) => format!("{base}+0000"),
        None => now,
    }
}

/// A one-paragraph ADF document.
pub fn paragraph(text: &str) -> Value {
    json!({
        "type": "doc",
        "version": 1,
        "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": text }] }],
    })
}

/// Whether `value` is an ADF document (`type: doc`, `version: 1`, a `content` array).
pub fn is_adf(value: &Value) -> bool {
    value["type"] == "doc" && value["version"] == 1 && value["content"].is_array()
}

/// The Atlassian account id of `person`.
pub fn account_id(person: &Person) -> String {
    format!("712020:{:08x}-0000-4000-a000-{:012x}", person.id, person.id)
}

/// A user as Jira shows one.
pub fn user_json(person: &Person) -> Value {
    json!({
        "self": format!("{API}/ex/jira/{CLOUD_ID}/rest/api/3/user?accountId={}", account_id(person)),
        "accountId": account_id(person),
        "accountType": "atlassian",
        "emailAddress": person.email,
        "displayName": person.name,
        "active": true,
        "timeZone": "Etc/UTC",
        "locale": "en_US",
    })
}

impl JiraData {
    /// Seeds the site's issues the first time they are needed, reported by `person`.
    pub fn seed(&mut self, person: &Person) {
        if std::mem::replace(&mut self.seeded, true) {
            return;
        }
        let [eng, ops] = projects();
        for (project, summary, kind) in [
            (&eng, "Set up continuous integration", ISSUE_TYPES[0]),
            (&eng, "Login page crashes on Safari", ISSUE_TYPES[1]),
            (&ops, "Rotate the database credentials", ISSUE_TYPES[0]),
        ] {
            self.create(
                project.clone(),
                summary.to_owned(),
                paragraph("Seeded by the fake provider."),
                kind,
                Vec::new(),
                person,
            );
        }
    }

    /// Adds an issue and returns it.
    pub fn create(
        &mut self,
        project: Project,
        summary: String,
        description: Value,
        issue_type: (&'static str, &'static str),
        labels: Vec<String>,
        reporter: &Person,
    ) -> &Issue {
        self.next_id += 1;
        let number = self
            .issues
            .iter()
            .filter(|i| i.project.key == project.key)
            .count()
            + 1;
        let now = now();
        self.issues.push(Issue {
            id: 10_000 + self.next_id,
            key: format!("{}-{number}", project.key),
            project,
            summary,
            description,
            issue_type,
            labels,
            reporter: reporter.clone(),
            created: now.clone(),
            updated: now,
        });
        let last = self.issues.len() - 1;
        &self.issues[last]
    }

    /// The issue with this key (any case) or numeric id.
    pub fn find_mut(&mut self, key_or_id: &str) -> Option<&mut Issue> {
        self.issues
            .iter_mut()
            .find(|i| i.key.eq_ignore_ascii_case(key_or_id) || i.id.to_string() == key_or_id)
    }
}

impl Issue {
    /// The `self` link of the issue.
    pub fn self_url(&self) -> String {
        format!("{API}/ex/jira/{CLOUD_ID}/rest/api/3/issue/{}", self.id)
    }

    /// The issue as `GET /issue/{key}` answers it, with only `fields` (all when `None`).
    pub fn json(&self, fields: Option<&[String]>) -> Value {
        let reporter = user_json(&self.reporter);
        let all = json!({
            "summary": self.summary,
            "description": self.description,
            "issuetype": {
                "id": self.issue_type.0,
                "name": self.issue_type.1,
                "subtask": false,
            },
            "project": {
                "id": self.project.id.to_string(),
                "key": self.project.key,
                "name": self.project.name,
                "self": format!("{API}/ex/jira/{CLOUD_ID}/rest/api/3/project/{}", self.project.id),
            },
            "status": {
                "name": "To Do",
                "statusCategory": { "key": "new", "name": "To Do" },
            },
            "priority": { "id": "3", "name": "Medium" },
            "labels": self.labels,
            "reporter": reporter,
            "creator": reporter,
            "assignee": null,
            "created": self.created,
            "updated": self.updated,
        });
        let fields_json = match (fields, all) {
            (Some(wanted), Value::Object(map)) => Value::Object(
                map.into_iter()
                    .filter(|(k, _)| wanted.iter().any(|w| w == k))
                    .collect(),
            ),
            (_, all) => all,
        };
        json!({
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": self.id.to_string(),
            "self": self.self_url(),
            "key": self.key,
            "fields": fields_json,
        })
    }
}
