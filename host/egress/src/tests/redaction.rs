//! Rule 8 end to end: an upstream that reflects the request never hands the credential
//! (in any covered form) to the plugin.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::super::EgressError;
use super::super::{Credential, OutboundRequest, REDACTED};
use super::server::{Behaviour, allow, local_egress, raw, upstream};

const SECRET: &str = "sk_live/ABC+def=ghi&jkl";

fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_string(),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
    ]
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn echoed_credentials_are_redacted_for_every_placement() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let basic_pair = format!("alice@example.com:{SECRET}");
    let cases: Vec<(Credential, Vec<String>)> = vec![
        (Credential::Bearer(SECRET.into()), forms(SECRET)),
        (
            Credential::Header {
                name: "X-Api-Key".into(),
                prefix: "Key ".into(),
                secret: SECRET.into(),
            },
            forms(SECRET),
        ),
        (
            Credential::Query {
                name: "api_key".into(),
                secret: SECRET.into(),
            },
            forms(SECRET),
        ),
        (
            Credential::Basic {
                username: "alice@example.com".into(),
                password: SECRET.into(),
            },
            [
                forms(SECRET),
                vec![STANDARD.encode(&basic_pair), basic_pair.clone()],
            ]
            .concat(),
        ),
    ];
    for (cred, needles) in cases {
        let r = egress
            .send(
                &allowed,
                OutboundRequest::get("https://api.example.test/echo"),
                Some(&cred),
            )
            .await
            .unwrap();
        // The upstream did see the secret, and echoed it.
        let seen = up.seen().pop().unwrap();
        let carried = seen.header("authorization").len() + seen.header("x-api-key").len();
        assert!(
            carried == 1 || seen.path_and_query.contains("api_key="),
            "{seen:?}"
        );
        assert!(contains(&r.body, REDACTED), "{cred:?}");
        for needle in &needles {
            assert!(
                !contains(&r.body, needle),
                "{cred:?}: body reveals {needle}"
            );
            for (name, value) in &r.headers {
                assert!(
                    !value.contains(needle.as_str()),
                    "{cred:?}: header {name} reveals {needle}"
                );
            }
        }
        // The body is not UTF-8 and survived as bytes.
        assert_eq!(&r.body[..2], &[0xff, 0xfe]);
        assert!(r.headers.iter().all(|(n, _)| n != "set-cookie"));
    }
}

#[tokio::test]
async fn reflected_headers_are_redacted() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.example.test/echo"),
            Some(&Credential::Bearer(SECRET.into())),
        )
        .await
        .unwrap();
    let echoed: Vec<&str> = r
        .headers
        .iter()
        .filter(|(n, _)| n == "x-echo-authorization")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(echoed, vec![format!("Bearer {REDACTED}")]);
}

#[tokio::test]
async fn unauthenticated_responses_are_untouched() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let req = OutboundRequest {
        headers: vec![("X-Demo".into(), SECRET.into())],
        ..OutboundRequest::get("https://api.example.test/echo")
    };
    let r = egress.send(&allowed, req, None).await.unwrap();
    assert!(contains(&r.body, SECRET));
    assert!(r.headers.iter().all(|(n, _)| n != "set-cookie"));
}

#[tokio::test]
async fn compressed_responses_to_authenticated_requests_are_refused() {
    let server = raw(Behaviour::Gzipped).await;
    let egress = local_egress(&[(
        "https://api.example.test",
        format!("http://{}", server.addr),
    )]);
    let allowed = allow(&["https://api.example.test"]);
    let cred = Credential::Bearer(SECRET.into());
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.example.test/"),
            Some(&cred),
        )
        .await;
    assert!(matches!(r, Err(EgressError::Transport(_))), "{r:?}");
    // Unauthenticated: nothing to redact, passed through as is.
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.example.test/"),
            None,
        )
        .await
        .unwrap();
    assert!(
        r.headers
            .contains(&("content-encoding".to_string(), "gzip".to_string()))
    );
}
