//! Rule 6 end to end: manual redirects, re-checked per hop, credentials only on the
//! original origin.

use super::super::{Credential, EgressError, EgressSettings, Method, OutboundRequest};
use super::server::{Behaviour, allow, local_egress, raw, upstream};

const SECRET: &str = "tok_SECRET_123";

fn redirect_to(origin: &str, to: &str, status: u16) -> String {
    let to: String = url::form_urlencoded::byte_serialize(to.as_bytes()).collect();
    format!("{origin}/redirect?status={status}&to={to}")
}

fn bearer() -> Credential {
    Credential::Bearer(SECRET.into())
}

#[tokio::test]
async fn a_redirect_to_a_host_outside_the_allowlist_is_denied_without_connecting() {
    let up = upstream().await;
    let target = raw(Behaviour::Ok).await;
    let egress = local_egress(&[("https://api.a.test", up.base())]);
    let allowed = allow(&["https://api.a.test"]);
    for to in [
        format!("http://127.0.0.1:{}/", target.port()),
        format!("http://localhost:{}/", target.port()),
        format!("https://api.a.test@127.0.0.1:{}/", target.port()),
        "https://evil.test/".to_string(),
    ] {
        let url = redirect_to("https://api.a.test", &to, 302);
        let r = egress
            .send(&allowed, OutboundRequest::get(url), Some(&bearer()))
            .await;
        assert!(matches!(r, Err(EgressError::Denied(_))), "{to}: {r:?}");
    }
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn a_same_origin_redirect_keeps_the_credential() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.a.test", up.base())]);
    let allowed = allow(&["https://api.a.test"]);
    for to in ["/echo/rel", "https://api.a.test/echo/abs"] {
        let url = redirect_to("https://api.a.test", to, 301);
        let r = egress
            .send(&allowed, OutboundRequest::get(url), Some(&bearer()))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
    }
    // An absolute Location pointing at the override's base maps back to the origin.
    let url = redirect_to(
        "https://api.a.test",
        &format!("{}/echo/wire", up.base()),
        308,
    );
    egress
        .send(&allowed, OutboundRequest::get(url), Some(&bearer()))
        .await
        .unwrap();
    let seen = up.seen();
    let finals: Vec<_> = seen
        .iter()
        .filter(|s| s.path_and_query.starts_with("/echo"))
        .collect();
    assert_eq!(finals.len(), 3);
    for s in finals {
        assert_eq!(
            s.header("authorization"),
            vec![format!("Bearer {SECRET}")],
            "{}",
            s.path_and_query
        );
    }
}

#[tokio::test]
async fn a_cross_origin_redirect_does_not_carry_the_credential() {
    let a = upstream().await;
    let b = upstream().await;
    let egress = local_egress(&[
        ("https://api.a.test", a.base()),
        ("https://api.b.test", b.base()),
    ]);
    let allowed = allow(&["https://api.a.test", "https://api.b.test"]);
    let req = OutboundRequest {
        headers: vec![
            ("Cookie".into(), "plugin=1".into()),
            ("X-Keep".into(), "1".into()),
        ],
        ..OutboundRequest::get(redirect_to(
            "https://api.a.test",
            "https://api.b.test/echo",
            307,
        ))
    };
    let r = egress.send(&allowed, req, Some(&bearer())).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        a.seen()[0].header("authorization"),
        vec![format!("Bearer {SECRET}")]
    );
    let on_b = &b.seen()[0];
    assert!(on_b.header("authorization").is_empty());
    assert!(on_b.header("cookie").is_empty());
    assert_eq!(on_b.header("x-keep"), vec!["1"]);

    // https -> http on the same host is another origin too.
    let egress = local_egress(&[
        ("https://api.a.test", a.base()),
        ("http://api.a.test", b.base()),
    ]);
    let allowed = allow(&["https://api.a.test", "http://api.a.test"]);
    let url = redirect_to(
        "https://api.a.test",
        "http://api.a.test/echo/downgrade",
        302,
    );
    egress
        .send(&allowed, OutboundRequest::get(url), Some(&bearer()))
        .await
        .unwrap();
    let last = b.seen().pop().unwrap();
    assert_eq!(last.path_and_query, "/echo/downgrade");
    assert!(last.header("authorization").is_empty());
}

