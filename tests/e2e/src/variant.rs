//! Minting versions of the `shapeshift` fixture: its manifest is a JSON blob behind a marker
//! in the `.wasm`; rewriting the blob (same length, padded with spaces) gives a different,
//! valid component without a rebuild.

use serde_json::Value;

const MARKER: &[u8] = b"LATCHKEY-SHAPESHIFT-CONFIG:";
const SIZE: usize = 1024;

/// The fixture's default configuration, with `changes` merged over it.
pub fn config(changes: Value) -> Value {
    let mut base = serde_json::json!({
        "id": "shapeshift",
        "version": "1.0.0",
        "hosts": ["https://allowed.test"],
        "scopes": [],
        "placement": "bearer",
    });
    if let (Some(b), Value::Object(c)) = (base.as_object_mut(), changes) {
        b.extend(c);
    }
    base
}

/// The shapeshift component with its configuration replaced by `config(changes)`.
pub fn shapeshift(changes: Value) -> Vec<u8> {
    let mut bytes = std::fs::read(crate::build::fixture("shapeshift")).expect("shapeshift.wasm");
    let at = bytes
        .windows(MARKER.len())
        .position(|w| w == MARKER)
        .expect("the configuration marker");
    let json = config(changes).to_string();
    let room = SIZE - MARKER.len();
    assert!(json.len() <= room, "configuration too long");
    let blob = &mut bytes[at + MARKER.len()..at + SIZE];
    blob.fill(b' ');
    blob[..json.len()].copy_from_slice(json.as_bytes());
    bytes
}
