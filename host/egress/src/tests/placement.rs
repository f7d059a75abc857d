//! Rules 4–5 end to end: header hygiene and credential injection per placement.

use super::super::{Credential, EgressError, Method, OutboundRequest};
use super::server::{Behaviour, allow, local_egress, raw, upstream};

const SECRET: &str = "sk_live/ABC+def=ghi&jkl";

fn with_headers(url: &str, headers: &[(&str, &str)]) -> OutboundRequest {
    OutboundRequest {
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..OutboundRequest::get(url)
    }
}

#[tokio::test]
async fn bearer_is_injected_and_the_plugins_authorization_dropped() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let cred = Credential::Bearer(SECRET.into());
    let req = with_headers(
        "https://api.example.test/echo",
        &[("Authorization", "Bearer plugin-forged"), ("X-Keep", "1")],
    );
    let r = egress.send(&allowed, req, Some(&cred)).await.unwrap();
    assert_eq!(r.status, 200);
    let seen = &up.seen()[0];
    assert_eq!(
        seen.header("authorization"),
        vec![format!("Bearer {SECRET}")]
    );
    assert_eq!(seen.header("x-keep"), vec!["1"]);
}

#[tokio::test]
async fn header_placement_uses_name_and_prefix_and_wins_over_the_plugin() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let cred = Credential::Header {
        name: "X-Api-Key".into(),
        prefix: "Token ".into(),
        secret: SECRET.into(),
    };
    let req = with_headers(
        "https://api.example.test/echo",
        &[
            ("x-api-key", "forged"),
            ("X-API-KEY", "forged2"),
            ("Authorization", "own"),
        ],
    );
    egress.send(&allowed, req, Some(&cred)).await.unwrap();
    let seen = &up.seen()[0];
    assert_eq!(seen.header("x-api-key"), vec![format!("Token {SECRET}")]);
    // Not an Authorization placement: the plugin's own Authorization is left alone.
    assert_eq!(seen.header("authorization"), vec!["own"]);
}

#[tokio::test]
async fn header_placement_in_authorization_replaces_the_plugins() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let cred = Credential::Header {
        name: "Authorization".into(),
        prefix: String::new(),
        secret: SECRET.into(),
    };
    let req = with_headers(
        "https://api.example.test/echo",
        &[("authorization", "forged")],
    );
    egress.send(&allowed, req, Some(&cred)).await.unwrap();
    assert_eq!(up.seen()[0].header("authorization"), vec![SECRET]);
}

#[tokio::test]
async fn query_placement_is_url_encoded_and_replaces_the_plugins() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let cred = Credential::Query {
        name: "api_key".into(),
        secret: SECRET.into(),
    };
    let req = OutboundRequest::get("https://api.example.test/echo?a=1&api_key=forged&API_KEY=x");
    egress.send(&allowed, req, Some(&cred)).await.unwrap();
    let seen = &up.seen()[0];
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    assert_eq!(seen.path_and_query, format!("/echo?a=1&api_key={encoded}"));
    let pairs: Vec<(String, String)> = url::Url::parse(&format!("http://x{}", seen.path_and_query))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(pairs.contains(&("api_key".into(), SECRET.into())));
}

#[tokio::test]
async fn basic_placement_encodes_user_and_password() {
    use base64::Engine as _;
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let cred = Credential::Basic {
        username: "alice@example.com".into(),
        password: SECRET.into(),
    };
    let req = with_headers(
        "https://api.example.test/echo",
        &[("Authorization", "Basic forged")],
    );
    egress.send(&allowed, req, Some(&cred)).await.unwrap();
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("alice@example.com:{SECRET}"));
    assert_eq!(
        up.seen()[0].header("authorization"),
        vec![format!("Basic {expected}")]
    );
}

#[tokio::test]
async fn unauthenticated_requests_carry_only_what_the_plugin_set() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", up.base())]);
    let allowed = allow(&["https://api.example.test"]);
    let req = OutboundRequest {
        method: Method::Post,
        body: Some(b"{\"q\":1}".to_vec()),
        ..with_headers(
            "https://api.example.test/echo",
            &[
                ("Authorization", "Bearer public-demo"),
                ("Content-Type", "application/json"),
            ],
        )
    };
    egress.send(&allowed, req, None).await.unwrap();
    let seen = &up.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("authorization"), vec!["Bearer public-demo"]);
    assert_eq!(seen.header("content-length"), vec!["7"]);
    assert_eq!(seen.header("accept-encoding"), vec!["identity"]);
    assert_eq!(seen.body, b"{\"q\":1}");
}

#[tokio::test]
async fn bad_headers_are_refused_before_connecting() {
    let server = raw(Behaviour::Ok).await;
    let egress = local_egress(&[(
        "https://api.example.test",
        format!("http://{}", server.addr),
    )]);
    let allowed = allow(&["https://api.example.test"]);
    for (n, v) in [
        ("X-A\r\nX-Injected", "1"),
        ("X-A", "1\r\nX-Injected: 2"),
        ("X-A", "1\nX-Injected: 2"),
        ("X-A", "1\0"),
        ("X-A\0", "1"),
        ("Bad Name", "1"),
        ("Host", "evil.test"),
        ("Content-Length", "0"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "upgrade"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "x"),
        ("TE", "trailers"),
        ("Accept-Encoding", "gzip"),
        ("Trailer", "x"),
    ] {
        let req = with_headers("https://api.example.test/", &[(n, v)]);
        let r = egress.send(&allowed, req, None).await;
        assert!(
            matches!(r, Err(EgressError::InvalidRequest(_))),
            "{n:?}: {r:?}"
        );
    }
    assert_eq!(server.accepted(), 0);
}

#[tokio::test]
async fn a_dangerous_credential_placement_is_refused_before_connecting() {
    let server = raw(Behaviour::Ok).await;
    let egress = local_egress(&[(
        "https://api.example.test",
        format!("http://{}", server.addr),
    )]);
    let allowed = allow(&["https://api.example.test"]);
    for name in ["Cookie", "Host", "Set-Cookie", "Content-Type", "X\r\nY"] {
        let cred = Credential::Header {
            name: name.into(),
            prefix: String::new(),
            secret: SECRET.into(),
        };
        let r = egress
            .send(
                &allowed,
                OutboundRequest::get("https://api.example.test/"),
                Some(&cred),
            )
            .await;
        assert!(
            matches!(r, Err(EgressError::InvalidRequest(_))),
            "{name:?}: {r:?}"
        );
    }
    let cred = Credential::Bearer("has\r\nnewline".into());
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.example.test/"),
            Some(&cred),
        )
        .await;
    assert!(
        matches!(&r, Err(EgressError::InvalidRequest(m)) if !m.contains("newline")),
        "{r:?}"
    );
    assert_eq!(server.accepted(), 0);
}
