//! Where a connection's org lives: the `instance_url` of its token response, accepted only as
//! `https://<my-domain>.my.salesforce.com` (production, sandbox `….sandbox.my.salesforce.com`,
//! developer `….develop.my.salesforce.com`), and the org and user ids of its identity URL.

use serde_json::Value;

use crate::ids;

/// The only domain an instance may be under.
const SUFFIX: &str = ".my.salesforce.com";

/// `https://<host>` when `url` is an https origin under `*.my.salesforce.com` (a trailing `/`
/// allowed; no port, path, query, credentials or odd characters).
pub fn checked(url: &str) -> Option<String> {
    let host = url.strip_prefix("https://")?;
    let host = host.strip_suffix('/').unwrap_or(host);
    let labels = host.strip_suffix(SUFFIX)?;
    let ok = !labels.is_empty()
        && labels.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then(|| format!("https://{}", host.to_ascii_lowercase()))
}

/// `(org id, user id)` from an identity URL `https://login.salesforce.com/id/<org>/<user>`.
pub fn ids_of(identity_url: &str) -> Option<(String, String)> {
    let rest = identity_url.split_once("/id/")?.1;
    let (org, user) = rest.split_once('/')?;
    let user = user.trim_end_matches('/');
    (ids::is_record_id(org)
        && org.starts_with("00D")
        && ids::is_record_id(user)
        && user.starts_with("005"))
    .then(|| (org.to_owned(), user.to_owned()))
}

/// The connection metadata of a (secret-free) token response.
pub fn metadata(token_response: &Value) -> Result<Vec<(String, String)>, String> {
    let raw = token_response["instance_url"]
        .as_str()
        .ok_or("the token response has no instance_url")?;
    let url = checked(raw).ok_or_else(|| {
        format!(
            "instance_url `{}` is not an https://….my.salesforce.com address",
            raw.chars().take(100).collect::<String>()
        )
    })?;
    let mut pairs = vec![("instance_url".to_owned(), url)];
    if let Some((org, user)) = token_response["id"].as_str().and_then(ids_of) {
        pairs.push(("org_id".to_owned(), org));
        pairs.push(("user_id".to_owned(), user));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_my_domain_https_origins() {
        assert_eq!(
            checked("https://acme.my.salesforce.com").as_deref(),
            Some("https://acme.my.salesforce.com")
        );
        assert_eq!(
            checked("https://Acme--UAT.sandbox.my.salesforce.com/").as_deref(),
            Some("https://acme--uat.sandbox.my.salesforce.com")
        );
        for bad in [
            "http://acme.my.salesforce.com",
            "https://my.salesforce.com",
            "https://.my.salesforce.com",
            "https://acme.my.salesforce.com.evil.test",
            "https://evil.test/.my.salesforce.com",
            "https://acme.my.salesforce.com:8443",
            "https://acme.my.salesforce.com/services",
            "https://user@acme.my.salesforce.com",
            "https://acme.salesforce.com",
            "https://na1.salesforce.com",
            "https://-x.my.salesforce.com",
            "https://a..b.my.salesforce.com",
            "https://acme.my.salesforce.com?x=1",
            "https://127.0.0.1#.my.salesforce.com",
        ] {
            assert_eq!(checked(bad), None, "{bad}");
        }
    }

    #[test]
    fn metadata_from_a_token_response() {
        let response = json!({
            "instance_url": "https://acme.my.salesforce.com",
            "id": "https://login.salesforce.com/id/00D5e000000abcdEAA/0055e0000001xyzAAA",
            "token_type": "Bearer", "issued_at": "1700000000000", "signature": "x", "scope": "api refresh_token"
        });
        assert_eq!(
            metadata(&response).unwrap(),
            [
                (
                    "instance_url".to_owned(),
                    "https://acme.my.salesforce.com".to_owned()
                ),
                ("org_id".to_owned(), "00D5e000000abcdEAA".to_owned()),
                ("user_id".to_owned(), "0055e0000001xyzAAA".to_owned()),
            ]
        );
        assert!(metadata(&json!({"instance_url": "https://evil.test"})).is_err());
        assert!(metadata(&json!({})).is_err());
        let odd_id =
            json!({"instance_url": "https://acme.my.salesforce.com", "id": "https://x/id/../.."});
        assert_eq!(metadata(&odd_id).unwrap().len(), 1);
    }
}
