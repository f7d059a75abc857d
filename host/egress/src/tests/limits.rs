//! Rule 7 end to end: body caps, header caps, one deadline over the whole exchange.

use std::time::Duration;

use super::super::{Credential, Egress, EgressError, EgressSettings, Method, OutboundRequest};
use super::server::{Behaviour, allow, closed_port, raw, upstream};

fn egress_with(origin_to: String, tweak: impl FnOnce(&mut EgressSettings)) -> Egress {
    let mut settings = EgressSettings {
        allow_private_addresses: true,
        overrides: [("https://api.a.test".to_string(), origin_to)].into(),
        ..EgressSettings::default()
    };
    tweak(&mut settings);
    Egress::new(settings).unwrap()
}

#[tokio::test]
async fn an_oversized_response_is_too_large() {
    let up = upstream().await;
    let egress = egress_with(up.base(), |s| s.max_response_body_bytes = 1000);
    let allowed = allow(&["https://api.a.test"]);
    let ok = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.a.test/big?n=1000"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ok.body.len(), 1000);
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.a.test/big?n=1001"),
            None,
        )
        .await;
    assert_eq!(r, Err(EgressError::TooLarge));
}

#[tokio::test]
async fn a_head_response_is_not_judged_by_its_content_length() {
    let up = upstream().await;
    let egress = egress_with(up.base(), |s| s.max_response_body_bytes = 1000);
    let allowed = allow(&["https://api.a.test"]);
    let req = OutboundRequest {
        method: Method::Head,
        ..OutboundRequest::get("https://api.a.test/big?n=5000")
    };
    let r = egress.send(&allowed, req, None).await.unwrap();
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[tokio::test]
async fn an_endless_stream_is_cut_off_at_the_cap() {
    let server = raw(Behaviour::Endless).await;
    let egress = egress_with(format!("http://{}", server.addr), |s| {
        s.max_response_body_bytes = 1024 * 1024;
    });
    let allowed = allow(&["https://api.a.test"]);
    let r = egress
        .send(&allowed, OutboundRequest::get("https://api.a.test/"), None)
        .await;
    assert_eq!(r, Err(EgressError::TooLarge));
    // The server could not push much past the cap before the connection went away
    // (socket buffers only); it is bounded at 64 MiB.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.written.load(std::sync::atomic::Ordering::SeqCst) < 32 * 1024 * 1024);
}

#[tokio::test]
async fn too_many_response_headers_is_too_large() {
    let server = raw(Behaviour::ManyHeaders(50)).await;
    let egress = egress_with(format!("http://{}", server.addr), |s| {
        s.max_header_count = 20
    });
    let allowed = allow(&["https://api.a.test"]);
    let r = egress
        .send(&allowed, OutboundRequest::get("https://api.a.test/"), None)
        .await;
    assert_eq!(r, Err(EgressError::TooLarge));
}

#[tokio::test]
async fn an_oversized_request_body_is_refused_before_connecting() {
    let server = raw(Behaviour::Ok).await;
    let egress = egress_with(format!("http://{}", server.addr), |s| {
        s.max_request_body_bytes = 10
    });
    let allowed = allow(&["https://api.a.test"]);
    let req = OutboundRequest {
        method: Method::Post,
        body: Some(vec![0; 11]),
        ..OutboundRequest::get("https://api.a.test/")
    };
    let r = egress.send(&allowed, req, None).await;
    assert!(matches!(r, Err(EgressError::InvalidRequest(_))), "{r:?}");
    assert_eq!(server.accepted(), 0);
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let up = upstream().await;
    let egress = egress_with(up.base(), |_| {});
    let allowed = allow(&["https://api.a.test"]);
    let req = OutboundRequest {
        timeout: Some(Duration::from_millis(200)),
        ..OutboundRequest::get("https://api.a.test/slow?ms=5000")
    };
    assert_eq!(
        egress.send(&allowed, req, None).await,
        Err(EgressError::Timeout)
    );
}

#[tokio::test]
async fn a_stalled_body_times_out() {
    let server = raw(Behaviour::StallBody).await;
    let egress = egress_with(format!("http://{}", server.addr), |_| {});
    let allowed = allow(&["https://api.a.test"]);
    let req = OutboundRequest {
        timeout: Some(Duration::from_millis(200)),
        ..OutboundRequest::get("https://api.a.test/")
    };
    assert_eq!(
        egress.send(&allowed, req, None).await,
        Err(EgressError::Timeout)
    );
}

#[tokio::test]
async fn the_plugins_timeout_is_clamped_to_the_maximum() {
    let up = upstream().await;
    let egress = egress_with(up.base(), |s| {
        s.default_timeout = Duration::from_millis(100);
        s.max_timeout = Duration::from_millis(200);
    });
    let allowed = allow(&["https://api.a.test"]);
    let req = OutboundRequest {
        timeout: Some(Duration::from_secs(3600)),
        ..OutboundRequest::get("https://api.a.test/slow?ms=5000")
    };
    assert_eq!(
        egress.send(&allowed, req, None).await,
        Err(EgressError::Timeout)
    );
    // No timeout asked: the default applies.
    let req = OutboundRequest::get("https://api.a.test/slow?ms=5000");
    assert_eq!(
        egress.send(&allowed, req, None).await,
        Err(EgressError::Timeout)
    );
}

#[tokio::test]
async fn transport_errors_do_not_leak_a_query_secret() {
    let port = closed_port().await;
    let egress = egress_with(format!("http://127.0.0.1:{port}"), |_| {});
    let allowed = allow(&["https://api.a.test"]);
    let cred = Credential::Query {
        name: "key".into(),
        secret: "SUPERSECRET".into(),
    };
    let r = egress
        .send(
            &allowed,
            OutboundRequest::get("https://api.a.test/x"),
            Some(&cred),
        )
        .await;
    match r {
        Err(EgressError::Transport(m)) => {
            assert!(
                !m.contains("SUPERSECRET") && !m.contains("127.0.0.1"),
                "{m}"
            );
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}
