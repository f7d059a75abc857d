//! The artifact cache's key, derived from the vault's master key: whoever can forge a cache
//! entry (and so run native code in the gateway) must already hold the master key.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use latchkey_store::MasterKey;

const LABEL: &[u8] = b"latchkey plugin artifact cache v1";

/// HMAC-SHA256(master key, label): a separate key for the cache, so the master key itself
/// is never used for anything but the vault.
pub fn derive(master: &MasterKey) -> Option<Zeroizing<[u8; 32]>> {
    let encoded = master.to_base64();
    let raw = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .ok()?,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).ok()?;
    mac.update(LABEL);
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&mac.finalize().into_bytes());
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_master_keys_give_different_cache_keys() {
        let a = derive(&MasterKey::from_bytes([1; 32])).expect("key");
        let a2 = derive(&MasterKey::from_bytes([1; 32])).expect("key");
        let b = derive(&MasterKey::from_bytes([2; 32])).expect("key");
        assert_eq!(*a, *a2);
        assert_ne!(*a, *b);
        assert_ne!(a.as_slice(), &[1u8; 32]);
    }
}
