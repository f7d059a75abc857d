//! Malformed requests get the real APIs' 4xx answers, never a panic or a 5xx.

mod common;

use common::flow::{browser, register};
use common::start;
use fake_provider::{App, Fault};
use reqwest::{Method, StatusCode};

/// Method, path and query, headers, body.
type Case<'a> = (Method, String, Vec<(&'a str, String)>, Vec<u8>);

#[tokio::test]
async fn garbage_gets_client_errors() {
    let fake = start().await;
    register(&fake, App::Google);
    register(&fake, App::Notion);
    let github = fake
        .oauth()
        .mint_tokens(App::Github, "Ada", &["repo"])
        .access_token;
    let google = fake
        .oauth()
        .mint_tokens(
            App::Google,
            "Ada",
            &["https://www.googleapis.com/auth/drive"],
        )
        .access_token;
    let base = fake.base_url();
    let cases: Vec<Case> = vec![
        (Method::GET, "/google-accounts/o/oauth2/v2/auth?%zz=%ff&client_id=".into(), vec![], vec![]),
        (Method::GET, "/google-accounts/o/oauth2/v2/auth?client_id=google-client&client_id=x".into(), vec![], vec![]),
        (Method::POST, "/google-accounts/o/oauth2/v2/auth".into(), vec![], b"consent=nope&decision=allow".to_vec()),
        (Method::POST, "/google-oauth/token".into(), vec![("authorization", "Basic ####".into())], b"grant_type=refresh_token".to_vec()),
        (Method::POST, "/google-oauth/token".into(), vec![("authorization", "Basic //79/A==".into())], b"grant_type=authorization_code".to_vec()),
        (Method::POST, "/google-oauth/token".into(), vec![], vec![0xff, 0xfe, b'=', 0x00]),
        (Method::POST, "/google-oauth/token".into(), vec![("content-type", "application/json".into())], b"[]".to_vec()),
        (
            Method::POST,
            "/google-oauth/token".into(),
            vec![],
            b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=e30.e30.%21%21".to_vec(),
        ),
        (Method::POST, "/google-oauth/revoke".into(), vec![("content-type", "application/json".into())], b"{".to_vec()),
        (Method::POST, "/notion/v1/oauth/revoke".into(), vec![], b"token=x".to_vec()),
        (Method::GET, "/github/user/repos?per_page=0&page=99999999999999999999999".into(), vec![("authorization", format!("Bearer {github}")), ("user-agent", "t".into())], vec![]),
        (Method::GET, "/github/user/repos?page=18446744073709551615".into(), vec![("authorization", format!("Bearer {github}")), ("user-agent", "t".into())], vec![]),
        (Method::POST, "/github/repos/ada/hello-world/issues".into(), vec![("authorization", format!("Bearer {github}")), ("user-agent", "t".into())], b"{\"title\": {}}".to_vec()),
        (Method::GET, "/google/drive/v3/files?pageToken=fake-page-18446744073709551615".into(), vec![("authorization", format!("Bearer {google}"))], vec![]),
        (Method::GET, "/google/drive/v3/files?q=%27%5C".into(), vec![("authorization", format!("Bearer {google}"))], vec![]),
        (Method::GET, "/google/drive/v3/files?fields=files(((,,))".into(), vec![("authorization", format!("Bearer {google}"))], vec![]),
        (Method::GET, "/google/drive/v3/about?fields=".into(), vec![("authorization", format!("Bearer {google}"))], vec![]),
    ];
    for (method, path, headers, body) in cases {
        let mut request = browser().request(method.clone(), format!("{base}{path}"));
        for (name, value) in &headers {
            request = request.header(*name, value.as_str());
        }
        let response = request
            .body(body)
            .send()
            .await
            .expect("an answer, not a dropped connection");
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{method} {path}: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }

    // Extreme settings do not overflow either.
    fake.oauth().advance_clock(1 << 40);
    fake.oauth().set_access_ttl(App::Github, Some(u64::MAX));
    let minted = fake.oauth().mint_tokens(App::Github, "Ada", &[]);
    let me = browser()
        .get(format!("{base}/github/user"))
        .bearer_auth(&minted.access_token)
        .header("user-agent", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(fake.oauth().advance_clock(u64::MAX), u64::MAX, "saturates");
    fake.oauth()
        .inject_fault(App::Github, Fault::ServerError { status: 42 }, 1);
    let odd = browser()
        .post(format!("{base}/github-web/login/oauth/access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        odd.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "a non-5xx status becomes 500"
    );
}
