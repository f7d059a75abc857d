//! A test kit for connector authors: run tools on the host target with a fake `http.send`.
//!
//! ```
//! use latchkey_sdk::testing;
//! use latchkey_sdk::Request;
//!
//! testing::mock_http(|req| Ok(testing::response(200, &format!("{{\"url\":\"{}\"}}", req.url))));
//! let body: serde_json::Value = Request::get("https://api.example.com/me")
//!     .authenticated()
//!     .send()
//!     .unwrap()
//!     .json()
//!     .unwrap();
//! assert_eq!(body["url"], "https://api.example.com/me");
//! ```

use std::cell::RefCell;

use crate::bindings::latchkey::connector::http::{HttpError, Request, Response};
use crate::bindings::latchkey::connector::types::CallContext;
use crate::context::Context;

type Handler = Box<dyn Fn(&Request) -> Result<Response, HttpError>>;

thread_local! {
    static HANDLER: RefCell<Option<Handler>> = const { RefCell::new(None) };
}

/// Answers every request sent from this thread with `handler` (replacing any earlier one).
pub fn mock_http(handler: impl Fn(&Request) -> Result<Response, HttpError> + 'static) {
    HANDLER.with(|slot| *slot.borrow_mut() = Some(Box::new(handler)));
}

/// Removes this thread's handler: requests fail with a transport error again.
pub fn clear_http() {
    HANDLER.with(|slot| *slot.borrow_mut() = None);
}

/// A JSON response with this status and body.
pub fn response(status: u16, json_body: &str) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: json_body.as_bytes().to_vec(),
    }
}

/// A context for `user-1` on `connection-1` with these granted scopes.
pub fn context(granted_scopes: &[&str]) -> Context {
    Context::new(CallContext {
        user_id: "user-1".into(),
        connection_id: "connection-1".into(),
        metadata: Vec::new(),
        granted_scopes: granted_scopes.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// Hands a request to this thread's handler.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn dispatch(request: &Request) -> Result<Response, HttpError> {
    HANDLER.with(|slot| match slot.borrow().as_ref() {
        Some(handler) => handler(request),
        None => Err(HttpError::Transport(
            "no host outside the sandbox: install a handler with latchkey_sdk::testing::mock_http"
                .into(),
        )),
    })
}
