//! An optional observer of a call's outgoing requests, given once when the gateway is started
//! ([`crate::app::StartOptions::outbound_tap`]; the auth test kit records egress with it). It sees the plugin's side of `http.send`: the
//! request as the plugin asked for it (before any credential is attached) and what the plugin
//! got back (already redacted).

use std::sync::Arc;

use crate::app::App;
use crate::plugin::{HttpError, HttpRequest, HttpResponse, Outbound};

/// Told about every request a plugin makes while it is installed.
pub trait OutboundTap: Send + Sync {
    /// `connector` asked for `request` and got `result`.
    fn observe(
        &self,
        connector: &str,
        request: &HttpRequest,
        result: &Result<HttpResponse, HttpError>,
    );
}

/// An [`Outbound`] that reports to a tap.
struct Tapped {
    inner: Arc<dyn Outbound>,
    tap: Arc<dyn OutboundTap>,
    connector: String,
}

impl Outbound for Tapped {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let asked = req.clone();
        let result = self.inner.send(req);
        self.tap.observe(&self.connector, &asked, &result);
        result
    }
}

/// `outbound`, reporting to the tap the gateway was started with, if any.
pub fn observed(app: &App, connector: &str, outbound: Arc<dyn Outbound>) -> Arc<dyn Outbound> {
    match &app.outbound_tap {
        Some(tap) => Arc::new(Tapped {
            inner: outbound,
            tap: tap.clone(),
            connector: connector.to_string(),
        }),
        None => outbound,
    }
}
