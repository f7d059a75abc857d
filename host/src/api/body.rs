//! JSON request bodies with errors that say what is wrong, as problem+json.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// A JSON body parsed into `T`; a malformed one is an `invalid_request` problem.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::invalid_request(
                "send a JSON body with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::invalid_request(format!("cannot read the body: {e}")))?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            Problem::invalid_request(format!("the body is not valid JSON for this endpoint: {e}"))
        })
    }
}
