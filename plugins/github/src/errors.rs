//! GitHub's answers to calls a token's scopes do not cover: a 404 (private repositories) or a
//! 403, with `X-OAuth-Scopes` (what the token has) and `X-Accepted-OAuth-Scopes` (what the
//! endpoint takes). Those become `insufficient-scope`; other failures go through the SDK's
//! usual mapping.

use latchkey_sdk::status;
use latchkey_sdk::{CallError, Response};

/// Scopes that include others (GitHub's scope hierarchy), for reading `X-OAuth-Scopes`.
const IMPLIED: &[(&str, &[&str])] = &[
    (
        "repo",
        &[
            "public_repo",
            "repo:status",
            "repo_deployment",
            "repo:invite",
            "security_events",
        ],
    ),
    ("user", &["read:user", "user:email", "user:follow"]),
    ("admin:org", &["write:org", "read:org"]),
    ("write:org", &["read:org"]),
];

/// `Ok` for a 2xx answer; otherwise the call error, with scope problems recognised.
pub fn checked(response: Response) -> Result<Response, CallError> {
    if response.is_success() {
        return Ok(response);
    }
    let code = response.status();
    if matches!(code, 403 | 404)
        && let Some(missing) = missing_scopes(&response)
    {
        return Err(CallError::insufficient_scope(missing));
    }
    if matches!(code, 403 | 429) && response.header("x-ratelimit-remaining") == Some("0") {
        let wait = response
            .header("retry-after")
            .and_then(status::retry_after_seconds);
        return Err(CallError::rate_limited(wait));
    }
    if code == 403 {
        // The token works and its scopes fit: the user lacks access to this resource.
        return Err(CallError::upstream(
            403,
            status::upstream_message(403, response.body()),
        ));
    }
    response.error_for_status()
}

/// The scope to ask for when the token has none of the endpoint's accepted scopes.
fn missing_scopes(response: &Response) -> Option<Vec<String>> {
    let accepted = list(response.header("x-accepted-oauth-scopes")?);
    if accepted.is_empty() {
        return None;
    }
    let granted = list(response.header("x-oauth-scopes").unwrap_or_default());
    let covered = |scope: &str| {
        granted.iter().any(|g| {
            g == scope
                || IMPLIED
                    .iter()
                    .any(|(parent, children)| g == parent && children.contains(&scope))
        })
    };
    if accepted.iter().any(|scope| covered(scope)) {
        return None;
    }
    // Ask for the broadest accepted scope GitHub names (`repo` over `public_repo`).
    let wanted = accepted
        .iter()
        .find(|s| IMPLIED.iter().any(|(parent, _)| parent == s))
        .unwrap_or(&accepted[0]);
    Some(vec![wanted.clone()])
}

/// `"repo, read:user"` → `["repo", "read:user"]`.
fn list(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::bindings::latchkey::connector::http;

    fn answer(status: u16, headers: &[(&str, &str)]) -> Response {
        Response::from_raw(http::Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: br#"{"message":"Not Found"}"#.to_vec(),
        })
    }

    #[test]
    fn missing_scopes_from_the_headers() {
        let hidden = answer(
            404,
            &[
                ("X-OAuth-Scopes", "read:user"),
                ("X-Accepted-OAuth-Scopes", "repo"),
            ],
        );
        assert_eq!(
            checked(hidden).err(),
            Some(CallError::insufficient_scope(["repo"]))
        );
        let forbidden = answer(
            403,
            &[
                ("x-oauth-scopes", ""),
                ("x-accepted-oauth-scopes", "public_repo, repo"),
            ],
        );
        assert_eq!(
            checked(forbidden).err(),
            Some(CallError::insufficient_scope(["repo"]))
        );
    }

    #[test]
    fn a_covering_scope_is_no_scope_problem() {
        let not_found = answer(
            404,
            &[
                ("x-oauth-scopes", "repo"),
                ("x-accepted-oauth-scopes", "public_repo, repo"),
            ],
        );
        assert!(matches!(checked(not_found), Err(CallError::Upstream(_))));
        let implied = answer(
            403,
            &[
                ("x-oauth-scopes", "user"),
                ("x-accepted-oauth-scopes", "read:user"),
            ],
        );
        assert!(matches!(checked(implied), Err(CallError::Upstream(u)) if u.status == 403));
        let no_headers = answer(404, &[]);
        assert!(matches!(checked(no_headers), Err(CallError::Upstream(_))));
    }

    #[test]
    fn rate_limits_and_success() {
        let limited = answer(
            403,
            &[("x-ratelimit-remaining", "0"), ("retry-after", "60")],
        );
        assert_eq!(
            checked(limited).err(),
            Some(CallError::rate_limited(Some(60)))
        );
        assert!(checked(answer(200, &[])).is_ok());
        assert_eq!(checked(answer(401, &[])).err(), Some(CallError::expired()));
    }
}
