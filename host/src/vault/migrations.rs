//! Schema migrations, applied in order inside transactions; `PRAGMA user_version` records
//! how far a database has come. Never edit a released migration: add a new one.

use rusqlite::Connection;

use super::error::VaultError;

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
