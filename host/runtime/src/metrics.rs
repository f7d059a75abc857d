//! Per-connector call metrics: counters and a latency histogram, lock-free, kept across
//! versions of a connector so a hot swap does not reset them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::error::CallFailure;

/// Upper bounds of the latency buckets, in milliseconds (the last bucket is unbounded).
pub const LATENCY_BUCKETS_MS: [u64; 12] =
    [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/// How one invocation of a plugin ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The plugin returned normally and the host accepted its answer.
    Ok,
    /// The plugin returned normally with its own error report (a `call-error`).
    ToolError,
    /// Stopped at its CPU or wall-time budget.
    Timeout,
    /// Refused memory growth past its limit.
    MemoryLimit,
    /// Crashed (panic, stack overflow, invalid output at the ABI level).
    Trap,
    /// Refused for lack of a free slot.
    Busy,
    /// Returned output the host refused (too large, not JSON).
    BadOutput,
    /// Could not be instantiated, or the host failed.
    Other,
}

impl Outcome {
    /// The outcome a call failure stands for.
    pub fn of_failure(failure: &CallFailure) -> Outcome {
        match failure {
            CallFailure::Timeout => Outcome::Timeout,
            CallFailure::MemoryLimit => Outcome::MemoryLimit,
            CallFailure::Trap(_) => Outcome::Trap,
            CallFailure::Busy => Outcome::Busy,
            CallFailure::OutputTooLarge(_) | CallFailure::InvalidOutput(_) => Outcome::BadOutput,
            CallFailure::Instantiate(_) | CallFailure::Host => Outcome::Other,
        }
    }
}

/// Counters for one connector id.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    calls: AtomicU64,
    errors: AtomicU64,
    tool_errors: AtomicU64,
    traps: AtomicU64,
    timeouts: AtomicU64,
    memory_limits: AtomicU64,
    busy: AtomicU64,
    bad_output: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
    latency_sum_us: AtomicU64,
}

/// A point-in-time copy of [`PluginMetrics`], for the admin API and Prometheus.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricsSnapshot {
    /// Invocations that reached the plugin or were refused as busy.
    pub calls: u64,
    /// Invocations that did not end with output: tool errors and failures together.
    pub errors: u64,
    /// The connector reported an error itself (`call-error`).
    pub tool_errors: u64,
    pub traps: u64,
    pub timeouts: u64,
    pub memory_limits: u64,
    pub busy: u64,
    /// Output the host refused: too large, not JSON, too deeply nested.
    pub bad_output: u64,
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS_MS`] (the last is `+Inf`).
    pub latency_buckets: Vec<u64>,
    pub latency_sum_ms: f64,
}

impl PluginMetrics {
    /// Count one invocation that took `took` and ended with `outcome`.
    pub fn record(&self, outcome: Outcome, took: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let specific = match outcome {
            Outcome::Ok | Outcome::Other => None,
            Outcome::ToolError => Some(&self.tool_errors),
            Outcome::Timeout => Some(&self.timeouts),
            Outcome::MemoryLimit => Some(&self.memory_limits),
            Outcome::Trap => Some(&self.traps),
            Outcome::Busy => Some(&self.busy),
            Outcome::BadOutput => Some(&self.bad_output),
        };
        if let Some(c) = specific {
            c.fetch_add(1, Ordering::Relaxed);
        }
        if outcome != Outcome::Ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let ms = took.as_millis();
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|&bound| ms <= u128::from(bound))
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// A copy of the counters (each read atomically; the set is not a transaction).
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut cumulative = 0;
        let latency_buckets = self
            .buckets
            .iter()
            .map(|b| {
                cumulative += get(b);
                cumulative
            })
            .collect();
        MetricsSnapshot {
            calls: get(&self.calls),
            errors: get(&self.errors),
            tool_errors: get(&self.tool_errors),
            traps: get(&self.traps),
            timeouts: get(&self.timeouts),
            memory_limits: get(&self.memory_limits),
            busy: get(&self.busy),
            bad_output: get(&self.bad_output),
            latency_buckets,
            latency_sum_ms: get(&self.latency_sum_us) as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_land_in_their_counters_and_buckets() {
        let m = PluginMetrics::default();
        m.record(Outcome::Ok, Duration::from_micros(500));
        m.record(Outcome::Trap, Duration::from_millis(7));
        m.record(Outcome::Timeout, Duration::from_secs(30));
        m.record(Outcome::ToolError, Duration::from_millis(1));
        let s = m.snapshot();
        assert_eq!((s.calls, s.errors), (4, 3));
        assert_eq!((s.traps, s.timeouts, s.tool_errors), (1, 1, 1));
        assert_eq!(
            s.latency_buckets[0], 2,
            "0.5 ms and 1 ms are in the first bucket"
        );
        assert_eq!(s.latency_buckets[2], 3, "7 ms is at most 10 ms");
        assert_eq!(*s.latency_buckets.last().expect("+Inf"), 4);
    }
}
