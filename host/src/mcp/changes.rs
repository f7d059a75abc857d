//! When the tools a live MCP session sees may have changed: a plugin was hot-loaded,
//! replaced or unloaded (the registry was swapped), or a tool pack was changed. Sessions
//! subscribe, recompute their own tool list and tell their client
//! (`notifications/tools/list_changed`) only when it really changed for them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::plugin::Registry;

/// How often the registry is looked at (a swap is a pointer change: cheap to see).
const POLL: Duration = Duration::from_millis(500);

/// A counter that moves whenever the tools on offer may have changed.
#[derive(Debug)]
pub struct ToolChanges {
    tx: watch::Sender<u64>,
}

impl Default for ToolChanges {
    fn default() -> Self {
        ToolChanges {
            tx: watch::channel(0).0,
        }
    }
}

impl ToolChanges {
    /// Something that decides what a caller sees changed (a pack, say).
    pub fn bump(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that wakes on every later change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Watch `registry` for swaps (hot load, replace, unload) for as long as the process runs.
    pub fn watch_registry(self: &Arc<Self>, registry: Arc<Registry>) {
        let changes = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut seen = registry.snapshot();
            loop {
                tokio::time::sleep(POLL).await;
                let Some(changes) = changes.upgrade() else {
                    return;
                };
                let now = registry.snapshot();
                if !Arc::ptr_eq(&now, &seen) {
                    seen = now;
                    changes.bump();
                }
            }
        });
    }
}
