//! Running one call: a fresh store from the plugin's `InstancePre`, epoch deadline and memory
//! limiter, on a blocking thread so a busy plugin never stalls the async runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Store, UpdateDeadline};

use super::bindings::Connector;
use super::error::CallFailure;
use super::host::{CallLabels, CallState, Outbound};
use super::{InFlight, LoadedPlugin};

/// How long a call waits for a free slot before it is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// Run `f` against a fresh instance of `plugin`.
pub(super) async fn run<R, F>(
    plugin: &Arc<LoadedPlugin>,
    instances: &Arc<tokio::sync::Semaphore>,
    outbound: Arc<dyn Outbound>,
    function: &str,
    f: F,
) -> Result<R, CallFailure>
where
    R: Send + 'static,
    F: FnOnce(&mut Store<CallState>, &Connector) -> wasmtime::Result<R> + Send + 'static,
{
    let plugin_slot = tokio::time::timeout(QUEUE_WAIT, plugin.permits.clone().acquire_owned())
        .await
        .map_err(|_| CallFailure::Busy)?
        .map_err(|_| CallFailure::Busy)?;
    let instance_slot = tokio::time::timeout(QUEUE_WAIT, instances.clone().acquire_owned())
        .await
        .map_err(|_| CallFailure::Busy)?
        .map_err(|_| CallFailure::Busy)?;
    let labels = CallLabels {
        connector: plugin.manifest.id.clone(),
        function: function.to_string(),
    };
    let cancelled = Arc::new(AtomicBool::new(false));
    // Dropped with this future (the agent went away, a timeout fired): the store stops at the
    // next epoch tick instead of running on unseen.
    let _cancel_on_drop = CancelOnDrop(cancelled.clone());
    let plugin = plugin.clone();
    tokio::task::spawn_blocking(move || {
        // The slots and the live count belong to the instance, not to the caller's future:
        // they are released when the store is gone, whoever stopped waiting for it.
        let _slots = (plugin_slot, instance_slot);
        let _live = InFlight::enter(&plugin);
        run_blocking(&plugin, outbound, labels, cancelled, f)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "plugin call panicked in the host");
        CallFailure::Host
    })?
}

fn run_blocking<R, F>(
    plugin: &LoadedPlugin,
    outbound: Arc<dyn Outbound>,
    labels: CallLabels,
    cancelled: Arc<AtomicBool>,
    f: F,
) -> Result<R, CallFailure>
where
    F: FnOnce(&mut Store<CallState>, &Connector) -> wasmtime::Result<R>,
{
    let engine = plugin.pre.engine();
    let mut store = Store::new(
        engine,
        CallState::new(&plugin.limits, outbound, labels.clone(), cancelled),
    );
    store.limiter(|state| &mut state.limiter);
    // A new store's deadline has already passed when epochs are on: set it before anything runs.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut ctx| {
        let state = ctx.data_mut();
        if state.clock.exhausted() {
            state.clock.timed_out = true;
            Ok(UpdateDeadline::Interrupt)
        } else {
            Ok(UpdateDeadline::Continue(1))
        }
    });

    let outcome = plugin
        .pre
        .instantiate(&mut store)
        .map_err(|e| classify(&store, e, true))
        .and_then(|instance| f(&mut store, &instance).map_err(|e| classify(&store, e, false)));

    let state = store.data();
    if state.logs_dropped() > 0 {
        tracing::warn!(connector = %labels.connector, dropped = state.logs_dropped(), "plugin exceeded its log budget");
    }
    if state.clock.cancelled.load(Ordering::SeqCst) && outcome.is_err() {
        tracing::info!(
            connector = %labels.connector,
            function = %labels.function,
            "plugin call stopped: its caller went away"
        );
    } else if let Err(failure) = &outcome {
        let stderr = state.stderr_text();
        tracing::warn!(
            connector = %labels.connector,
            function = %labels.function,
            failure = %failure,
            stderr = ?stderr,
            "plugin call failed"
        );
    }
    outcome
}

/// Marks a call cancelled when the future waiting for it is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn classify(store: &Store<CallState>, error: wasmtime::Error, instantiating: bool) -> CallFailure {
    let state = store.data();
    if state.clock.timed_out {
        return CallFailure::Timeout;
    }
    if state.limiter.hit {
        return CallFailure::MemoryLimit;
    }
    if error
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return CallFailure::Busy;
    }
    let detail = match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::StackOverflow) => "stack overflow".to_string(),
        Some(trap) => {
            let stderr = state.stderr_text();
            if stderr.is_empty() {
                trap.to_string()
            } else {
                format!("{trap}: {}", truncate(&stderr, 300))
            }
        }
        None => truncate(&error.to_string(), 300),
    };
    if instantiating {
        CallFailure::Instantiate(detail)
    } else {
        CallFailure::Trap(detail)
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}
