//! Low-level rejections as problem+json: a URI or header block too large for the gateway
//! (414, 431, checked here before routing, well below the HTTP server's own hard limits),
//! and whatever an extractor or layer answered in plain text or with an empty body (413 on an
//! upload, a malformed form or query, an unsupported media type). A client always gets the
//! RFC 9457 body it gets everywhere else; `/mcp` answers JSON-RPC on its own.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::Problem;

/// Longest request target accepted (path and query).
pub const MAX_URI_BYTES: usize = 8 << 10;
/// Largest header block accepted (names and values).
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Refuse a request whose target or headers are larger than the gateway reads.
pub async fn limits(request: Request, next: Next) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().len())
        .unwrap_or(0);
    if target > MAX_URI_BYTES {
        return Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            "The request target is too long",
            format!("send at most {MAX_URI_BYTES} bytes of path and query"),
        )
        .into_response();
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "The request headers are too large",
            format!("send at most {MAX_HEADER_BYTES} bytes of headers"),
        )
        .into_response();
    }
    next.run(request).await
}

/// The stable code for an error status no handler described.
fn code_for(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large"),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "The request target is too long"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("headers_too_large", "The request headers are too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "The body's media type is not accepted",
        ),
        StatusCode::NOT_FOUND => ("not_found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed"),
        s if s.is_server_error() => ("internal", "Internal error"),
        _ => ("invalid_request", "The request is malformed"),
    }
}

/// Turn an error response that is neither JSON nor a page into problem+json.
pub async fn as_problem(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // A body refused unread leaves the connection mid-message: the server closes it after the
    // answer, so say so, or the client pools it and its next request dies as an incomplete
    // message.
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    let described = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.contains("json") || v.starts_with("text/html") || v.starts_with("text/event-stream")
        });
    if described {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Extractor rejections are short texts of our own crates (never the request's content
    // beyond a field name); bounded all the same.
    let text = to_bytes(body, 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, title) = code_for(status);
    let detail = if text.is_empty() {
        title.to_string()
    } else {
        text
    };
    let mut problem = Problem::new(status, code, title, detail);
    if let Some(secs) = parts
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
    {
        problem.retry_after = Some(secs);
    }
    let mut out = problem.into_response();
    for name in [header::WWW_AUTHENTICATE, header::ALLOW, header::CONNECTION] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}
