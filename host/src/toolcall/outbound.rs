//! The plugin's `http.send`, bound to one call: the connector's allowlist, the connection's
//! credential (attached only when the plugin asks to authenticate), a request budget, and the
//! call's cancellation (no request leaves after it, and one in flight is abandoned).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::credential::CallCredentials;
use crate::egress::{AllowList, Egress, EgressError, OutboundRequest};
use crate::plugin::{HttpError, HttpRequest, HttpResponse, Outbound};

/// One call's view of egress.
pub struct CallOutbound {
    egress: Arc<Egress>,
    allow: Arc<AllowList>,
    credentials: Option<CallCredentials>,
    handle: Handle,
    remaining: AtomicU32,
    cancel: CancellationToken,
}

impl CallOutbound {
    /// Bind egress to a call. `handle` is the runtime the blocking plugin thread reaches back to.
    pub fn new(
        egress: Arc<Egress>,
        allow: Arc<AllowList>,
        credentials: Option<CallCredentials>,
        handle: Handle,
        max_requests: u32,
    ) -> Self {
        CallOutbound {
            egress,
            allow,
            credentials,
            handle,
            remaining: AtomicU32::new(max_requests),
            cancel: CancellationToken::new(),
        }
    }

    /// Stop sending once `cancel` fires.
    pub fn cancelled_by(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}

impl Outbound for CallOutbound {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        if self.cancel.is_cancelled() {
            return Err(HttpError::Denied("the call was cancelled".into()));
        }
        let left = self
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if left.is_err() {
            return Err(HttpError::Denied(
                "this call has used up its request budget".into(),
            ));
        }
        let credential = match (req.authenticate, &self.credentials) {
            (true, Some(c)) => Some(
                c.pick(req.token.as_deref())
                    .ok_or(HttpError::NoCredential)?,
            ),
            (true, None) => return Err(HttpError::NoCredential),
            (false, _) => None,
        };
        let outbound = OutboundRequest {
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: req.body,
            timeout: req
                .timeout_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
        };
        let result = self.handle.block_on(async {
            tokio::select! {
                r = self.egress.send(&self.allow, outbound, credential) => Some(r),
                () = self.cancel.cancelled() => None,
            }
        });
        let Some(result) = result else {
            return Err(HttpError::Transport("the call was cancelled".into()));
        };
        match result {
            Ok(r) => Ok(HttpResponse {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(e) => Err(match e {
                EgressError::Denied(m) => HttpError::Denied(m),
                EgressError::InvalidRequest(m) => HttpError::InvalidRequest(m),
                EgressError::NoCredential => HttpError::NoCredential,
                EgressError::Timeout => HttpError::Timeout,
                EgressError::TooLarge => HttpError::TooLarge,
                EgressError::Transport(m) => HttpError::Transport(m),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::Method;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_cancelled_call_sends_nothing_more() {
        let egress = Arc::new(Egress::new(Default::default()).expect("egress"));
        let allow = Arc::new(AllowList::parse(["https://api.example.com"]).expect("allow"));
        let cancel = CancellationToken::new();
        let outbound = CallOutbound::new(egress, allow, None, Handle::current(), 10)
            .cancelled_by(cancel.clone());
        cancel.cancel();
        let request = HttpRequest {
            method: Method::Get,
            url: "https://api.example.com/x".into(),
            headers: Vec::new(),
            body: None,
            authenticate: false,
            token: None,
            timeout_ms: None,
        };
        let refused = tokio::task::spawn_blocking(move || outbound.send(request))
            .await
            .expect("join");
        assert!(
            matches!(&refused, Err(HttpError::Denied(m)) if m.contains("cancelled")),
            "{refused:?}"
        );
    }
}
