use std::cell::RefCell;
use std::rc::Rc;

use latchkey_sdk::bindings::latchkey::connector::http;
use latchkey_sdk::{AuthScheme, CallContext, testing};
use serde_json::{Value, json};

use super::*;

const CLOUD: &str = "1324a887-45db-1bf4-1e99-ef0ff456d421";
const RESOURCES: &str = "https://api.atlassian.com/oauth/token/accessible-resources";

/// A context with the metadata `verify` leaves on a connection.
fn connected(scopes: &[&str]) -> Context {
    Context::new(CallContext {
        user_id: "user-1".into(),
        connection_id: "connection-1".into(),
        metadata: vec![
            ("cloud_id".into(), CLOUD.into()),
            ("site_url".into(), "https://acme.atlassian.net".into()),
            ("site_name".into(), "acme".into()),
        ],
        granted_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// Answers with `answer` and keeps every request for the test to look at.
fn record(
    answer: impl Fn(&http::Request) -> http::Response + 'static,
) -> Rc<RefCell<Vec<http::Request>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    testing::mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(answer(req))
    });
    seen
}

fn body(req: &http::Request) -> Value {
    serde_json::from_slice(req.body.as_deref().unwrap_or(b"null")).unwrap()
}

fn resources() -> http::Response {
    testing::response(
        200,
        &json!([
            {"id": "aaaaaaaa-0000-4000-8000-000000000000", "name": "wiki", "url": "https://wiki.atlassian.net",
             "scopes": ["read:confluence-content.all"]},
            {"id": CLOUD, "name": "acme", "url": "https://acme.atlassian.net",
             "scopes": ["read:jira-work", "write:jira-work", "read:jira-user"]}
        ])
        .to_string(),
    )
}

#[test]
fn manifest_declares_atlassian_3lo() {
    let manifest = Jira::manifest();
    let [AuthScheme::Oauth2(oauth)] = manifest.auth.as_slice() else {
        panic!("one OAuth scheme");
    };
    assert_eq!(oauth.authorize_url, "https://auth.atlassian.com/authorize");
    assert_eq!(oauth.token_url, "https://auth.atlassian.com/oauth/token");
    assert_eq!(
        oauth.default_scopes,
        ["read:jira-work", "write:jira-work", "read:jira-user"]
    );
    assert_eq!(oauth.base_scopes, ["offline_access"]);
    assert!(
        oauth
            .extra_authorize_params
            .contains(&("audience".into(), "api.atlassian.com".into()))
    );
    assert!(
        oauth
            .extra_authorize_params
            .contains(&("prompt".into(), "consent".into()))
    );
    assert_eq!(
        oauth.token_endpoint_auth,
        TokenEndpointAuth::ClientSecretPost
    );
    assert_eq!(manifest.allowed_hosts, ["https://api.atlassian.com"]);
    assert!(
        manifest
            .setup_instructions
            .contains("/v1/oauth/callback/jira")
    );
    let tools = Jira::tools().list();
    let scopes = |name: &str| {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        (tool.required_scopes.clone(), tool.read_only)
    };
    assert_eq!(scopes("create_issue"), (vec![WRITE_WORK.to_owned()], false));
    assert_eq!(scopes("update_issue"), (vec![WRITE_WORK.to_owned()], false));
    assert_eq!(scopes("get_issue"), (vec![READ_WORK.to_owned()], true));
}

#[test]
fn create_issue_posts_adf_to_the_sites_gateway_url() {
    let seen = record(|_| {
        testing::response(
            201,
            r#"{"id": "10005", "key": "ENG-5", "self": "https://api.atlassian.com/ex/jira/x/rest/api/3/issue/10005"}"#,
        )
    });
    let input = json!({
        "project": "eng", "summary": "  Login fails  ", "description": "Steps:\nopen\n\nExpected: works",
        "issue_type": "Bug", "labels": ["web"]
    });
    let out = Jira::tools()
        .call(
            &connected(&[WRITE_WORK]),
            "create_issue",
            &input.to_string(),
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        out,
        json!({"key": "ENG-5", "id": "10005", "url": "https://acme.atlassian.net/browse/ENG-5"})
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1, "the cloud id came from the metadata");
    let req = &seen[0];
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        format!("https://api.atlassian.com/ex/jira/{CLOUD}/rest/api/3/issue")
    );
    assert!(req.authenticate);
    assert_eq!(req.token, None);
    assert_eq!(
        body(req),
        json!({"fields": {
            "project": {"key": "ENG"},
            "summary": "Login fails",
            "issuetype": {"name": "Bug"},
            "labels": ["web"],
            "description": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "Steps:"}, {"type": "hardBreak"}, {"type": "text", "text": "open"}
                ]},
                {"type": "paragraph", "content": [{"type": "text", "text": "Expected: works"}]}
            ]}
        }})
    );
    testing::clear_http();
}

