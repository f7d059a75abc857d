//! Column conventions shared by the SQL files: owners as (kind, id), lists and maps as JSON
//! text, sealed values as (data key id, nonce, ciphertext).

use rusqlite::Row;

use crate::connections::Owner;
use crate::error::VaultError;
use crate::seal::SealedValue;

/// The (kind, id) columns of an owner.
pub(super) fn owner_parts(owner: &Owner) -> (&'static str, &str) {
    (owner.kind(), owner.id())
}

/// JSON text for a list or map column.
pub(super) fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, VaultError> {
    Ok(serde_json::to_string(value)?)
}

/// A JSON text column read back.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, VaultError> {
    Ok(serde_json::from_str(text)?)
}

/// A sealed value from three consecutive columns starting at `at`.
pub(super) fn sealed_at(r: &Row<'_>, at: usize) -> rusqlite::Result<SealedValue> {
    Ok(SealedValue {
        data_key_id: r.get(at)?,
        nonce: r.get(at + 1)?,
        ciphertext: r.get(at + 2)?,
    })
}

/// Collect rows mapped to `Result<Result<T, VaultError>>` (SQL errors outside, decoding
/// errors inside).
pub(super) fn collect<T>(
    rows: impl Iterator<Item = rusqlite::Result<Result<T, VaultError>>>,
) -> Result<Vec<T>, VaultError> {
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}
