//! Per-call resource limits: time, memory, concurrency, output size.

use std::time::Duration;

use serde::Deserialize;

/// Limits applied to every call into a plugin (configurable per plugin).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginLimits {
    /// Time the guest may spend executing (time waiting on host HTTP does not count).
    #[serde(with = "millis")]
    pub cpu_time: Duration,
    /// Hard cap on a whole call, HTTP waits included.
    #[serde(with = "millis")]
    pub wall_time: Duration,
    /// Linear memory a single instance may grow to.
    pub memory_bytes: usize,
    /// Calls into this plugin that may run at once; more wait briefly, then are refused.
    pub max_concurrent_calls: usize,
    /// Largest tool output accepted from the plugin.
    pub max_output_bytes: usize,
    /// Log lines a single call may emit; the rest are counted and dropped.
    pub max_log_lines: u32,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            cpu_time: Duration::from_secs(2),
            wall_time: Duration::from_secs(60),
            memory_bytes: 64 << 20,
            max_concurrent_calls: 32,
            max_output_bytes: 4 << 20,
            max_log_lines: 100,
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// Refuses memory and table growth past the plugin's limits, and remembers that it did.
#[derive(Debug)]
pub(super) struct MemoryLimiter {
    memory_bytes: usize,
    table_elements: usize,
    pub(super) hit: bool,
}

impl MemoryLimiter {
    pub(super) fn new(memory_bytes: usize) -> Self {
        MemoryLimiter {
            memory_bytes,
            table_elements: 100_000,
            hit: false,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }
}
