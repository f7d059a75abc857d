//! Where a request actually goes: the host's `http.send` import inside the sandbox, a test
//! double (see [`crate::testing`]) on any other target.

use crate::bindings::latchkey::connector::http::{HttpError, Request, Response};

/// Sends one request through the host.
#[cfg(target_arch = "wasm32")]
pub fn send(request: &Request) -> Result<Response, HttpError> {
    crate::bindings::latchkey::connector::http::send(request)
}

/// Sends one request to the test double installed on this thread, if any.
#[cfg(not(target_arch = "wasm32"))]
pub fn send(request: &Request) -> Result<Response, HttpError> {
    crate::testing::dispatch(request)
}
