use std::cell::RefCell;
use std::rc::Rc;

use latchkey_sdk::bindings::latchkey::connector::http;
use latchkey_sdk::{AuthScheme, CallContext, testing};
use serde_json::{Value, json};

use super::*;

const INSTANCE: &str = "https://acme.my.salesforce.com";
const ACCOUNT: &str = "001A0000006Vm9rIAC";

fn connected(instance_url: &str) -> Context {
    Context::new(CallContext {
        user_id: "user-1".into(),
        connection_id: "connection-1".into(),
        metadata: vec![
            ("instance_url".into(), instance_url.into()),
            ("org_id".into(), "00D5e000000abcdEAA".into()),
            ("user_id".into(), "0055e0000001xyzAAA".into()),
        ],
        granted_scopes: vec!["api".into(), "refresh_token".into()],
    })
}

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

/// The decoded query parameter `name` of `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| decode(v))
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn manifest_declares_the_web_server_flow() {
    let manifest = Salesforce::manifest();
    let [AuthScheme::Oauth2(oauth)] = manifest.auth.as_slice() else {
        panic!("one OAuth scheme");
    };
    assert_eq!(
        oauth.authorize_url,
        "https://login.salesforce.com/services/oauth2/authorize"
    );
    assert_eq!(
        oauth.token_url,
        "https://login.salesforce.com/services/oauth2/token"
    );
    assert_eq!(
        oauth.revoke_url.as_deref(),
        Some("https://login.salesforce.com/services/oauth2/revoke")
    );
    assert_eq!(oauth.default_scopes, ["api"]);
    assert_eq!(oauth.base_scopes, ["refresh_token"]);
    assert_eq!(
        oauth.token_endpoint_auth,
        TokenEndpointAuth::ClientSecretPost
    );
    assert!(
        oauth
            .token_response
            .error_aliases
            .contains(&("invalid_client_id".into(), "invalid_client".into()))
    );
    assert_eq!(manifest.allowed_hosts, ["https://*.my.salesforce.com"]);
    assert!(
        manifest
            .setup_instructions
            .contains("/v1/oauth/callback/salesforce")
    );
    for tool in Salesforce::tools().list() {
        assert_eq!(tool.required_scopes, ["api"], "{}", tool.name);
        assert!(tool.read_only);
    }
}

#[test]
fn connection_metadata_keeps_the_instance_and_ids() {
    let response = json!({
        "instance_url": INSTANCE,
        "id": "https://login.salesforce.com/id/00D5e000000abcdEAA/0055e0000001xyzAAA",
        "token_type": "Bearer", "issued_at": "1767225600000", "signature": "c2ln", "scope": "api refresh_token"
    });
    let pairs =
        latchkey_sdk::connector::connection_metadata::<Salesforce>(&response.to_string()).unwrap();
    assert_eq!(pairs[0], ("instance_url".into(), INSTANCE.into()));
    assert!(pairs.contains(&("user_id".into(), "0055e0000001xyzAAA".into())));
    let evil = json!({ "instance_url": "https://evil.example.com" });
    assert!(matches!(
        Salesforce::connection_metadata(&evil),
        Err(CallError::InvalidInput(_))
    ));
}

#[test]
fn get_account_reads_the_sobject_on_the_instance() {
    let seen = record(|_| {
        testing::response(
            200,
            &json!({
                "attributes": {"type": "Account", "url": "/services/data/v61.0/sobjects/Account/001A0000006Vm9rIAC"},
                "Id": ACCOUNT, "Name": "Acme Corporation", "Industry": "Manufacturing"
            })
            .to_string(),
        )
    });
    let out = Salesforce::tools()
        .call(
            &connected(INSTANCE),
            "get_account",
            &json!({"id": ACCOUNT}).to_string(),
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["Name"], "Acme Corporation");
    assert!(out.get("attributes").is_none());
    assert_eq!(
        out["url"],
        format!("{INSTANCE}/lightning/r/Account/{ACCOUNT}/view")
    );
    let req = &seen.borrow()[0];
    assert_eq!(req.method, Method::Get);
    assert!(req.authenticate);
    assert!(req.url.starts_with(&format!(
        "{INSTANCE}/services/data/v61.0/sobjects/Account/{ACCOUNT}?fields="
    )));
    assert_eq!(
        query_param(&req.url, "fields").as_deref(),
        Some(ACCOUNT_FIELDS)
    );
    testing::clear_http();
}

