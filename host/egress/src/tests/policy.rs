//! Rules 1–3 end to end: allowlist first, overrides, and the address rule.

use std::net::IpAddr;
use std::sync::Arc;

use super::super::{Egress, EgressError, EgressSettings, OutboundRequest, StaticResolver};
use super::server::{Behaviour, allow, local_egress, loopback_names, raw, upstream};

fn denied(r: Result<super::super::InboundResponse, EgressError>) -> String {
    match r {
        Err(EgressError::Denied(m)) => m,
        other => panic!("expected denied, got {other:?}"),
    }
}

#[tokio::test]
async fn allowlist_refusal_opens_no_connection() {
    let server = raw(Behaviour::Ok).await;
    let p = server.port();
    // Private addresses allowed and every name resolving to loopback: only the allowlist
    // stands between these requests and the listener.
    let egress = Egress::with_resolver(
        EgressSettings {
            allow_private_addresses: true,
            ..EgressSettings::default()
        },
        Arc::new(loopback_names(&[
            "evil.test",
            "api.allowed.test",
            "localhost",
        ])),
    )
    .unwrap();
    let allowed = allow(&["https://api.allowed.test", "http://api.allowed.test"]);
    for url in [
        format!("http://127.0.0.1:{p}/"),
        format!("http://localhost:{p}/"),
        format!("http://evil.test:{p}/"),
        format!("http://api.allowed.test@127.0.0.1:{p}/"),
        format!("http://api.allowed.test:x@evil.test:{p}/"),
        format!("http://evil.test:{p}#@api.allowed.test"),
        format!("http://evil.test:{p}?@api.allowed.test"),
        format!("http://api.allowed.test:{p}/"),
        format!("http://2130706433:{p}/"),
        format!("http://[::ffff:127.0.0.1]:{p}/"),
        format!("ftp://api.allowed.test:{p}/"),
        format!("https://evil.test:{p}/"),
    ] {
        let r = egress
            .send(&allowed, OutboundRequest::get(&url), None)
            .await;
        assert!(r.is_err(), "{url} was not refused");
    }
    assert_eq!(
        server.accepted(),
        0,
        "a refused request opened a connection"
    );

    // The counter does count: the same listener, once allowed, is reached.
    let ok = allow(&[&format!("http://127.0.0.1:{p}")]);
    let r = egress
        .send(
            &ok,
            OutboundRequest::get(format!("http://127.0.0.1:{p}/")),
            None,
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.body.as_slice()), (200, b"ok".as_slice()));
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn userinfo_is_denied_even_for_an_allowed_host() {
    let egress = local_egress(&[]);
    let allowed = allow(&["http://127.0.0.1:9"]);
    let m = denied(
        egress
            .send(
                &allowed,
                OutboundRequest::get("http://x@127.0.0.1:9/"),
                None,
            )
            .await,
    );
    assert!(m.contains("userinfo"), "{m}");
}

#[tokio::test]
async fn url_tricks_to_private_addresses_are_refused() {
    let server = raw(Behaviour::Ok).await;
    let p = server.port();
    // Every trick is on the allowlist, so the address rule is what refuses it.
    let egress = Egress::with_resolver(
        EgressSettings::default(),
        Arc::new(loopback_names(&["localhost"])),
    )
    .unwrap();
    let tricks = [
        format!("http://127.0.0.1:{p}/"),
        format!("http://2130706433:{p}/"),
        format!("http://0x7f.1:{p}/"),
        format!("http://0x7f000001:{p}/"),
        format!("http://017700000001:{p}/"),
        format!("http://127.1:{p}/"),
        format!("http://127.0.0.1.:{p}/"),
        format!("http://[::ffff:127.0.0.1]:{p}/"),
        format!("http://[::ffff:7f00:1]:{p}/"),
        format!("http://[::1]:{p}/"),
        format!("http://[::127.0.0.1]:{p}/"),
        format!("http://[64:ff9b::7f00:1]:{p}/"),
        format!("http://[2002:7f00:1::]:{p}/"),
        format!("http://0.0.0.0:{p}/"),
        format!("http://0:{p}/"),
        format!("http://localhost:{p}/"),
    ];
    let entries: Vec<String> = tricks
        .iter()
        .map(|t| {
            let u = url::Url::parse(t).unwrap();
            format!("http://{}:{p}", u.host_str().unwrap())
        })
        .collect();
    let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
    let allowed = allow(&entries);
    for url in &tricks {
        let m = denied(egress.send(&allowed, OutboundRequest::get(url), None).await);
        assert!(
            m.contains("loopback") || m.contains("this-network") || m.contains("unspecified"),
            "{url}: {m}"
        );
    }
    assert_eq!(server.accepted(), 0);

    // The cloud metadata address, by IP and by a name resolving to it.
    let meta = Egress::with_resolver(
        EgressSettings::default(),
        Arc::new(StaticResolver::new().with("meta.test", &["169.254.169.254".parse().unwrap()])),
    )
    .unwrap();
    let allowed = allow(&[
        "http://169.254.169.254",
        "http://[::ffff:169.254.169.254]",
        "http://meta.test",
    ]);
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://0xa9fea9fe/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://meta.test/latest/meta-data/",
    ] {
        let m = denied(meta.send(&allowed, OutboundRequest::get(url), None).await);
        assert!(m.contains("metadata"), "{url}: {m}");
    }
}

