//! What a plugin instance can reach: the `http` and `log` imports, an empty WASI context,
//! and the per-call bookkeeping (time spent in the host, memory limit, log budget).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::latchkey::connector::{http, log, types};
use super::limits::{MemoryLimiter, PluginLimits};
use super::types::{HttpError, HttpRequest, HttpResponse, LogLevel};

/// The host's side of a plugin's outgoing HTTP: egress policy and credential injection live
/// behind it. Called on a blocking thread, never on an async worker.
pub trait Outbound: Send + Sync {
    /// Perform `req` on the plugin's behalf.
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// Refuses every request: for `describe` at load time and for calls that may not reach out.
pub struct NoOutbound;

impl Outbound for NoOutbound {
    fn send(&self, _req: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Denied(
            "this call may not make HTTP requests".into(),
        ))
    }
}

/// Names that tag a call's logs.
#[derive(Debug, Clone)]
pub struct CallLabels {
    pub connector: String,
    pub function: String,
}

/// Guest-time accounting for the epoch callback: time spent waiting on the host's HTTP does
/// not count against the plugin's CPU budget, but does count against the wall-time cap.
#[derive(Debug)]
pub(super) struct CallClock {
    pub(super) started: Instant,
    pub(super) in_host: Duration,
    pub(super) cpu_budget: Duration,
    pub(super) wall_cap: Duration,
    pub(super) timed_out: bool,
    /// Set when nobody waits for the call any more: the store stops at the next tick.
    pub(super) cancelled: Arc<AtomicBool>,
}

impl CallClock {
    /// Whether the call has run out of guest time or wall time.
    pub(super) fn exhausted(&self) -> bool {
        let elapsed = self.started.elapsed();
        elapsed.saturating_sub(self.in_host) > self.cpu_budget
            || elapsed > self.wall_cap
            || self.cancelled.load(Ordering::SeqCst)
    }
}

/// Per-call store data.
pub(super) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) clock: CallClock,
    pub(super) stderr: MemoryOutputPipe,
    outbound: Arc<dyn Outbound>,
    labels: CallLabels,
    log_budget: u32,
    logs_dropped: u32,
}

const STDERR_CAPACITY: usize = 64 << 10;
const MAX_LOG_LINE: usize = 2048;

impl CallState {
    pub(super) fn new(
        limits: &PluginLimits,
        outbound: Arc<dyn Outbound>,
        labels: CallLabels,
        cancelled: Arc<AtomicBool>,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        // No env, args, preopened directories, sockets or name lookups: only clocks and random.
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(limits.memory_bytes),
            clock: CallClock {
                started: Instant::now(),
                in_host: Duration::ZERO,
                cpu_budget: limits.cpu_time,
                wall_cap: limits.wall_time,
                timed_out: false,
                cancelled,
            },
            stderr,
            outbound,
            labels,
            log_budget: limits.max_log_lines,
            logs_dropped: 0,
        }
    }

    /// What the plugin wrote to stderr (a panic message, usually), lossily decoded and capped.
    pub(super) fn stderr_text(&self) -> String {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        text.chars()
            .take(1024)
            .collect::<String>()
            .trim()
            .to_string()
    }

    pub(super) fn logs_dropped(&self) -> u32 {
        self.logs_dropped
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl http::Host for CallState {
    fn send(&mut self, req: http::Request) -> Result<http::Response, http::HttpError> {
        let began = Instant::now();
        let result = self.outbound.send(HttpRequest::from(req));
        self.clock.in_host += began.elapsed();
        result.map(Into::into).map_err(Into::into)
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        if self.log_budget == 0 {
            self.logs_dropped = self.logs_dropped.saturating_add(1);
            return;
        }
        self.log_budget -= 1;
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let (connector, function) = (&self.labels.connector, &self.labels.function);
        // `?message` escapes control characters: a plugin cannot forge log lines.
        match LogLevel::from(level) {
            LogLevel::Trace => {
                tracing::trace!(target: "plugin", connector, function, message = ?message)
            }
            LogLevel::Debug => {
                tracing::debug!(target: "plugin", connector, function, message = ?message)
            }
            LogLevel::Info => {
                tracing::info!(target: "plugin", connector, function, message = ?message)
            }
            LogLevel::Warn => {
                tracing::warn!(target: "plugin", connector, function, message = ?message)
            }
            LogLevel::Error => {
                tracing::error!(target: "plugin", connector, function, message = ?message)
            }
        }
    }
}

impl types::Host for CallState {}
