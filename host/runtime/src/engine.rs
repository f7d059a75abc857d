//! The one wasmtime `Engine`: component model, epoch interruption, pooling allocator (with an
//! on-demand fallback where the address space is too small), and the epoch ticker.

use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Instances that may exist at once across all plugins (pool size).
    pub max_instances: u32,
    /// Ceiling on any plugin's linear memory (per-plugin limits sit below it).
    pub max_memory_bytes: usize,
    /// Use the pooling allocator when the address space allows it.
    pub pooling: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            max_instances: 128,
            max_memory_bytes: 512 << 20,
            pooling: true,
        }
    }
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // Deep recursion traps with a stack overflow well before the host's own stack is at risk.
    config.max_wasm_stack(1 << 20);
    config.parallel_compilation(true);
    config
}

/// Build the engine; `true` in the result says the pooling allocator is in use.
pub fn build(settings: &EngineSettings) -> Result<(Engine, bool), wasmtime::Error> {
    if settings.pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(settings.max_instances)
            .total_core_instances(settings.max_instances.saturating_mul(4))
            .total_memories(settings.max_instances.saturating_mul(2))
            .total_tables(settings.max_instances.saturating_mul(4))
            .max_memories_per_component(2)
            .max_tables_per_component(8)
            .max_memory_size(settings.max_memory_bytes);
        let mut config = base_config();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        match Engine::new(&config) {
            Ok(engine) => return Ok((engine, true)),
            Err(e) => {
                tracing::warn!(error = %e, "pooling allocator unavailable; using on-demand allocation")
            }
        }
    }
    Ok((Engine::new(&base_config())?, false))
}

/// Advance the engine's epoch every [`EPOCH_TICK`] until the engine is dropped. Without it no
/// deadline fires, so failing to start it is fatal.
pub fn start_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("latchkey-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(|_| ())
}