#[tokio::test]
async fn leaving_the_origin_is_sticky() {
    let a = upstream().await;
    let b = upstream().await;
    let egress = local_egress(&[
        ("https://api.a.test", a.base()),
        ("https://api.b.test", b.base()),
    ]);
    let allowed = allow(&["https://api.a.test", "https://api.b.test"]);
    let back = redirect_to("https://api.b.test", "https://api.a.test/echo/back", 302);
    let url = redirect_to("https://api.a.test", &back, 302);
    egress
        .send(&allowed, OutboundRequest::get(url), Some(&bearer()))
        .await
        .unwrap();
    let on_a = a.seen();
    assert_eq!(on_a.len(), 2);
    assert_eq!(on_a[0].header("authorization").len(), 1);
    assert_eq!(on_a[1].path_and_query, "/echo/back");
    assert!(on_a[1].header("authorization").is_empty());
}

#[tokio::test]
async fn a_query_secret_never_crosses_to_another_origin() {
    let a = upstream().await;
    let b = upstream().await;
    let egress = local_egress(&[
        ("https://api.a.test", a.base()),
        ("https://api.b.test", b.base()),
    ]);
    let allowed = allow(&["https://api.a.test", "https://api.b.test"]);
    let cred = Credential::Query {
        name: "key".into(),
        secret: SECRET.into(),
    };
    // An upstream reflecting the secret into the Location, in the credential's parameter:
    // the parameter is removed and the request goes on without it.
    let url = redirect_to(
        "https://api.a.test",
        &format!("https://api.b.test/echo?key={SECRET}&x=1"),
        302,
    );
    egress
        .send(&allowed, OutboundRequest::get(url), Some(&cred))
        .await
        .unwrap();
    assert_eq!(b.seen()[0].path_and_query, "/echo?x=1");

    // ... and anywhere else in the URL: refused.
    let url = redirect_to(
        "https://api.a.test",
        &format!("https://api.b.test/echo/{SECRET}"),
        302,
    );
    let r = egress
        .send(&allowed, OutboundRequest::get(url), Some(&cred))
        .await;
    assert!(
        matches!(&r, Err(EgressError::Denied(m)) if !m.contains(SECRET)),
        "{r:?}"
    );
    assert_eq!(b.seen().len(), 1);

    // Same origin: the credential is injected again, and only once.
    let url = redirect_to(
        "https://api.a.test",
        &format!("/echo/same?key={SECRET}&key=forged"),
        302,
    );
    egress
        .send(&allowed, OutboundRequest::get(url), Some(&cred))
        .await
        .unwrap();
    let last = a.seen().pop().unwrap();
    assert_eq!(last.path_and_query, format!("/echo/same?key={SECRET}"));
}

#[tokio::test]
async fn see_other_turns_into_get_and_307_keeps_the_body() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.a.test", up.base())]);
    let allowed = allow(&["https://api.a.test"]);
    for (status, method, body) in [
        (303, "GET", &b""[..]),
        (307, "POST", &b"payload"[..]),
        (302, "GET", &b""[..]),
    ] {
        let req = OutboundRequest {
            method: Method::Post,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Some(b"payload".to_vec()),
            ..OutboundRequest::get(redirect_to("https://api.a.test", "/echo/next", status))
        };
        egress.send(&allowed, req, None).await.unwrap();
        let last = up.seen().pop().unwrap();
        assert_eq!(last.method, method, "{status}");
        assert_eq!(last.body, body, "{status}");
        assert_eq!(
            last.header("content-type").is_empty(),
            method == "GET",
            "{status}"
        );
    }
}

#[tokio::test]
async fn redirects_are_capped() {
    let up = upstream().await;
    let settings = EgressSettings {
        allow_private_addresses: true,
        max_redirects: 3,
        overrides: [("https://api.a.test".to_string(), up.base())].into(),
        ..EgressSettings::default()
    };
    let egress = super::super::Egress::new(settings).unwrap();
    let allowed = allow(&["https://api.a.test"]);
    // A Location that points at itself.
    let url = redirect_to("https://api.a.test", "SELF", 302);
    let r = egress.send(&allowed, OutboundRequest::get(url), None).await;
    assert!(
        matches!(&r, Err(EgressError::Denied(m)) if m.contains("redirects")),
        "{r:?}"
    );
    assert_eq!(up.seen().len(), 4);
}

#[tokio::test]
async fn other_3xx_and_missing_location_come_back_as_they_are() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.a.test", up.base())]);
    let allowed = allow(&["https://api.a.test"]);
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.a.test/redirect?status=302"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 302);
    let url = redirect_to("https://api.a.test", "https://evil.test/", 300);
    let r = egress
        .send(&allowed, OutboundRequest::get(url), None)
        .await
        .unwrap();
    assert_eq!(r.status, 300);
}
