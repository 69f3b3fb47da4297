//! Encryption of backup files: the STREAM construction (RustCrypto's `aead-stream`, the
//! big-endian 32-bit counter flavour) over XChaCha20-Poly1305, under a key used for one backup
//! only, derived by HKDF from the store key and a fresh random salt.
//!
//! STREAM authenticates each chunk's position and whether it is the last one, so reordered,
//! dropped, duplicated or cut-off chunks fail to open; the caller binds the file header to
//! every chunk through the associated data.

use std::fmt;

use aead_stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::vault::VaultError;
use crate::vault::keys::StoreKey;

/// Random salt stored in each backup's header; a new one per backup gives a new key.
pub const BACKUP_SALT_LEN: usize = 32;
/// XChaCha20's 24-byte nonce less the 5 bytes STREAM uses for its counter and last-chunk flag.
pub const STREAM_NONCE_LEN: usize = 19;
/// What sealing adds to each chunk.
pub const CHUNK_TAG_LEN: usize = 16;

const BACKUP_KEY_INFO: &[u8] = b"frontdesk backup-payload v1";
const KEYHOLDER_TAG_DOMAIN: &[u8] = b"frontdesk backup-keyholder v1";

/// Names a keyholder in a backup header without writing their user name in the clear: a
/// keyed hash under the backup's own salt, so the same name gives different tags in
/// different backups.
pub fn keyholder_tag(salt: &[u8; BACKUP_SALT_LEN], username: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(salt)
        .expect("HMAC-SHA256 accepts a key of any length");
    mac.update(KEYHOLDER_TAG_DOMAIN);
    mac.update(username.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The key of one backup file's payload.
pub struct BackupKey(Zeroizing<[u8; 32]>);

impl BackupKey {
    pub fn derive(store_key: &StoreKey, salt: &[u8; BACKUP_SALT_LEN]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(salt), store_key.key().expose());
        let mut okm = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte output limit, so this cannot fail.
        hkdf.expand(BACKUP_KEY_INFO, okm.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(okm)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let bytes: &[u8; 32] = &self.0;
        XChaCha20Poly1305::new(bytes.into())
    }
}

impl fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackupKey(redacted)")
    }
}

/// Seals a backup's payload chunk by chunk, in order.
pub struct ChunkSealer {
    encryptor: EncryptorBE32<XChaCha20Poly1305>,
    associated_data: Vec<u8>,
}

impl ChunkSealer {
    pub fn new(key: &BackupKey, nonce: &[u8; STREAM_NONCE_LEN], associated_data: Vec<u8>) -> Self {
        Self {
            encryptor: EncryptorBE32::from_aead(key.cipher(), nonce.into()),
            associated_data,
        }
    }

    pub fn seal_next(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.encryptor
            .encrypt_next(aead_stream::aead::Payload {
                msg: plaintext,
                aad: &self.associated_data,
            })
            .map_err(|_| VaultError::Encrypt {
                len: plaintext.len(),
            })
    }

    /// Seals the final chunk; nothing can follow it.
    pub fn seal_last(self, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.encryptor
            .encrypt_last(aead_stream::aead::Payload {
                msg: plaintext,
                aad: &self.associated_data,
            })
            .map_err(|_| VaultError::Encrypt {
                len: plaintext.len(),
            })
    }
}

impl fmt::Debug for ChunkSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChunkSealer(redacted)")
    }
}

/// Opens a backup's payload chunk by chunk, in the order it was sealed.
pub struct ChunkOpener {
    decryptor: DecryptorBE32<XChaCha20Poly1305>,
    associated_data: Vec<u8>,
}

impl ChunkOpener {
    pub fn new(key: &BackupKey, nonce: &[u8; STREAM_NONCE_LEN], associated_data: Vec<u8>) -> Self {
        Self {
            decryptor: DecryptorBE32::from_aead(key.cipher(), nonce.into()),
            associated_data,
        }
    }

