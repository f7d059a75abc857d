//! Fault injection: what the next token requests of an app answer instead of the real thing.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One injected answer of the token endpoint.
///
/// JSON: `{"kind": "invalid_grant"}`, `{"kind": "invalid_client"}`,
/// `{"kind": "rate_limited", "retry_after_secs": 30}`, `{"kind": "server_error", "status": 503}`,
/// `{"kind": "error_with_200", "error": "invalid_grant"}`, `{"kind": "delay", "ms": 500}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The app's `invalid_grant` (GitHub: `bad_verification_code` / `bad_refresh_token`, HTTP 200).
    InvalidGrant,
    /// The app's `invalid_client` (GitHub: `incorrect_client_credentials`, HTTP 200).
    InvalidClient,
    /// HTTP 429 with `Retry-After`.
    RateLimited { retry_after_secs: u32 },
    /// A 5xx (500 and 503 are the usual ones).
    ServerError { status: u16 },
    /// `{"error": <error>, "error_description": …}` with HTTP 200, whatever the app.
    #[serde(rename = "error_with_200")]
    ErrorWith200 { error: String },
    /// Wait this long, then answer normally (a slow endpoint).
    Delay { ms: u64 },
}

/// Faults waiting for the next token requests, first in first out.
#[derive(Debug, Default)]
pub struct FaultQueue(VecDeque<Fault>);

impl FaultQueue {
    /// Queues `fault` for the next `times` requests (after those already queued).
    pub fn push(&mut self, fault: Fault, times: u32) {
        for _ in 0..times {
            self.0.push_back(fault.clone());
        }
    }

    /// The fault for the request arriving now, if any.
    pub fn pop(&mut self) -> Option<Fault> {
        self.0.pop_front()
    }

    /// Forgets every queued fault.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Queued faults, next first.
    pub fn pending(&self) -> Vec<Fault> {
        self.0.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queue_in_order() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::InvalidGrant, 2);
        queue.push(Fault::Delay { ms: 5 }, 1);
        assert_eq!(queue.pending().len(), 3);
        assert_eq!(queue.pop(), Some(Fault::InvalidGrant));
        assert_eq!(queue.pop(), Some(Fault::InvalidGrant));
        assert_eq!(queue.pop(), Some(Fault::Delay { ms: 5 }));
        assert_eq!(queue.pop(), None);
        queue.push(Fault::InvalidClient, 0);
        assert_eq!(queue.pop(), None, "zero times queues nothing");
    }

    #[test]
    fn json_forms() {
        let fault: Fault =
            serde_json::from_value(json!({"kind": "rate_limited", "retry_after_secs": 7})).unwrap();
        assert_eq!(
            fault,
            Fault::RateLimited {
                retry_after_secs: 7
            }
        );
        let fault: Fault =
            serde_json::from_value(json!({"kind": "error_with_200", "error": "slow_down"}))
                .unwrap();
        assert_eq!(
            fault,
            Fault::ErrorWith200 {
                error: "slow_down".into()
            }
        );
        assert!(serde_json::from_value::<Fault>(json!({"kind": "nope"})).is_err());
    }
}
