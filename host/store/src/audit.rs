//! The audit log: every tool call and credential use, with no secret in it, chained with an
//! HMAC (key derived from the data key, so only the gateway can extend the chain). Editing,
//! deleting or reordering an entry breaks the chain; a MAC'd head record catches a cut tail.

use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::error::VaultError;
use super::keyring::Keyring;
use crate::clock::now_ms;

const MAC_PURPOSE: &str = "audit-log";
const HEAD_KEY: &str = "audit_head";

/// One event to record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Event {
    /// What happened: `tool_call`, `token_refresh`, `connect`, `disconnect`, `session_minted`…
    pub event: String,
    /// The agent key (or admin key) behind it.
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub connector: Option<String>,
    pub tool: Option<String>,
    pub connection: Option<String>,
    pub scopes: Vec<String>,
    /// `ok`, or a problem code.
    pub outcome: String,
    /// Short free text (never a secret).
    pub detail: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    Intact {
        entries: i64,
    },
    /// An entry's content (or its position) no longer matches the chain.
    Altered {
        seq: i64,
    },
    /// Entries are missing before `seq` (a gap), or the chain does not start at 1.
    Removed {
        after: i64,
    },
    /// The newest entries were cut off (the head record says there were more).
    Truncated {
        expected: i64,
        found: i64,
    },
}

type HmacSha256 = Hmac<Sha256>;

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

/// Append an event (inside the single writer, so the chain order is the commit order).
pub fn append(conn: &mut Connection, keyring: &Keyring, event: &Event) -> Result<i64, VaultError> {
    let tx = conn.transaction()?;
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (prev_seq, prev_mac) = last.unwrap_or((0, Vec::new()));
    let seq = prev_seq + 1;
    let at = now_ms();
    let entry_mac = mac(keyring, &prev_mac, &canonical(seq, at, event))?;
    tx.execute(
        "INSERT INTO audit_log (seq, at, event, actor, user_id, connector, tool, connection, scopes, outcome, detail, mac) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            seq,
            at,
            event.event,
            event.actor,
            event.user_id,
            event.connector,
            event.tool,
            event.connection,
            serde_json::to_string(&event.scopes)?,
            event.outcome,
            event.detail,
            entry_mac
        ],
    )?;
    let head =
        serde_json::json!({"seq": seq, "mac": hex::encode(head_mac(keyring, seq, &entry_mac)?)})
            .to_string();
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![HEAD_KEY, head],
    )?;
    tx.commit()?;
    Ok(seq)
}

type Row = (i64, i64, Event, Vec<u8>);

fn rows(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Row>, VaultError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, event, actor, user_id, connector, tool, connection, scopes, outcome, detail, mac \
         FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let mapped = stmt.query_map(params![after, limit], |r| {
        let scopes: String = r.get(8)?;
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            Event {
                event: r.get(2)?,
                actor: r.get(3)?,
                user_id: r.get(4)?,
                connector: r.get(5)?,
                tool: r.get(6)?,
                connection: r.get(7)?,
                scopes: serde_json::from_str(&scopes).unwrap_or_default(),
                outcome: r.get(9)?,
                detail: r.get(10)?,
            },
            r.get::<_, Vec<u8>>(11)?,
            scopes,
        ))
    })?;
    let mut out = Vec::new();
    for row in mapped {
        let (seq, at, event, m, raw_scopes) = row?;
        // A scopes column that is not the JSON we wrote is an alteration, not "no scopes".
        if serde_json::from_str::<Vec<String>>(&raw_scopes).is_err() {
            return Err(VaultError::Malformed(format!(
                "audit entry {seq} has unreadable scopes"
            )));
        }
        out.push((seq, at, event, m));
    }
    Ok(out)
}

