//! AEAD sealing: XChaCha20-Poly1305 with a random nonce and associated data that names the
//! exact place a ciphertext belongs, so a ciphertext copied elsewhere does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

use super::error::VaultError;
use super::master_key::KEY_LEN;

/// Nonce length of XChaCha20: large enough that random nonces never collide in practice.
pub const NONCE_LEN: usize = 24;

/// A sealed value as stored: nonce plus ciphertext (with tag).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.ciphertext.len())
    }
}

/// A secret as a storage backend keeps it: opaque sealed bytes and the id of the data key that
/// sealed them. Backends store and return these unchanged; only the vault can open them, and
/// only at the place (table, row, field) they were sealed for.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedValue {
    pub data_key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedValue({}, {} bytes)",
            self.data_key_id,
            self.ciphertext.len()
        )
    }
}

/// Where a sealed value lives; becomes the AEAD's associated data.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub table: &'a str,
    pub row: &'a str,
    pub field: &'a str,
    pub key_id: &'a str,
}

impl Binding<'_> {
    fn aad(&self) -> Vec<u8> {
        // Length-prefixed parts: no two different bindings encode to the same bytes.
        let mut out = b"latchkey:v1".to_vec();
        for part in [self.table, self.row, self.field, self.key_id] {
            out.extend_from_slice(&(part.len() as u64).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// Encrypt `plaintext` under `key`, bound to `binding`.
pub fn seal(
    key: &[u8; KEY_LEN],
    binding: Binding<'_>,
    plaintext: &[u8],
) -> Result<Sealed, VaultError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let aad = binding.aad();
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| VaultError::Malformed("value too large to seal".into()))?;
    Ok(Sealed {
        nonce: nonce.to_vec(),
        ciphertext,
    })
}

/// Decrypt a value sealed by [`seal`] with the same key and binding.
pub fn open(
    key: &[u8; KEY_LEN],
    binding: Binding<'_>,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if sealed.nonce.len() != NONCE_LEN {
        return Err(VaultError::SecretTampered);
    }
    let cipher = XChaCha20Poly1305::new(key.into());
    let aad = binding.aad();
    cipher
        .decrypt(
            XNonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| VaultError::SecretTampered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; KEY_LEN] = [9u8; KEY_LEN];

    fn at<'a>(row: &'a str, field: &'a str) -> Binding<'a> {
        Binding {
            table: "connection_secrets",
            row,
            field,
            key_id: "dk_1",
        }
    }

    #[test]
    fn round_trip() {
        let sealed = seal(&KEY, at("conn_a", "api_key"), b"s3cret").expect("seals");
        let opened = open(&KEY, at("conn_a", "api_key"), &sealed).expect("opens");
        assert_eq!(opened.as_slice(), b"s3cret");
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_field_does_not_open() {
        let sealed = seal(&KEY, at("conn_a", "api_key"), b"s3cret").expect("seals");
        assert!(open(&KEY, at("conn_b", "api_key"), &sealed).is_err());
        assert!(open(&KEY, at("conn_a", "refresh_token"), &sealed).is_err());
    }

    #[test]
    fn tampering_and_wrong_keys_are_detected() {
        let mut sealed = seal(&KEY, at("conn_a", "api_key"), b"s3cret").expect("seals");
        assert!(open(&[1u8; KEY_LEN], at("conn_a", "api_key"), &sealed).is_err());
        sealed.ciphertext[0] ^= 1;
        assert!(open(&KEY, at("conn_a", "api_key"), &sealed).is_err());
        sealed.nonce.truncate(3);
        assert!(open(&KEY, at("conn_a", "api_key"), &sealed).is_err());
    }

    #[test]
    fn nonces_are_fresh() {
        let a = seal(&KEY, at("r", "f"), b"x").expect("seals");
        let b = seal(&KEY, at("r", "f"), b"x").expect("seals");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }
}