    /// Fails with [`VaultError::Decrypt`] for a wrong key, an altered chunk, a chunk out of
    /// place, or the real last chunk opened as if more followed.
    pub fn open_next(&mut self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.decryptor
            .decrypt_next(aead_stream::aead::Payload {
                msg: ciphertext,
                aad: &self.associated_data,
            })
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Decrypt)
    }

    /// Opens the chunk that claims to be the last; fails unless it was sealed as the last.
    pub fn open_last(self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.decryptor
            .decrypt_last(aead_stream::aead::Payload {
                msg: ciphertext,
                aad: &self.associated_data,
            })
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Decrypt)
    }
}

impl fmt::Debug for ChunkOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChunkOpener(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8, salt: u8) -> BackupKey {
        BackupKey::derive(
            &StoreKey::from_bytes(Zeroizing::new([byte; 32])),
            &[salt; BACKUP_SALT_LEN],
        )
    }

    const NONCE: [u8; STREAM_NONCE_LEN] = [9; STREAM_NONCE_LEN];

    fn sealed(key: &BackupKey) -> Vec<Vec<u8>> {
        let mut sealer = ChunkSealer::new(key, &NONCE, b"header".to_vec());
        vec![
            sealer.seal_next(b"first").unwrap(),
            sealer.seal_next(b"second").unwrap(),
            sealer.seal_last(b"third").unwrap(),
        ]
    }

    #[test]
    fn chunks_round_trip_in_order() {
        let key = key(1, 2);
        let chunks = sealed(&key);
        assert_eq!(chunks[0].len(), 5 + CHUNK_TAG_LEN);
        let mut opener = ChunkOpener::new(&key, &NONCE, b"header".to_vec());
        assert_eq!(opener.open_next(&chunks[0]).unwrap().as_slice(), b"first");
        assert_eq!(opener.open_next(&chunks[1]).unwrap().as_slice(), b"second");
        assert_eq!(opener.open_last(&chunks[2]).unwrap().as_slice(), b"third");
    }

    #[test]
    fn reordered_truncated_or_rebound_chunks_do_not_open() {
        let key = key(1, 2);
        let chunks = sealed(&key);
        let mut swapped = ChunkOpener::new(&key, &NONCE, b"header".to_vec());
        assert!(swapped.open_next(&chunks[1]).is_err());
        // Cut after the second chunk: the second one is not a valid last chunk.
        let mut cut = ChunkOpener::new(&key, &NONCE, b"header".to_vec());
        cut.open_next(&chunks[0]).unwrap();
        assert!(cut.open_last(&chunks[1]).is_err());
        let mut other_header = ChunkOpener::new(&key, &NONCE, b"HEADER".to_vec());
        assert!(other_header.open_next(&chunks[0]).is_err());
    }

    #[test]
    fn the_key_depends_on_store_key_and_salt() {
        let chunks = sealed(&key(1, 2));
        for wrong in [key(1, 3), key(4, 2)] {
            let mut opener = ChunkOpener::new(&wrong, &NONCE, b"header".to_vec());
            assert!(opener.open_next(&chunks[0]).is_err());
        }
    }

    #[test]
    fn keyholder_tags_depend_on_salt_and_name() {
        let tag = keyholder_tag(&[1; BACKUP_SALT_LEN], "owner");
        assert_eq!(tag, keyholder_tag(&[1; BACKUP_SALT_LEN], "owner"));
        assert_ne!(tag, keyholder_tag(&[2; BACKUP_SALT_LEN], "owner"));
        assert_ne!(tag, keyholder_tag(&[1; BACKUP_SALT_LEN], "owner2"));
    }

    #[test]
    fn debug_is_redacted() {
        let key = key(0xAB, 1);
        assert_eq!(format!("{key:?}"), "BackupKey(redacted)");
        let sealer = ChunkSealer::new(&key, &NONCE, Vec::new());
        assert_eq!(format!("{sealer:?}"), "ChunkSealer(redacted)");
    }
}
