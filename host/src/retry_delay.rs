//! How long to wait before the next attempt of something that failed for a while (a token
//! refresh, an alert delivery, a job): exponential from a base, capped, with jitter so that
//! many failures at once do not retry in step. One rule for the three, from `backon`.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The delay before retry number `attempt` (1 for the first retry): within
/// `[d/2, d)` where `d = base · 2^(attempt-1)`, and `d` never beyond `cap`.
pub fn jittered(base: Duration, cap: Duration, attempt: u32) -> Duration {
    // backon adds a jitter of up to the delay itself, so it starts from half of each bound.
    let half = |d: Duration| (d / 2).max(Duration::from_millis(1));
    ExponentialBuilder::default()
        .with_min_delay(half(base))
        .with_max_delay(half(cap.max(base)))
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt.saturating_sub(1).min(64) as usize)
        .unwrap_or(cap)
}

/// [`jittered`] in whole milliseconds, as the outboxes store times.
pub fn jittered_ms(base_ms: u64, cap_ms: u64, attempt: u32) -> i64 {
    let d = jittered(
        Duration::from_millis(base_ms),
        Duration::from_millis(cap_ms),
        attempt,
    );
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_under_the_cap_and_vary() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(300);
        for attempt in 1..=20u32 {
            let d = jittered(base, cap, attempt);
            let nominal = base
                .saturating_mul(2u32.saturating_pow(attempt - 1))
                .min(cap);
            assert!(d >= nominal / 2 && d <= nominal, "attempt {attempt}: {d:?}");
        }
        let samples: std::collections::BTreeSet<_> =
            (0..20).map(|_| jittered(base, cap, 5)).collect();
        assert!(samples.len() > 1, "jittered");
    }
}
