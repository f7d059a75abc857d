//! OAuth `state` records: single-use, short-lived, bound to a connect session, a browser, the
//! PKCE verifier (sealed), the redirect URI and the expected issuer.

use rusqlite::{Connection, OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};

use super::error::VaultError;
use super::keyring::Keyring;
use super::seal::Sealed;

const TABLE: &str = "oauth_states";

/// Everything the callback needs to finish what the authorize request started.
pub struct PendingState {
    pub session_id: String,
    pub connector_id: String,
    pub browser_hash: Vec<u8>,
    pub redirect_uri: String,
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
    pub verifier: SecretString,
    pub created_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for PendingState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingState")
            .field("session_id", &self.session_id)
            .field("connector_id", &self.connector_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What presenting a state found.
#[derive(Debug)]
pub enum Consumed {
    /// No such state was ever issued (forged or altered).
    Unknown,
    /// Issued, but already used once (replay).
    AlreadyUsed,
    /// First use: the state is now spent.
    Fresh(PendingState),
}

fn row_key(state_hash: &[u8]) -> String {
    hex::encode(state_hash)
}

/// Store a new state under the hash of its value.
pub fn insert(
    conn: &Connection,
    keyring: &Keyring,
    state_hash: &[u8],
    state: &PendingState,
) -> Result<(), VaultError> {
    let (key_id, sealed) = keyring.seal(
        TABLE,
        &row_key(state_hash),
        "verifier",
        state.verifier.expose_secret().as_bytes(),
    )?;
    conn.execute(
        "INSERT INTO oauth_states (state_hash, session_id, connector_id, browser_hash, redirect_uri, issuer, scopes, \
         data_key_id, verifier_nonce, verifier_sealed, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            state_hash,
            state.session_id,
            state.connector_id,
            state.browser_hash,
            state.redirect_uri,
            state.issuer,
            serde_json::to_string(&state.scopes)?,
            key_id,
            sealed.nonce,
            sealed.ciphertext,
            state.created_at,
            state.expires_at
        ],
    )?;
    Ok(())
}

/// What looking at a presented state (without spending it) found.
#[derive(Debug)]
pub enum Peeked {
    /// No such state was ever issued (forged or altered).
    Unknown,
    /// Issued, but already used once (replay).
    AlreadyUsed,
    /// Issued and not yet used: the callback may check it, then spend it with [`consume`].
    Pending(PendingState),
}

/// Read a state without spending it, so that a response the checks refuse (another browser, a
/// wrong issuer) leaves it for the user's own.
pub fn peek(conn: &Connection, keyring: &Keyring, state_hash: &[u8]) -> Result<Peeked, VaultError> {
    match read(conn, keyring, state_hash)? {
        None => Ok(Peeked::Unknown),
        Some((_, true)) => Ok(Peeked::AlreadyUsed),
        Some((state, false)) => Ok(Peeked::Pending(state)),
    }
}

/// Spend a state: the first presentation wins, every later one is a replay.
pub fn consume(
    conn: &mut Connection,
    keyring: &Keyring,
    state_hash: &[u8],
    now: i64,
) -> Result<Consumed, VaultError> {
    let tx = conn.transaction()?;
    let spent = tx.execute(
        "UPDATE oauth_states SET used_at = ?2 WHERE state_hash = ?1 AND used_at IS NULL",
        params![state_hash, now],
    )?;
    let row = read(&tx, keyring, state_hash)?;
    tx.commit()?;
    Ok(match row {
        None => Consumed::Unknown,
        Some(_) if spent == 0 => Consumed::AlreadyUsed,
        Some((state, _)) => Consumed::Fresh(state),
    })
}

/// The state stored under `state_hash` and whether it was used, verifier opened.
fn read(
    conn: &Connection,
    keyring: &Keyring,
    state_hash: &[u8],
) -> Result<Option<(PendingState, bool)>, VaultError> {
    let row = conn
        .query_row(
            "SELECT session_id, connector_id, browser_hash, redirect_uri, issuer, scopes, data_key_id, verifier_nonce, \
             verifier_sealed, created_at, expires_at, used_at IS NOT NULL FROM oauth_states WHERE state_hash = ?1",
            params![state_hash],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                    ),
                    (
                        r.get::<_, String>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                        r.get::<_, Vec<u8>>(8)?,
                        r.get::<_, i64>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, bool>(11)?,
                    ),
                ))
            },
        )
        .optional()?;
    let Some((
        (session_id, connector_id, browser_hash, redirect_uri, issuer, scopes),
        (key_id, nonce, ciphertext, created_at, expires_at, used),
    )) = row
    else {
        return Ok(None);
    };
    let plain = keyring.open(
        TABLE,
        &row_key(state_hash),
        "verifier",
        &key_id,
        &Sealed { nonce, ciphertext },
    )?;
    let verifier = std::str::from_utf8(&plain).map_err(|_| VaultError::SecretTampered)?;
    Ok(Some((
        PendingState {
            session_id,
            connector_id,
            browser_hash,
            redirect_uri,
            issuer,
            scopes: serde_json::from_str(&scopes)?,
            verifier: SecretString::from(verifier.to_owned()),
            created_at,
            expires_at,
        },
        used,
    )))
}

/// Drop states that expired long ago (they can only ever be refused).
pub fn prune(conn: &Connection, older_than: i64) -> Result<usize, VaultError> {
    Ok(conn.execute(
        "DELETE FROM oauth_states WHERE expires_at < ?1",
        params![older_than],
    )?)
}
