//! The master key: loaded from the environment or a 0600 file, created on first run.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::VaultError;

/// Length of every symmetric key in the vault.
pub const KEY_LEN: usize = 32;

/// The key that wraps the vault's data keys; never stored next to the data.
pub struct MasterKey {
    bytes: SecretBox<[u8; KEY_LEN]>,
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A key from raw bytes (tests, and key rotation).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let id = key_id(&bytes);
        MasterKey {
            bytes: SecretBox::new(Box::new(bytes)),
            id,
        }
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self::from_bytes(bytes)
    }

    /// Parse the base64 text form used in files and the environment.
    pub fn parse(text: &str, origin: &str) -> Result<Self, VaultError> {
        let malformed = |reason: String| VaultError::MasterKeyMalformed {
            origin: origin.to_string(),
            reason,
        };
        let decoded = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|e| malformed(format!("not base64 ({e})")))?,
        );
        let bytes: [u8; KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| malformed(format!("{} bytes", decoded.len())))?;
        Ok(Self::from_bytes(bytes))
    }

    /// Load the key from `env_value` if given, else from `path`, creating the file (mode 0600) on
    /// first run. Returns whether a new key was created.
    pub fn load_or_create(
        env_value: Option<&str>,
        path: &Path,
    ) -> Result<(Self, bool), VaultError> {
        if let Some(text) = env_value {
            return Ok((Self::parse(text, "from LATCHKEY_MASTER_KEY")?, false));
        }
        let io_err = |source| VaultError::MasterKeyIo {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                warn_if_readable_by_others(path);
                Ok((
                    Self::parse(&text, &format!("in {}", path.display()))?,
                    false,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_new_key_file(path, &key).map_err(io_err)?;
                Ok((key, true))
            }
            Err(e) => Err(io_err(e)),
        }
    }

    /// A short public fingerprint: safe to log, used to tell keys apart.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn expose(&self) -> &[u8; KEY_LEN] {
        self.bytes.expose_secret()
    }

    /// The base64 text form, for writing a freshly generated key to a file.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.expose()))
    }
}

fn key_id(bytes: &[u8; KEY_LEN]) -> String {
    let mut h = Sha256::new();
    h.update(b"latchkey master key id v1");
    h.update(bytes);
    format!("mk_{}", hex::encode(&h.finalize()[..8]))
}

fn write_new_key_file(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key.to_base64().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "master key file is readable by group or others; chmod 600 it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_file_is_private_and_reloads_to_the_same_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/master.key");
        let (first, created) = MasterKey::load_or_create(None, &path).expect("create");
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, created) = MasterKey::load_or_create(None, &path).expect("reload");
        assert!(!created);
        assert_eq!(first.id(), again.id());
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let err = MasterKey::parse("not base64!!", "test").expect_err("must fail");
        assert!(err.to_string().contains("not base64"));
        let err = MasterKey::parse(&STANDARD.encode([1u8; 16]), "test").expect_err("short");
        assert!(err.to_string().contains("16 bytes"));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = MasterKey::from_bytes([7u8; KEY_LEN]);
        let shown = format!("{key:?}");
        assert!(!shown.contains(&*key.to_base64()));
        assert!(shown.contains("mk_"));
    }
}
