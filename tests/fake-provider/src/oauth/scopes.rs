//! Scope lists as each app writes them: space-separated (RFC 6749), or GitHub's and Slack's
//! commas.

use super::app::App;

/// The scopes in `text`, in order, without repeats. GitHub and Slack accept commas and spaces.
pub fn parse(app: App, text: Option<&str>) -> Vec<String> {
    let separators: &[char] = match app {
        App::Github | App::Slack => &[',', ' '],
        App::Notion | App::Google | App::Atlassian | App::Salesforce | App::Generic => &[' '],
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.unwrap_or("").split(separators) {
        let scope = scope.trim();
        if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

/// The scopes as the app writes them in token responses.
pub fn join(app: App, scopes: &[String]) -> String {
    scopes.join(app.quirks().scope_separator)
}

/// `a` followed by the scopes of `b` it lacks.
pub fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut all = a.to_vec();
    for scope in b {
        if !all.contains(scope) {
            all.push(scope.clone());
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(
            parse(App::Github, Some("repo,read:user gist repo")),
            ["repo", "read:user", "gist"]
        );
        assert_eq!(parse(App::Google, Some("a  b")), ["a", "b"]);
        assert_eq!(parse(App::Google, Some("a,b")), ["a,b"]);
        assert!(parse(App::Google, None).is_empty());
        assert_eq!(join(App::Github, &["a".into(), "b".into()]), "a,b");
        assert_eq!(join(App::Google, &["a".into(), "b".into()]), "a b");
        assert_eq!(union(&["a".into()], &["b".into(), "a".into()]), ["a", "b"]);
    }
}