/// Entries after `after`, oldest first (for the admin API).
pub fn list(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Entry>, VaultError> {
    Ok(rows(conn, after, limit)?
        .into_iter()
        .map(|(seq, at, event, _)| Entry { seq, at, event })
        .collect())
}

/// Walk the whole chain.
pub fn verify(conn: &Connection, keyring: &Keyring) -> Result<Verdict, VaultError> {
    let mut prev_mac: Vec<u8> = Vec::new();
    let mut expected_seq = 1;
    let mut cursor = 0;
    loop {
        let batch = match rows(conn, cursor, 1000) {
            Ok(b) => b,
            Err(VaultError::Malformed(_)) => return Ok(Verdict::Altered { seq: cursor + 1 }),
            Err(e) => return Err(e),
        };
        if batch.is_empty() {
            break;
        }
        for (seq, at, event, stored) in batch {
            if seq != expected_seq {
                return Ok(Verdict::Removed {
                    after: expected_seq - 1,
                });
            }
            let computed = mac(keyring, &prev_mac, &canonical(seq, at, &event))?;
            if !bool::from(computed.ct_eq(&stored)) {
                return Ok(Verdict::Altered { seq });
            }
            prev_mac = stored;
            expected_seq += 1;
            cursor = seq;
        }
    }
    let found = expected_seq - 1;
    let head: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![HEAD_KEY],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(head) = head {
        let parsed: serde_json::Value = serde_json::from_str(&head)?;
        let seq = parsed["seq"].as_i64().unwrap_or(-1);
        let stored = parsed["mac"]
            .as_str()
            .and_then(|m| hex::decode(m).ok())
            .unwrap_or_default();
        // The head is MAC'd: a head rolled back by hand does not verify.
        let head_ok = seq >= 0 && bool::from(head_mac_for(conn, keyring, seq)?.ct_eq(&stored));
        if !head_ok || seq != found {
            return Ok(Verdict::Truncated {
                expected: seq.max(found),
                found,
            });
        }
    } else if found > 0 {
        return Ok(Verdict::Truncated {
            expected: -1,
            found,
        });
    }
    Ok(Verdict::Intact { entries: found })
}

fn head_mac_for(conn: &Connection, keyring: &Keyring, seq: i64) -> Result<Vec<u8>, VaultError> {
    let last: Option<Vec<u8>> = conn
        .query_row(
            "SELECT mac FROM audit_log WHERE seq = ?1",
            params![seq],
            |r| r.get(0),
        )
        .optional()?;
    match last {
        Some(m) => head_mac(keyring, seq, &m),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MasterKey, migrations};

    fn setup() -> (Connection, Keyring) {
        let mut conn = Connection::open_in_memory().expect("open");
        migrations::apply(&mut conn).expect("migrate");
        let ring = Keyring::load(&mut conn, &MasterKey::generate()).expect("ring");
        (conn, ring)
    }

    fn call(n: usize) -> Event {
        Event {
            event: "tool_call".into(),
            actor: Some("agent1".into()),
            user_id: Some(format!("user{n}")),
            tool: Some("github_get_user".into()),
            outcome: "ok".into(),
            ..Default::default()
        }
    }

    fn filled() -> (Connection, Keyring) {
        let (mut conn, ring) = setup();
        for n in 0..5 {
            append(&mut conn, &ring, &call(n)).expect("append");
        }
        (conn, ring)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (conn, ring) = filled();
        assert_eq!(
            verify(&conn, &ring).expect("verify"),
            Verdict::Intact { entries: 5 }
        );
    }

    #[test]
    fn an_edit_is_detected() {
        let (conn, ring) = filled();
        conn.execute("UPDATE audit_log SET outcome = 'denied' WHERE seq = 3", [])
            .expect("edit");
        assert_eq!(
            verify(&conn, &ring).expect("verify"),
            Verdict::Altered { seq: 3 }
        );
    }

    #[test]
    fn a_deletion_is_detected() {
        let (conn, ring) = filled();
        conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
            .expect("delete");
        assert_eq!(
            verify(&conn, &ring).expect("verify"),
            Verdict::Removed { after: 1 }
        );
    }

    #[test]
    fn reordering_is_detected() {
        let (conn, ring) = filled();
        conn.execute_batch(
            "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 4; \
             UPDATE audit_log SET seq = 4 WHERE seq = 100;",
        )
        .expect("swap");
        assert_eq!(
            verify(&conn, &ring).expect("verify"),
            Verdict::Altered { seq: 2 }
        );
    }

    #[test]
    fn a_cut_tail_is_detected() {
        let (conn, ring) = filled();
        conn.execute("DELETE FROM audit_log WHERE seq = 5", [])
            .expect("cut");
        assert_eq!(
            verify(&conn, &ring).expect("verify"),
            Verdict::Truncated {
                expected: 5,
                found: 4
            }
        );
    }
}
