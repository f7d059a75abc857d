//! GitHub's data as the fake keeps it (every user gets a public and a private repository with
//! one issue each) and the JSON shapes of users, repositories and issues (REST 2022-11-28).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::clock;
use crate::people::Person;

/// The real API origin, used in the URLs inside answers.
pub const API: &str = "https://api.github.com";

/// All repositories, and which users were seeded.
#[derive(Default)]
pub struct GithubData {
    pub repos: Vec<Repo>,
    seeded: HashSet<u64>,
    next_id: u64,
}

/// A repository.
pub struct Repo {
    pub id: u64,
    pub owner: Person,
    pub name: String,
    pub private: bool,
    pub description: String,
    pub created_at: String,
    pub issues: Vec<Issue>,
}

/// An issue.
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub open: bool,
    pub author: Person,
    pub labels: Vec<String>,
    pub created_at: String,
}

impl GithubData {
    /// Gives `person` their two repositories the first time they are seen.
    pub fn seed(&mut self, person: &Person) {
        if !self.seeded.insert(person.id) {
            return;
        }
        let now = seconds(&clock::now());
        for (name, private, description, issue) in [
            ("hello-world", false, "My first repository.", "Found a bug"),
            (
                "private-notes",
                true,
                "Notes nobody else sees.",
                "Remember the milk",
            ),
        ] {
            let issue = Issue {
                id: self.new_id(),
                number: 1,
                title: issue.to_owned(),
                body: Some("Seeded by the fake provider.".to_owned()),
                open: true,
                author: person.clone(),
                labels: vec!["bug".to_owned()],
                created_at: now.clone(),
            };
            let repo = Repo {
                id: self.new_id(),
                owner: person.clone(),
                name: name.to_owned(),
                private,
                description: description.to_owned(),
                created_at: now.clone(),
                issues: vec![issue],
            };
            self.repos.push(repo);
        }
    }

    /// A fresh numeric id.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        100_000 + self.next_id
    }

    /// The repository `owner/name` (case-insensitive, as GitHub matches).
    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repo> {
        self.repos.iter_mut().find(|r| {
            r.owner.login.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name)
        })
    }
}

impl Repo {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner.login, self.name)
    }

    /// The repository object.
    pub fn json(&self, viewer: &Person) -> Value {
        let full = self.full_name();
        let admin = viewer.id == self.owner.id;
        json!({
            "id": self.id,
            "node_id": format!("R_fake{}", self.id),
            "name": self.name,
            "full_name": full,
            "private": self.private,
            "owner": simple_user(&self.owner),
            "html_url": format!("https://github.com/{full}"),
            "description": self.description,
            "fork": false,
            "url": format!("{API}/repos/{full}"),
            "issues_url": format!("{API}/repos/{full}/issues{{/number}}"),
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "pushed_at": self.created_at,
            "homepage": null,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": null,
            "has_issues": true,
            "forks_count": 0,
            "archived": false,
            "disabled": false,
            "open_issues_count": self.issues.iter().filter(|i| i.open).count(),
            "visibility": if self.private { "private" } else { "public" },
            "default_branch": "main",
            "permissions": {
                "admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": true,
            },
        })
    }

    /// An issue object of this repository.
    pub fn issue_json(&self, issue: &Issue) -> Value {
        let full = self.full_name();
        let association = if issue.author.id == self.owner.id {
            "OWNER"
        } else {
            "NONE"
        };
        let labels: Vec<Value> = issue
            .labels
            .iter()
            .map(|name| {
                json!({
                    "id": label_id(name),
                    "node_id": format!("LA_fake{}", label_id(name)),
                    "url": format!("{API}/repos/{full}/labels/{name}"),
                    "name": name,
                    "color": "d73a4a",
                    "default": name == "bug",
                    "description": null,
                })
            })
            .collect();
        json!({
            "id": issue.id,
            "node_id": format!("I_fake{}", issue.id),
            "url": format!("{API}/repos/{full}/issues/{}", issue.number),
            "repository_url": format!("{API}/repos/{full}"),
            "html_url": format!("https://github.com/{full}/issues/{}", issue.number),
            "number": issue.number,
            "state": if issue.open { "open" } else { "closed" },
            "state_reason": null,
            "title": issue.title,
            "body": issue.body,
            "user": simple_user(&issue.author),
            "labels": labels,
            "assignee": null,
            "assignees": [],
            "milestone": null,
            "locked": false,
            "comments": 0,
            "closed_at": null,
            "created_at": issue.created_at,
            "updated_at": issue.created_at,
            "author_association": association,
        })
    }
}

/// A user as embedded in other objects.
pub fn simple_user(person: &Person) -> Value {
    json!({
        "login": person.login,
        "id": person.id,
        "node_id": format!("U_fake{}", person.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", person.id),
        "gravatar_id": "",
        "url": format!("{API}/users/{}", person.login),
        "html_url": format!("https://github.com/{}", person.login),
        "type": "User",
        "site_admin": false,
    })
}

/// The authenticated user, as `GET /user` returns it.
pub fn private_user(person: &Person, public_repos: usize, private_repos: usize) -> Value {
    let mut user = simple_user(person);
    let extra = json!({
        "name": person.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": person.email,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "total_private_repos": private_repos,
        "owned_private_repos": private_repos,
    });
    if let (Value::Object(user), Value::Object(extra)) = (&mut user, extra) {
        user.extend(extra);
    }
    user
}

/// A stable id for a label name.
fn label_id(name: &str) -> u64 {
    name.bytes().fold(7_000_000_u64, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u64::from(b))
    }) % 1_000_000_000
}

/// `2026-01-02T03:04:05.678Z` → `2026-01-02T03:04:05Z`, GitHub's form.
pub fn seconds(timestamp: &str) -> String {
    match timestamp.split_once('.') {
        Some((whole, _)) => format!("{whole}Z"),
        None => timestamp.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::People;

    #[test]
    fn seeding_is_once_per_person() {
        let mut people = People::default();
        let ada = people.get("Ada Lovelace");
        let mut data = GithubData::default();
        data.seed(&ada);
        data.seed(&ada);
        assert_eq!(data.repos.len(), 2);
        let repo = data.repo_mut("ADA-lovelace", "Hello-World").unwrap();
        assert_eq!(repo.full_name(), "ada-lovelace/hello-world");
        assert_eq!(repo.json(&ada)["permissions"]["push"], true);
        assert_eq!(seconds("2026-01-02T03:04:05.678Z"), "2026-01-02T03:04:05Z");
    }
}