#[tokio::test]
async fn trailing_dots_are_refused_consistently() {
    let egress = local_egress(&[]);
    let allowed = allow(&["http://localhost:9", "http://svc.test:9"]);
    for url in ["http://localhost.:9/", "http://svc.test.:9/"] {
        let r = egress.send(&allowed, OutboundRequest::get(url), None).await;
        assert!(
            matches!(r, Err(EgressError::InvalidRequest(_))),
            "{url}: {r:?}"
        );
    }
    assert!(super::super::AllowList::parse(["http://svc.test."]).is_err());
}

#[tokio::test]
async fn names_resolving_to_non_public_addresses_are_refused() {
    let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
    let resolver = StaticResolver::new()
        .with("private.test", &[ip("10.0.0.7")])
        .with("mixed.test", &[ip("93.184.216.34"), ip("127.0.0.1")])
        .with("mixed6.test", &[ip("2606:4700:4700::1111"), ip("fd00::1")])
        .with("mapped.test", &[ip("::ffff:127.0.0.1")])
        .with("cgnat.test", &[ip("100.64.1.1")]);
    let egress = Egress::with_resolver(EgressSettings::default(), Arc::new(resolver)).unwrap();
    let hosts = [
        "private.test",
        "mixed.test",
        "mixed6.test",
        "mapped.test",
        "cgnat.test",
    ];
    let entries: Vec<String> = hosts.iter().map(|h| format!("http://{h}")).collect();
    let allowed = super::super::AllowList::parse(&entries).unwrap();
    for host in hosts {
        let m = denied(
            egress
                .send(
                    &allowed,
                    OutboundRequest::get(format!("http://{host}/")),
                    None,
                )
                .await,
        );
        assert!(m.contains("resolves to a"), "{host}: {m}");
        assert!(!m.contains("10.0.0.7") && !m.contains("127.0.0.1"), "{m}");
    }
}

#[tokio::test]
async fn unresolvable_names_are_a_transport_error() {
    let egress =
        Egress::with_resolver(EgressSettings::default(), Arc::new(StaticResolver::new())).unwrap();
    let allowed = allow(&["https://nowhere.test"]);
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://nowhere.test/"),
            None,
        )
        .await;
    assert_eq!(
        r,
        Err(EgressError::Transport("could not resolve the host".into()))
    );
}

#[tokio::test]
async fn loopback_works_with_allow_private_and_an_override() {
    let up = upstream().await;
    let egress = local_egress(&[("https://api.example.test", format!("{}/prefix", up.base()))]);
    let allowed = allow(&["https://api.example.test"]);
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.example.test/v1/users?page=2#frag"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/prefix/v1/users?page=2");
}

#[tokio::test]
async fn a_name_resolved_by_the_hook_reaches_loopback_when_allowed() {
    let up = upstream().await;
    let egress = local_egress(&[]);
    let url = format!("http://svc.test:{}/echo", up.addr.port());
    let allowed = allow(&[&format!("http://svc.test:{}", up.addr.port())]);
    let r = egress
        .send(&allowed, OutboundRequest::get(url), None)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        up.seen()[0].header("host"),
        vec![format!("svc.test:{}", up.addr.port())]
    );
}

#[tokio::test]
async fn an_override_target_is_still_subject_to_the_address_rule() {
    let server = raw(Behaviour::Ok).await;
    let settings = EgressSettings {
        overrides: [(
            "https://api.example.test".to_string(),
            format!("http://127.0.0.1:{}", server.port()),
        )]
        .into(),
        ..EgressSettings::default()
    };
    let egress = Egress::with_resolver(settings, Arc::new(StaticResolver::new())).unwrap();
    let allowed = allow(&["https://api.example.test"]);
    let m = denied(
        egress
            .send(
                &allowed,
                OutboundRequest::get("https://api.example.test/"),
                None,
            )
            .await,
    );
    assert!(m.contains("loopback"), "{m}");
    assert_eq!(server.accepted(), 0);
}

#[tokio::test]
async fn an_override_does_not_widen_the_allowlist() {
    let server = raw(Behaviour::Ok).await;
    let egress = local_egress(&[(
        "https://api.example.test",
        format!("http://127.0.0.1:{}", server.port()),
    )]);
    let r = egress
        .send(
            &allow(&["https://other.test"]),
            OutboundRequest::get("https://api.example.test/"),
            None,
        )
        .await;
    denied(r);
    assert_eq!(server.accepted(), 0);
}

#[test]
fn bad_settings_are_refused() {
    let settings = EgressSettings {
        overrides: [(
            "https://*.a.test".to_string(),
            "http://127.0.0.1:1".to_string(),
        )]
        .into(),
        ..EgressSettings::default()
    };
    assert!(Egress::new(settings).is_err());
}
