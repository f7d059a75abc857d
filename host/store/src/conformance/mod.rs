//! The storage conformance suite: the behaviours every backend must have, run against each one
//! (`cargo test -p latchkey-store` runs it on SQLite). A backend's tests provide a [`Harness`]
//! and expand [`conformance_suite!`](crate::conformance_suite), which makes one test per
//! behaviour:
//!
//! ```ignore
//! latchkey_store::conformance_suite!(async { MyHarness::new().await });
//! ```
//!
//! Each test gets a fresh harness (an empty store). Tests go through the vault where the
//! vault's promise is tested (sealing, the audit chain, leases) and straight to the backend's
//! traits where the backend's is (atomicity, single use, ordering), the way an attacker with
//! write access to the database would for tampering.

mod audit_keys;
mod bindings;
mod catalog;
mod connections;
mod flows;
mod outbox;
mod tokens;

use std::sync::Arc;

use async_trait::async_trait;

use crate::backend::Backend;
use crate::{MasterKey, Vault};

pub use audit_keys::*;
pub use bindings::*;
pub use catalog::*;
pub use connections::*;
pub use flows::*;
pub use outbox::*;
pub use tokens::*;

/// A backend under test.
#[async_trait]
pub trait Harness: Send + Sync {
    /// The backend over this harness's storage. Every call opens the same storage again (a
    /// second call is a restart, or a second gateway).
    async fn open(&self) -> Arc<dyn Backend>;
    /// Change stored data behind the vault's back, as someone with write access to the
    /// database could.
    async fn tamper(&self, tampering: Tamper);
}

/// Edits the suite makes behind the vault's back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Change the outcome recorded in audit entry `seq`.
    AuditEdit { seq: i64 },
    /// Delete audit entry `seq`.
    AuditDelete { seq: i64 },
    /// Swap the positions of audit entries `a` and `b`.
    AuditSwap { a: i64, b: i64 },
    /// Overwrite the wrapping of every data key with zeros (same length).
    DataKeysZeroed,
}

/// The master key the suite's vaults use.
pub const MASTER: [u8; 32] = [7u8; 32];

/// A vault over a fresh open of the harness's storage.
pub async fn vault(h: &dyn Harness) -> Vault {
    Vault::open(h.open().await, MasterKey::from_bytes(MASTER))
        .await
        .expect("the vault opens")
}

/// Expand to one `#[tokio::test]` per conformance behaviour, each with a fresh harness from
/// `$harness` (an expression producing a future of a [`Harness`]).
#[macro_export]
macro_rules! conformance_suite {
    ($harness:expr) => {
        $crate::conformance_suite!(@each $harness;
            secrets_round_trip_and_are_sealed,
            swapped_ciphertexts_do_not_open,
            a_wrong_master_key_is_refused,
            replacing_a_connection_keeps_its_id_and_drops_old_secrets,
            a_put_with_a_stale_id_is_a_conflict_and_changes_nothing,
            connection_lifecycle_metadata_status_scopes_probes,
            a_token_update_replaces_extra_tokens_and_keeps_them_when_it_has_none,
            token_writes_are_version_checked,
            the_journal_is_applied_with_the_tokens_and_bound_to_its_connection,
            deleting_a_connection_ends_its_open_alerts,
            a_refresh_lease_is_exclusive_and_expires,
            a_token_write_ends_the_refresh_lease,
            lease_waiters_see_the_release,
            keys_sessions_and_revocation,
            groups_and_sharing,
            an_oauth_state_is_single_use,
            an_oauth_verifier_is_bound_to_its_state,
            connect_sessions_complete_once,
            pack_flows_and_their_steps,
            packs_and_provider_configs,
            a_client_secret_is_bound_to_its_connector,
            plugin_approvals_and_copies,
            an_alert_is_opened_once_per_connection_and_reason,
            opening_an_alert_and_its_deliveries_is_one_transaction,
            deliveries_are_retried_then_delivered_or_given_up,
            a_job_is_claimed_once,
            jobs_park_resume_retry_and_recover,
            an_untouched_audit_chain_verifies,
            an_audit_edit_is_detected,
            an_audit_deletion_is_detected,
            audit_reordering_is_detected,
            a_cut_audit_tail_is_detected,
            concurrent_appenders_keep_one_chain,
            the_first_data_key_is_made_once_and_reused,
            master_key_rotation_rewraps_and_the_old_key_stops_working,
            a_tampered_wrapped_key_is_detected,
        );
    };
    (@each $harness:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let harness = $harness.await;
                $crate::conformance::$name(&harness).await;
            }
        )*
    };
}