#[test]
fn search_accounts_escapes_the_name() {
    let seen = record(|_| {
        testing::response(
            200,
            &json!({"totalSize": 1, "done": true, "records": [
                {"attributes": {"type": "Account"}, "Id": ACCOUNT, "Name": "O'Reilly Auto Parts"}
            ]})
            .to_string(),
        )
    });
    let out = Salesforce::tools()
        .call(
            &connected(INSTANCE),
            "search_accounts",
            r#"{"name": " O'Reilly 100%_ ", "limit": 5}"#,
        )
        .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["total"], 1);
    assert_eq!(out["accounts"][0]["Name"], "O'Reilly Auto Parts");
    let req = &seen.borrow()[0];
    assert!(
        req.url
            .starts_with(&format!("{INSTANCE}/services/data/v61.0/query?q="))
    );
    assert_eq!(
        query_param(&req.url, "q").unwrap(),
        "SELECT Id, Name, Type, Industry, BillingCity, BillingCountry FROM Account \
         WHERE Name LIKE '%O\\'Reilly 100\\%\\_%' ORDER BY Name LIMIT 5"
    );
    testing::clear_http();
}

#[test]
fn refuses_bad_input_and_foreign_instances() {
    testing::clear_http();
    let ctx = connected(INSTANCE);
    for (tool, input) in [
        ("get_account", r#"{"id": "001A0000006Vm9rIAD"}"#),
        ("get_account", r#"{"id": "005A0000006Vm9rIAC"}"#),
        ("get_account", r#"{"id": "001A0000006V/../../x"}"#),
        ("search_accounts", r#"{"name": "  "}"#),
        ("search_accounts", r#"{"name": "x", "limit": 51}"#),
        ("search_accounts", "{\"name\": \"a\\u0000b\"}"),
    ] {
        let error = Salesforce::tools().call(&ctx, tool, input).unwrap_err();
        assert!(
            matches!(error, CallError::InvalidInput(_)),
            "{input}: {error:?}"
        );
    }
    for instance in [
        "http://acme.my.salesforce.com",
        "https://attacker.example.com",
        "https://acme.my.salesforce.com.attacker.example.com",
    ] {
        let error = Salesforce::tools()
            .call(
                &connected(instance),
                "get_account",
                &json!({"id": ACCOUNT}).to_string(),
            )
            .unwrap_err();
        assert!(
            matches!(error, CallError::Auth(AuthError::Invalid(_))),
            "{instance}"
        );
    }
}

#[test]
fn sessions_and_scopes() {
    record(|_| http::Response {
        status: 401,
        headers: vec![],
        body: br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
            .to_vec(),
    });
    let expired = Salesforce::tools()
        .call(
            &connected(INSTANCE),
            "get_account",
            &json!({"id": ACCOUNT}).to_string(),
        )
        .unwrap_err();
    assert_eq!(expired, CallError::expired());
    record(|_| {
        testing::response(
            404,
            r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#,
        )
    });
    let missing = Salesforce::tools()
        .call(
            &connected(INSTANCE),
            "get_account",
            &json!({"id": ACCOUNT}).to_string(),
        )
        .unwrap_err();
    assert!(
        matches!(missing, CallError::Upstream(e) if e.status == 404 && e.message.contains(ACCOUNT))
    );
    testing::clear_http();
}

#[test]
fn verify_reads_the_user_record() {
    let seen = record(|_| {
        testing::response(
            200,
            r#"{"attributes": {"type": "User"}, "Id": "0055e0000001xyzAAA", "Username": "ada@acme.example.com",
                "Name": "Ada Lovelace", "Email": "ada@example.com"}"#,
        )
    });
    let me = Salesforce::verify(&connected(INSTANCE)).unwrap();
    assert_eq!(me.subject, "0055e0000001xyzAAA");
    assert_eq!(me.display_name.as_deref(), Some("Ada Lovelace"));
    assert!(
        me.metadata
            .contains(&("username".into(), "ada@acme.example.com".into()))
    );
    assert!(seen.borrow()[0].url.starts_with(&format!(
        "{INSTANCE}/services/data/v61.0/sobjects/User/0055e0000001xyzAAA?fields="
    )));
    testing::clear_http();
    assert!(matches!(
        Salesforce::verify(&testing::context(&[])),
        Err(CallError::Auth(AuthError::Invalid(_)))
    ));
}
