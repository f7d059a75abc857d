//! The chain itself: MACs computed and checked here, with a key the backend never sees.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{AuditStore, Entry, Event, Head, Record, Verdict};
use crate::clock::now_ms;
use crate::error::VaultError;
use crate::keyring::Keyring;

const MAC_PURPOSE: &str = "audit-log";
/// Appends retried when another writer got the position first.
const APPEND_ATTEMPTS: usize = 8;
/// Entries checked per read while verifying.
const VERIFY_BATCH: i64 = 1000;

type HmacSha256 = Hmac<Sha256>;

/// The last (position, MAC) this process appended or read: saves a read per append. Appends
/// in this process are serialised through it; another writer shows up as a `Conflict`.
pub(crate) type Tail = tokio::sync::Mutex<Option<(i64, Vec<u8>)>>;

fn canonical(seq: i64, at: i64, e: &Event) -> Vec<u8> {
    serde_json::json!([
        seq,
        at,
        e.event,
        e.actor,
        e.user_id,
        e.connector,
        e.tool,
        e.connection,
        e.scopes,
        e.outcome,
        e.detail
    ])
    .to_string()
    .into_bytes()
}

fn mac(keyring: &Keyring, prev: &[u8], body: &[u8]) -> Result<Vec<u8>, VaultError> {
    let key = keyring.derive(MAC_PURPOSE)?;
    let mut m = <HmacSha256 as Mac>::new_from_slice(key.expose_secret())
        .map_err(|_| VaultError::Malformed("audit key".into()))?;
    m.update(&(prev.len() as u64).to_be_bytes());
    m.update(prev);
    m.update(body);
    Ok(m.finalize().into_bytes().to_vec())
}

fn head_mac(keyring: &Keyring, seq: i64, last: &[u8]) -> Result<Vec<u8>, VaultError> {
    mac(keyring, last, format!("head:{seq}").as_bytes())
}

/// The vault's face for the audit log.
#[derive(Clone, Copy)]
pub struct AuditVault<'a> {
    pub(crate) store: &'a dyn AuditStore,
    pub(crate) keyring: &'a Keyring,
    pub(crate) tail: &'a Tail,
}

impl AuditVault<'_> {
    /// Append an event at the end of the chain; returns its position.
    pub async fn append(&self, event: &Event) -> Result<i64, VaultError> {
        let mut tail = self.tail.lock().await;
        let mut last = None;
        for _ in 0..APPEND_ATTEMPTS {
            let (prev_seq, prev_mac) = match tail.take() {
                Some(t) => t,
                None => self.store.audit_tail().await?.unwrap_or((0, Vec::new())),
            };
            let seq = prev_seq + 1;
            let at = now_ms();
            let entry_mac = mac(self.keyring, &prev_mac, &canonical(seq, at, event))?;
            let head = Head {
                seq,
                mac: head_mac(self.keyring, seq, &entry_mac)?,
            };
            let record = Record {
                seq,
                at,
                event: event.clone(),
                mac: entry_mac,
            };
            match self.store.append(&record, &head).await {
                Ok(()) => {
                    *tail = Some((seq, record.mac));
                    return Ok(seq);
                }
                // Someone else appended: read the end again (the tail stays unknown).
                Err(e @ VaultError::Conflict(_)) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| VaultError::Conflict("audit position".into())))
    }

    /// Entries after `after`, oldest first (for the admin API).
    pub async fn list(&self, after: i64, limit: i64) -> Result<Vec<Entry>, VaultError> {
        Ok(self
            .store
            .records(after, limit)
            .await?
            .into_iter()
            .map(|r| Entry {
                seq: r.seq,
                at: r.at,
                event: r.event,
            })
            .collect())
    }

    /// Walk the whole chain.
    pub async fn verify(&self) -> Result<Verdict, VaultError> {
        let mut prev_mac: Vec<u8> = Vec::new();
        let mut expected_seq = 1;
        let mut cursor = 0;
        loop {
            let batch = match self.store.records(cursor, VERIFY_BATCH).await {
                Ok(b) => b,
                Err(VaultError::Malformed(_)) => return Ok(Verdict::Altered { seq: cursor + 1 }),
                Err(e) => return Err(e),
            };
            if batch.is_empty() {
                break;
            }
            for r in batch {
                if r.seq != expected_seq {
                    return Ok(Verdict::Removed {
                        after: expected_seq - 1,
                    });
                }
                let computed = mac(self.keyring, &prev_mac, &canonical(r.seq, r.at, &r.event))?;
                if !bool::from(computed.ct_eq(&r.mac)) {
                    return Ok(Verdict::Altered { seq: r.seq });
                }
                prev_mac = r.mac;
                expected_seq += 1;
                cursor = r.seq;
            }
        }
        let found = expected_seq - 1;
        match self.store.head().await? {
            Some(head) => {
                // The head is MAC'd: a head rolled back by hand does not verify.
                let expected_mac = match self.store.mac_at(head.seq).await? {
                    Some(m) if head.seq >= 0 => head_mac(self.keyring, head.seq, &m)?,
                    _ => Vec::new(),
                };
                let head_ok = head.seq >= 0 && bool::from(expected_mac.ct_eq(&head.mac));
                if !head_ok || head.seq != found {
                    return Ok(Verdict::Truncated {
                        expected: head.seq.max(found),
                        found,
                    });
                }
            }
            None if found > 0 => {
                return Ok(Verdict::Truncated {
                    expected: -1,
                    found,
                });
            }
            None => {}
        }
        Ok(Verdict::Intact { entries: found })
    }
}
