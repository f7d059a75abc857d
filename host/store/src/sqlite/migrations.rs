//! Schema migrations, applied in order inside transactions; `PRAGMA user_version` records
//! how far a database has come. Never edit a released migration: add a new one.

use rusqlite::Connection;

use crate::error::VaultError;

const MIGRATIONS: &[&str] = &[
    // 1: the walking skeleton.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    -- Data keys seal the secrets; each is itself sealed ("wrapped") by the master key.
    CREATE TABLE data_keys (
        id            TEXT PRIMARY KEY,
        master_key_id TEXT NOT NULL,
        nonce         BLOB NOT NULL,
        wrapped       BLOB NOT NULL,
        active        INTEGER NOT NULL DEFAULT 1,
        created_at    INTEGER NOT NULL
    );

    -- A stored credential for one connector, owned by a user or shared by a group.
    CREATE TABLE connections (
        id             TEXT PRIMARY KEY,
        connector_id   TEXT NOT NULL,
        owner_kind     TEXT NOT NULL CHECK (owner_kind IN ('user', 'group')),
        owner_id       TEXT NOT NULL,
        scheme         TEXT NOT NULL,
        status         TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'needs_reauth', 'revoked')),
        status_reason  TEXT,
        granted_scopes TEXT NOT NULL DEFAULT '[]',
        metadata       TEXT NOT NULL DEFAULT '{}',
        expires_at     INTEGER,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        UNIQUE (connector_id, owner_kind, owner_id)
    );

    -- Sealed secret fields of a connection; the AEAD binds each to its row and field.
    CREATE TABLE connection_secrets (
        connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
        field         TEXT NOT NULL,
        data_key_id   TEXT NOT NULL REFERENCES data_keys (id),
        nonce         BLOB NOT NULL,
        ciphertext    BLOB NOT NULL,
        PRIMARY KEY (connection_id, field)
    );

    -- Keys that agents and operators present; only a hash of the secret part is stored.
    CREATE TABLE api_keys (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('agent', 'admin')),
        name        TEXT NOT NULL,
        secret_hash BLOB NOT NULL,
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    );
    "#,
    // 2: OAuth consent, token lifecycle, shared credentials.
    r#"
    ALTER TABLE connections ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

    -- The operator's OAuth client per connector; the secret is sealed.
    CREATE TABLE provider_configs (
        connector_id   TEXT PRIMARY KEY,
        client_id      TEXT NOT NULL,
        scopes         TEXT,
        issuer         TEXT,
        data_key_id    TEXT REFERENCES data_keys (id),
        secret_nonce   BLOB,
        secret_sealed  BLOB,
        updated_at     INTEGER NOT NULL
    );

    -- A single-use, expiring link where a user connects one connector.
    CREATE TABLE connect_sessions (
        id            TEXT PRIMARY KEY,
        connector_id  TEXT NOT NULL,
        owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('user', 'group')),
        owner_id      TEXT NOT NULL,
        scopes        TEXT NOT NULL DEFAULT '[]',
        return_to     TEXT,
        status        TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
        error         TEXT,
        connection_id TEXT,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        completed_at  INTEGER
    );
    CREATE INDEX connect_sessions_owner ON connect_sessions (connector_id, owner_kind, owner_id, status);

    -- OAuth `state`: single-use, short-lived, bound to a session, a browser, a verifier.
    CREATE TABLE oauth_states (
        state_hash      BLOB PRIMARY KEY,
        session_id      TEXT NOT NULL REFERENCES connect_sessions (id) ON DELETE CASCADE,
        connector_id    TEXT NOT NULL,
        browser_hash    BLOB NOT NULL,
        redirect_uri    TEXT NOT NULL,
        issuer          TEXT,
        scopes          TEXT NOT NULL,
        data_key_id     TEXT NOT NULL REFERENCES data_keys (id),
        verifier_nonce  BLOB NOT NULL,
        verifier_sealed BLOB NOT NULL,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        used_at         INTEGER
    );

    -- Token responses written the moment they arrive, applied afterwards: a crash in between
    -- replays the entry at start instead of losing a rotated refresh token.
    CREATE TABLE token_journal (
        id             TEXT PRIMARY KEY,
        connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
        data_key_id    TEXT NOT NULL REFERENCES data_keys (id),
        nonce          BLOB NOT NULL,
        sealed         BLOB NOT NULL,
        created_at     INTEGER NOT NULL
    );

    -- Groups share connections with their members, per connector, by explicit policy.
    CREATE TABLE groups (
        id                TEXT PRIMARY KEY,
        shared_connectors TEXT NOT NULL DEFAULT '[]',
        updated_at        INTEGER NOT NULL
    );
    CREATE TABLE group_members (
        group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        user_id  TEXT NOT NULL,
        PRIMARY KEY (group_id, user_id)
    );
    CREATE INDEX group_members_user ON group_members (user_id);
    "#,
    // 3: least privilege: packs, scoped agent keys, user sessions, audit log.
    r#"
    CREATE TABLE api_keys_v3 (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('agent', 'admin', 'session')),
        name        TEXT NOT NULL,
        secret_hash BLOB NOT NULL,
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER,
        packs       TEXT,
        user_id     TEXT,
        parent_id   TEXT,
        expires_at  INTEGER
    );
    INSERT INTO api_keys_v3 (id, kind, name, secret_hash, created_at, revoked_at)
        SELECT id, kind, name, secret_hash, created_at, revoked_at FROM api_keys;
    DROP TABLE api_keys;
    ALTER TABLE api_keys_v3 RENAME TO api_keys;
    CREATE INDEX api_keys_parent ON api_keys (parent_id);

    -- A named set of tools across connectors, authorized in one connect flow.
    CREATE TABLE packs (
        name        TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        tools       TEXT NOT NULL,
        updated_at  INTEGER NOT NULL
    );

    -- One connect flow for a whole pack; each app gets a child connect session.
    CREATE TABLE pack_sessions (
        id           TEXT PRIMARY KEY,
        pack         TEXT NOT NULL,
        owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('user', 'group')),
        owner_id     TEXT NOT NULL,
        return_to    TEXT,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
    );
    ALTER TABLE connect_sessions ADD COLUMN pack_session_id TEXT REFERENCES pack_sessions (id);

    -- Scopes a connection lost (scope drift), for alerts; the grant itself is current.
    ALTER TABLE connections ADD COLUMN lost_scopes TEXT NOT NULL DEFAULT '[]';
    -- When the current tokens were received: with expires_at, their lifetime.
    ALTER TABLE connections ADD COLUMN tokens_at INTEGER;

    -- Every tool call and credential use, chained with a MAC so edits, deletions and
    -- reordering are detectable (`latchkey audit verify`).
    CREATE TABLE audit_log (
        seq        INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        event      TEXT NOT NULL,
        actor      TEXT,
        user_id    TEXT,
        connector  TEXT,
        tool       TEXT,
        connection TEXT,
        scopes     TEXT NOT NULL DEFAULT '[]',
        outcome    TEXT NOT NULL,
        detail     TEXT,
        mac        BLOB NOT NULL
    );
    "#,
    // 4: re-authentication: alerts and their deliveries, jobs.
    r#"
    -- One open alert per (connection, reason): an incident, however many calls fail.
    CREATE TABLE alerts (
        id             TEXT PRIMARY KEY,
        connection_id  TEXT NOT NULL,
        connector_id   TEXT NOT NULL,
        owner_kind     TEXT NOT NULL,
        owner_id       TEXT NOT NULL,
        reason         TEXT NOT NULL,
        missing_scopes TEXT NOT NULL DEFAULT '[]',
        detail         TEXT,
        status         TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        opened_at      INTEGER NOT NULL,
        resolved_at    INTEGER
    );
    CREATE UNIQUE INDEX alerts_one_open ON alerts (connection_id, reason) WHERE status = 'open';

    -- Each alert event, per destination, until delivered (retried with backoff, across restarts).
    CREATE TABLE alert_deliveries (
        id              TEXT PRIMARY KEY,
        alert_id        TEXT NOT NULL REFERENCES alerts (id),
        event           TEXT NOT NULL,
        destination     TEXT NOT NULL,
        message_id      TEXT NOT NULL,
        payload         TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT,
        created_at      INTEGER NOT NULL,
        delivered_at    INTEGER
    );
    CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);

    -- Tool calls run asynchronously; auth problems park them instead of failing them.
    CREATE TABLE jobs (
        id              TEXT PRIMARY KEY,
        actor           TEXT NOT NULL,
        idempotency_key TEXT,
        user_id         TEXT NOT NULL,
        tool            TEXT NOT NULL,
        input           TEXT NOT NULL,
        status          TEXT NOT NULL
                        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'auth_blocked')),
        connector_id    TEXT,
        result          TEXT,
        error           TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        not_before      INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        finished_at     INTEGER
    );
    CREATE UNIQUE INDEX jobs_idempotency ON jobs (actor, idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX jobs_queue ON jobs (status, not_before, created_at);
    CREATE INDEX jobs_blocked ON jobs (status, connector_id, user_id);

    -- When a health probe last checked a connection.
    ALTER TABLE connections ADD COLUMN probed_at INTEGER;
    "#,
    // 5: state that must hold beyond one process: refresh leases, hot-load approvals.
    r#"
    -- Who is refreshing a connection's tokens, until when (single-flight across processes).
    ALTER TABLE connections ADD COLUMN refresh_holder TEXT;
    ALTER TABLE connections ADD COLUMN refresh_until INTEGER;

    -- The permissions the operator approved per connector (hot-load); JSON the runtime owns.
    CREATE TABLE plugin_approvals (
        connector_id TEXT PRIMARY KEY,
        module_hash  TEXT NOT NULL,
        permissions  TEXT NOT NULL,
        approved_at  INTEGER NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// Bring the database up to [`latest`]; refuse a database from a newer build.
pub fn apply(conn: &mut Connection) -> Result<(), VaultError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > latest() {
        return Err(VaultError::SchemaTooNew {
            found: current,
            known: latest(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().expect("open");
        apply(&mut conn).expect("first");
        apply(&mut conn).expect("second is a no-op");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, latest());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", latest() + 1)
            .expect("set");
        assert!(matches!(
            apply(&mut conn),
            Err(VaultError::SchemaTooNew { .. })
        ));
    }
}