#[test]
fn without_metadata_the_site_comes_from_accessible_resources() {
    let seen = record(|req| match req.url.as_str() {
        RESOURCES => resources(),
        _ => testing::response(201, r#"{"id": "10006", "key": "OPS-2"}"#),
    });
    let out = Jira::tools()
        .call(
            &testing::context(&[WRITE_WORK]),
            "create_issue",
            r#"{"project": "OPS", "summary": "Rotate keys"}"#,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["url"], "https://acme.atlassian.net/browse/OPS-2");
    let seen = seen.borrow();
    assert_eq!(seen[0].url, RESOURCES);
    assert!(seen[0].authenticate);
    assert_eq!(
        seen[1].url,
        format!("https://api.atlassian.com/ex/jira/{CLOUD}/rest/api/3/issue")
    );
    assert_eq!(
        body(&seen[1])["fields"]["issuetype"],
        json!({"name": "Task"})
    );
    assert!(body(&seen[1])["fields"].get("description").is_none());
    testing::clear_http();
}

#[test]
fn a_tampered_cloud_id_is_not_used() {
    let ctx = Context::new(CallContext {
        user_id: "u".into(),
        connection_id: "c".into(),
        metadata: vec![("cloud_id".into(), "../../../oauth/token".into())],
        granted_scopes: vec![],
    });
    let seen = record(|req| match req.url.as_str() {
        RESOURCES => resources(),
        _ => testing::response(200, r#"{"key": "ENG-1", "fields": {}}"#),
    });
    Jira::tools()
        .call(&ctx, "get_issue", r#"{"issue": "ENG-1"}"#)
        .unwrap();
    assert!(seen.borrow()[1].url.contains(CLOUD));
    testing::clear_http();
}

#[test]
fn update_issue_puts_only_the_given_fields() {
    let seen = record(|_| http::Response {
        status: 204,
        headers: vec![],
        body: vec![],
    });
    let out = Jira::tools()
        .call(
            &connected(&[WRITE_WORK]),
            "update_issue",
            r#"{"issue": "eng-7", "description": ""}"#,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        out,
        json!({"key": "ENG-7", "updated": ["description"], "url": "https://acme.atlassian.net/browse/ENG-7"})
    );
    let req = &seen.borrow()[0];
    assert_eq!(req.method, Method::Put);
    assert_eq!(
        req.url,
        format!("https://api.atlassian.com/ex/jira/{CLOUD}/rest/api/3/issue/ENG-7")
    );
    assert_eq!(body(req), json!({"fields": {"description": null}}));
    testing::clear_http();
}

#[test]
fn bad_input_never_reaches_the_network() {
    testing::clear_http();
    let ctx = connected(&[WRITE_WORK, READ_WORK]);
    for (tool, input) in [
        (
            "update_issue",
            r#"{"issue": "ENG-1/../../../myself", "summary": "x"}"#,
        ),
        (
            "update_issue",
            r#"{"issue": "ENG-1?expand=x", "summary": "x"}"#,
        ),
        ("update_issue", r#"{"issue": "ENG-1"}"#),
        ("get_issue", r#"{"issue": "ENG"}"#),
        ("create_issue", r#"{"project": "EN/G", "summary": "x"}"#),
        ("create_issue", r#"{"project": "ENG", "summary": "   "}"#),
        (
            "create_issue",
            r#"{"project": "ENG", "summary": "two\nlines"}"#,
        ),
        (
            "create_issue",
            r#"{"project": "ENG", "summary": "x", "labels": ["a b"]}"#,
        ),
    ] {
        let error = Jira::tools().call(&ctx, tool, input).unwrap_err();
        assert!(
            matches!(error, CallError::InvalidInput(_)),
            "{tool} {input}: {error:?}"
        );
    }
}

#[test]
fn get_issue_reads_fields_and_flattens_the_description() {
    let seen = record(|_| {
        testing::response(
            200,
            &json!({
                "id": "10002", "key": "ENG-2",
                "fields": {
                    "summary": "Login page crashes",
                    "description": {"type": "doc", "version": 1, "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "On Safari."}]}]},
                    "status": {"name": "To Do"}, "issuetype": {"name": "Bug"},
                    "project": {"key": "ENG"}, "priority": {"name": "Medium"},
                    "assignee": null, "reporter": {"displayName": "Ada", "accountId": "712020:a"},
                    "labels": [], "created": "2026-01-01T00:00:00.000+0000",
                    "updated": "2026-01-02T00:00:00.000+0000"
                }
            })
            .to_string(),
        )
    });
    let out = Jira::tools()
        .call(
            &connected(&[READ_WORK]),
            "get_issue",
            r#"{"issue": "ENG-2"}"#,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["description"], "On Safari.");
    assert_eq!(out["status"], "To Do");
    assert_eq!(out["reporter"]["name"], "Ada");
    assert_eq!(out["assignee"], Value::Null);
    assert_eq!(out["url"], "https://acme.atlassian.net/browse/ENG-2");
    let req = &seen.borrow()[0];
    assert_eq!(
        req.url,
        format!(
            "https://api.atlassian.com/ex/jira/{CLOUD}/rest/api/3/issue/ENG-2?fields=summary%2Cdescription%2Cstatus%2Cissuetype%2Cproject%2Cpriority%2Cassignee%2Creporter%2Clabels%2Ccreated%2Cupdated"
        )
    );
    testing::clear_http();
}

#[test]
fn a_scope_mismatch_asks_for_the_scope() {
    record(|_| http::Response {
        status: 401,
        headers: vec![(
            "x-failure-category".into(),
            "FAILURE_CLIENT_SCOPE_CHECK".into(),
        )],
        body: br#"{"code":401,"message":"Unauthorized; scope does not match"}"#.to_vec(),
    });
    let error = Jira::tools()
        .call(
            &connected(&[READ_WORK]),
            "update_issue",
            r#"{"issue": "ENG-1", "summary": "x"}"#,
        )
        .unwrap_err();
    assert_eq!(error, CallError::insufficient_scope([WRITE_WORK]));
    testing::clear_http();
}

#[test]
fn verify_returns_the_site_as_metadata() {
    let seen = record(|req| match req.url.as_str() {
        RESOURCES => resources(),
        _ => testing::response(
            200,
            r#"{"accountId": "712020:abc", "displayName": "Ada Lovelace", "emailAddress": "ada@x"}"#,
        ),
    });
    let me = Jira::verify(&testing::context(&[READ_USER, READ_WORK])).unwrap();
    assert_eq!(me.subject, "712020:abc");
    assert_eq!(me.display_name.as_deref(), Some("Ada Lovelace"));
    let meta = |k: &str| {
        me.metadata
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(meta("cloud_id"), Some(CLOUD));
    assert_eq!(meta("site_url"), Some("https://acme.atlassian.net"));
    assert_eq!(meta("site_name"), Some("acme"));
    assert_eq!(meta("email"), Some("ada@x"));
    assert_eq!(
        seen.borrow()[1].url,
        format!("https://api.atlassian.com/ex/jira/{CLOUD}/rest/api/3/myself")
    );

    // Without read:jira-user, the site stands for the user.
    let seen = record(|_| resources());
    let me = Jira::verify(&testing::context(&[READ_WORK])).unwrap();
    assert_eq!(me.subject, format!("site:{CLOUD}"));
    assert_eq!(seen.borrow().len(), 1);

    record(|_| testing::response(200, "[]"));
    assert!(matches!(
        Jira::verify(&testing::context(&[])),
        Err(CallError::Auth(AuthError::Invalid(_)))
    ));
    testing::clear_http();
}
