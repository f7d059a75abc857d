//! Local test servers: a recording upstream (axum) and raw TCP servers for counting
//! connections, stalling, and endless or header-heavy responses.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::super::{AllowList, Egress, EgressSettings, StaticResolver};

/// One request as the upstream saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    /// All values of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A recording HTTP upstream on 127.0.0.1.
pub struct Upstream {
    pub addr: SocketAddr,
    log: Log,
    task: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

fn query_map(req: &Request) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

async fn record(log: &Log, req: Request) -> (Seen, BTreeMap<String, String>) {
    let query = query_map(&req);
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default()
        .to_vec();
    let seen = Seen {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    log.lock().unwrap().push(seen.clone());
    (seen, query)
}

/// Everything received, plus encodings of every credential-looking value, as a body:
/// what a debug endpoint or an error page that reflects the request would show.
fn echo_body(seen: &Seen, query: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = format!("{} {}\n", seen.method, seen.path_and_query);
    for (n, v) in &seen.headers {
        out.push_str(&format!("header {n}: {v}\n"));
        let token = v.rsplit(' ').next().unwrap_or(v);
        out.push_str(&format!("b64 {}\n", STANDARD.encode(token)));
        let pct: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
        out.push_str(&format!("pct {pct}\n"));
        if let Ok(decoded) = STANDARD.decode(token) {
            out.push_str(&format!("decoded {}\n", String::from_utf8_lossy(&decoded)));
        }
    }
    for (k, v) in query {
        out.push_str(&format!("query {k}={v}\nb64 {}\n", STANDARD.encode(v)));
    }
    let mut bytes = vec![0xff, 0xfe, b'\n'];
    bytes.extend_from_slice(out.as_bytes());
    bytes.extend_from_slice(b"\nbody:");
    bytes.extend_from_slice(&seen.body);
    bytes
}

async fn echo(State(log): State<Log>, req: Request) -> Response {
    let (seen, query) = record(&log, req).await;
    let mut resp = Response::new(Body::from(echo_body(&seen, &query)));
    let h = resp.headers_mut();
    for v in seen.header("authorization") {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append("x-echo-authorization", v);
        }
    }
    if let Some((_, q)) = seen.path_and_query.split_once('?')
        && let Ok(v) = HeaderValue::from_str(q)
    {
        h.insert("x-echo-query", v);
    }
    h.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("session=abc; HttpOnly"),
    );
    resp
}

/// `/redirect?to=<location>&status=<code>`.
async fn redirect(State(log): State<Log>, req: Request) -> Response {
    let (seen, query) = record(&log, req).await;
    let status = query
        .get("status")
        .and_then(|s| s.parse().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::FOUND);
    let mut resp = Response::new(Body::from("moved"));
    *resp.status_mut() = status;
    // `to=SELF` redirects to this very URL, for loops.
    let to = match query.get("to").map(String::as_str) {
        Some("SELF") => Some(seen.path_and_query.as_str()),
        other => other,
    };
    if let Some(to) = to {
        resp.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_str(to).unwrap());
    }
    resp
}

/// `/big?n=<bytes>`: a body of `n` bytes with a Content-Length.
async fn big(State(log): State<Log>, req: Request) -> Response {
    let (_, query) = record(&log, req).await;
    let n = query.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
    Response::new(Body::from(vec![b'a'; n]))
}

/// `/slow?ms=<delay>`: answers after a delay.
async fn slow(State(log): State<Log>, req: Request) -> Response {
    let (_, query) = record(&log, req).await;
    let ms = query.get("ms").and_then(|n| n.parse().ok()).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Response::new(Body::from("late"))
}

/// Starts a recording upstream on 127.0.0.1:0.
pub async fn upstream() -> Upstream {
    let log: Log = Arc::default();
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/echo/{*rest}", any(echo))
        .route("/redirect", any(redirect))
        .route("/big", any(big))
        .route("/slow", any(slow))
        .fallback(any(echo))
        .with_state(log.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Upstream { addr, log, task }
}

/// A raw TCP server; `accepts` counts connections it accepted.
pub struct RawServer {
    pub addr: SocketAddr,
    pub accepts: Arc<AtomicUsize>,
    pub written: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// Port as a string, for URLs.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

/// What a raw server does with each connection after reading the request head.
#[derive(Clone, Copy)]
pub enum Behaviour {
    /// `200 ok` and close.
    Ok,
    /// Headers promising 100 bytes, 10 bytes, then silence.
    StallBody,
    /// Chunked body, 64 KiB chunks, until the client goes away (bounded at 64 MiB).
    Endless,
    /// A response with this many headers.
    ManyHeaders(usize),
    /// `Content-Encoding: gzip`, whatever was asked.
    Gzipped,
}

async fn read_head(sock: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 1 << 20 {
        match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
}

async fn serve_raw(mut sock: tokio::net::TcpStream, how: Behaviour, written: Arc<AtomicUsize>) {
    read_head(&mut sock).await;
    match how {
        Behaviour::Ok => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
        Behaviour::StallBody => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
                .await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        Behaviour::Endless => {
            if sock
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut chunk = b"10000\r\n".to_vec();
            chunk.extend(std::iter::repeat_n(b'x', 0x10000));
            chunk.extend_from_slice(b"\r\n");
            for _ in 0..1024 {
                if sock.write_all(&chunk).await.is_err() {
                    return;
                }
                written.fetch_add(0x10000, Ordering::SeqCst);
            }
        }
        Behaviour::Gzipped => {
            let _ = sock
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 2\r\n\r\nok",
                )
                .await;
        }
        Behaviour::ManyHeaders(n) => {
            let mut head = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n".to_string();
            for i in 0..n {
                head.push_str(&format!("x-h{i}: v\r\n"));
            }
            head.push_str("\r\nok");
            let _ = sock.write_all(head.as_bytes()).await;
        }
    }
}

/// Starts a raw server on 127.0.0.1:0.
pub async fn raw(how: Behaviour) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let (a, w) = (accepts.clone(), written.clone());
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve_raw(sock, how, w.clone()));
        }
    });
    RawServer {
        addr,
        accepts,
        written,
        task,
    }
}

/// A port on 127.0.0.1 with nothing listening.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// Every test name resolves to loopback, so a policy bug would connect, not fail in DNS.
pub fn loopback_names(names: &[&str]) -> StaticResolver {
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    names
        .iter()
        .fold(StaticResolver::new(), |r, n| r.with(n, &[lo]))
}

/// An egress that may reach loopback, with overrides `origin -> base`.
pub fn local_egress(overrides: &[(&str, String)]) -> Egress {
    let settings = EgressSettings {
        allow_private_addresses: true,
        overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        ..EgressSettings::default()
    };
    Egress::with_resolver(
        settings,
        Arc::new(loopback_names(&["localhost", "svc.test"])),
    )
    .unwrap()
}

/// The allowlist from entries.
pub fn allow(entries: &[&str]) -> AllowList {
    AllowList::parse(entries).unwrap()
}
