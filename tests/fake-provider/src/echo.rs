//! Echo mode: app responses also carry what the fake received, the way some real APIs reflect
//! a request back, so the gateway's tests can prove it redacts a reflected credential.
//!
//! JSON object bodies get `"_echo": {"method", "path", "query", "headers", "body"}`; every
//! response gets `x-echo-authorization: <the Authorization header received>`.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::record::RecordedRequest;
use crate::state::State;

/// Middleware: when echo is on, reflect the recorded request into the response.
pub async fn layer(AxumState(state): AxumState<State>, request: Request, next: Next) -> Response {
    let received = request.extensions().get::<RecordedRequest>().cloned();
    let response = next.run(request).await;
    match received {
        Some(received) if state.with(|inner| inner.echo) => reflect(response, &received).await,
        _ => response,
    }
}

/// Adds the echo header and, for JSON objects, the `_echo` field.
async fn reflect(response: Response, received: &RecordedRequest) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(value) = received
        .header("authorization")
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        parts.headers.insert("x-echo-authorization", value);
    }
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut object)) => {
            object.insert("_echo".into(), describe(received));
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(Value::Object(object).to_string())
        }
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

/// What was received, as JSON.
fn describe(received: &RecordedRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in &received.headers {
        let joined = match headers.get(name).and_then(Value::as_str) {
            Some(earlier) => format!("{earlier}, {value}"),
            None => value.clone(),
        };
        headers.insert(name.clone(), joined.into());
    }
    let (path, query) = received
        .path
        .split_once('?')
        .unwrap_or((received.path.as_str(), ""));
    json!({
        "method": received.method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": received.body,
    })
}
