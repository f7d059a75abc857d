//! The people the OAuth apps know, by the name tests give them: one numeric id, login and
//! e-mail each, shared by every app (GitHub's `login`, Google's `emailAddress`, Notion's owner).

use std::collections::HashMap;

/// One person, created the first time a name is seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Stable numeric id (GitHub's `id`).
    pub id: u64,
    /// The name tests use, e.g. `Ada Lovelace`, or a service account's e-mail.
    pub name: String,
    /// Lower-case, dash-separated form of the name, e.g. `ada-lovelace`.
    pub login: String,
    /// The name itself when it is an e-mail address, else `<login>@example.com`.
    pub email: String,
}

/// Everyone seen so far, by name.
#[derive(Default)]
pub struct People {
    by_name: HashMap<String, Person>,
}

impl People {
    /// The person called `name`, created on first use.
    pub fn get(&mut self, name: &str) -> Person {
        let next_id = 1000 + self.by_name.len() as u64 + 1;
        self.by_name
            .entry(name.to_owned())
            .or_insert_with(|| Person::new(next_id, name))
            .clone()
    }
}

impl Person {
    fn new(id: u64, name: &str) -> Self {
        let login = login_of(name);
        let email = if name.contains('@') {
            name.to_owned()
        } else {
            format!("{login}@example.com")
        };
        Person {
            id,
            name: name.to_owned(),
            login,
            email,
        }
    }
}

/// `Ada Lovelace` → `ada-lovelace`; `sa@proj.iam.gserviceaccount.com` → `sa`.
fn login_of(name: &str) -> String {
    let local = name.split('@').next().unwrap_or(name);
    let mut login = String::new();
    for c in local.chars() {
        if c.is_ascii_alphanumeric() {
            login.push(c.to_ascii_lowercase());
        } else if !login.is_empty() && !login.ends_with('-') {
            login.push('-');
        }
    }
    let login = login.trim_end_matches('-').to_owned();
    if login.is_empty() {
        "user".to_owned()
    } else {
        login
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_logins_and_emails() {
        let mut people = People::default();
        let ada = people.get("Ada Lovelace");
        assert_eq!(ada.login, "ada-lovelace");
        assert_eq!(ada.email, "ada-lovelace@example.com");
        assert_eq!(people.get("Ada Lovelace"), ada, "stable");
        let sa = people.get("drive-reader@proj.iam.gserviceaccount.com");
        assert_eq!(sa.login, "drive-reader");
        assert_eq!(sa.email, "drive-reader@proj.iam.gserviceaccount.com");
        assert_ne!(sa.id, ada.id);
        assert_eq!(people.get("  ").login, "user");
    }
}
