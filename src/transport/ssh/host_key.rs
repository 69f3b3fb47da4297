//! The server's ed25519 host key: made once into the data directory, private to this user,
//! and refused if anyone else could read it (a copied host key lets an impostor pose as the
//! shop's server).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey};
use zeroize::Zeroizing;

use crate::entropy::Entropy;

pub const HOST_KEY_FILE_NAME: &str = "ssh_host_ed25519_key";

#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error(
        "the SSH host key {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}` and start again"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error(
        "cannot read the SSH host key {path}: {reason}; restore it from a backup or delete it to make a new one (clients will then warn that the key changed)"
    )]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "cannot create the SSH host key {path}: {reason}; check the data directory's permissions"
    )]
    Create { path: PathBuf, reason: String },
}

/// The loaded key and what clients see of it.
pub struct HostKey {
    pub key: PrivateKey,
    /// `SHA256:…`, as OpenSSH shows it.
    pub fingerprint: String,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl HostKey {
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join(HOST_KEY_FILE_NAME)
    }

    /// Loads the host key from `data_dir`, making it on first use.
    pub fn load_or_create(data_dir: &Path, entropy: &dyn Entropy) -> Result<HostKey, HostKeyError> {
        let path = Self::path_in(data_dir);
        let key = if path.exists() {
            load(&path)?
        } else {
            create(&path, entropy)?
        };
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        Ok(HostKey { key, fingerprint })
    }
}

fn load(path: &Path) -> Result<PrivateKey, HostKeyError> {
    let unreadable = |reason: String| HostKeyError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    refuse_if_others_can_read(path)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?);
    PrivateKey::from_openssh(text.as_bytes()).map_err(|e| unreadable(e.to_string()))
}

#[cfg(unix)]
fn refuse_if_others_can_read(path: &Path) -> Result<(), HostKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|e| HostKeyError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(HostKeyError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_others_can_read(_path: &Path) -> Result<(), HostKeyError> {
    Ok(())
}

fn create(path: &Path, entropy: &dyn Entropy) -> Result<PrivateKey, HostKeyError> {
    let failed = |reason: String| HostKeyError::Create {
        path: path.to_path_buf(),
        reason,
    };
    let seed = Zeroizing::new(entropy.array::<32>().map_err(|e| failed(e.to_string()))?);
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| failed(e.to_string()))?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| failed(e.to_string()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn made_once_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = HostKey::load_or_create(dir.path(), &SeededEntropy::new(1)).unwrap();
        assert!(
            first.fingerprint.starts_with("SHA256:"),
            "{}",
            first.fingerprint
        );
        let again = HostKey::load_or_create(dir.path(), &SeededEntropy::new(2)).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(HostKey::path_in(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains("PRIVATE"));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        HostKey::load_or_create(dir.path(), &SeededEntropy::new(1)).unwrap();
        let path = HostKey::path_in(dir.path());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = HostKey::load_or_create(dir.path(), &SeededEntropy::new(1)).unwrap_err();
        assert!(
            matches!(err, HostKeyError::TooOpen { mode: 0o640, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }
}
