//! JSON-RPC framing on `/mcp`: a body that is not JSON is a parse error (−32700), a
//! `tools/call` whose params are not `{name: string, arguments?: object}` is invalid params
//! (−32602), and every rejection the MCP SDK answers in plain text (406, 413, 415, an unknown
//! session…) is re-sent as a JSON-RPC error with the same status. A client always gets
//! something it can parse.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// JSON-RPC 2.0 §5.1: invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;

/// A JSON-RPC error response with HTTP `status`.
pub fn error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message},
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Why `params` cannot be a `tools/call`'s, if they cannot.
fn tool_call_params_problem(params: Option<&Value>) -> Option<&'static str> {
    let Some(Value::Object(p)) = params else {
        return Some("tools/call needs params {\"name\": string, \"arguments\": object}");
    };
    if !p.get("name").is_some_and(Value::is_string) {
        return Some("tools/call params need a string \"name\"");
    }
    match p.get("arguments") {
        None | Some(Value::Object(_)) | Some(Value::Null) => None,
        Some(_) => Some("tools/call \"arguments\" must be an object"),
    }
}

/// Read a POST body (at most `max` bytes) and check what the SDK would answer without
/// JSON-RPC; the request comes back with its body intact when it passes.
pub async fn check_post(request: Request, max: usize) -> Result<Request, Response> {
    if request.method() != Method::POST {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = to_bytes(body, max).await.map_err(|_| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            Value::Null,
            INVALID_REQUEST,
            &format!("the message is larger than {max} bytes"),
        )
    })?;
    let message: Value = serde_json::from_slice(&bytes).map_err(|e| {
        let text = if bytes.is_empty() {
            "the body is empty: send one JSON-RPC message".to_string()
        } else {
            format!("the body is not JSON: {e}")
        };
        error(StatusCode::BAD_REQUEST, Value::Null, PARSE_ERROR, &text)
    })?;
    if message["method"] == "tools/call"
        && let Some(problem) = tool_call_params_problem(message.get("params"))
    {
        let id = message.get("id").cloned().unwrap_or(Value::Null);
        return Err(error(StatusCode::BAD_REQUEST, id, INVALID_PARAMS, problem));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A rejection the SDK answered in plain text, as a JSON-RPC error (same status); anything
/// else unchanged.
pub async fn as_jsonrpc(response: Response) -> Response {
    let status = response.status();
    let is_plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| !(v.contains("json") || v.starts_with("text/event-stream")));
    if !(status.is_client_error() || status.is_server_error()) || !is_plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    let mut out = error(status, Value::Null, INVALID_REQUEST, &message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_call_params_are_checked() {
        assert!(tool_call_params_problem(Some(&json!({"name": "x"}))).is_none());
        assert!(tool_call_params_problem(Some(&json!({"name": "x", "arguments": {}}))).is_none());
        assert!(tool_call_params_problem(None).is_some());
        assert!(tool_call_params_problem(Some(&json!({"name": 5}))).is_some());
        assert!(tool_call_params_problem(Some(&json!({"name": "x", "arguments": [1]}))).is_some());
    }
}
