//! Sealing of the saved name index: XChaCha20-Poly1305 in chunks under a key derived from the
//! store key for this purpose alone. Each chunk's associated data names its position, the
//! chunk count, the plaintext length and the first chunk's nonce, so chunks cannot be
//! dropped, reordered, or mixed in from another snapshot.

use zeroize::Zeroizing;

use crate::entropy::Entropy;
use crate::vault::VaultError;
use crate::vault::keys::{Key256, StoreKey};
use crate::vault::sealed::{Sealed, open_with, seal_with};

/// HKDF info of the snapshot key; distinct from every other derivation of the store key.
const NAME_SNAPSHOT_INFO: &[u8] = b"frontdesk name-index snapshot v1";
const AAD_DOMAIN: &[u8] = b"frontdesk-name-snapshot-v1";
/// Plaintext bytes per sealed chunk (one redb row each).
pub const SNAPSHOT_CHUNK_BYTES: usize = 4 << 20;

pub(crate) fn derive_key(store_key: &StoreKey) -> Key256 {
    store_key.key().derive_subkey(NAME_SNAPSHOT_INFO)
}

fn aad(n: u32, count: u32, plaintext_len: u64, first_nonce: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 16 + first_nonce.len());
    aad.extend_from_slice(AAD_DOMAIN);
    aad.extend_from_slice(&n.to_le_bytes());
    aad.extend_from_slice(&count.to_le_bytes());
    aad.extend_from_slice(&plaintext_len.to_le_bytes());
    aad.extend_from_slice(first_nonce);
    aad
}

/// Seals `plaintext` in chunks numbered from 1; each is [`Sealed::to_bytes`].
pub(crate) fn seal(
    key: &Key256,
    plaintext: &[u8],
    entropy: &dyn Entropy,
) -> Result<Vec<Vec<u8>>, VaultError> {
    let pieces: Vec<&[u8]> = if plaintext.is_empty() {
        vec![plaintext]
    } else {
        plaintext.chunks(SNAPSHOT_CHUNK_BYTES).collect()
    };
    let count = u32::try_from(pieces.len()).map_err(|_| VaultError::Encrypt {
        len: plaintext.len(),
    })?;
    let total = plaintext.len() as u64;
    let mut chunks = Vec::with_capacity(pieces.len());
    // Chunk 1 is bound by its own nonce; every later chunk names that nonce.
    let mut first_nonce: Option<[u8; 24]> = None;
    for (n, piece) in (1u32..).zip(pieces) {
        let first: &[u8] = first_nonce.as_ref().map_or(&[], |nonce| nonce.as_slice());
        let sealed = seal_with(key, &aad(n, count, total, first), piece, entropy)?;
        first_nonce.get_or_insert(sealed.nonce);
        chunks.push(sealed.to_bytes());
    }
    Ok(chunks)
}

/// Opens chunks `1..=count` (fetched one at a time by `chunk`) into one buffer of
/// `plaintext_len` bytes. A missing, altered, reordered or foreign chunk fails the whole.
pub(crate) fn open(
    key: &Key256,
    count: u32,
    plaintext_len: u64,
    chunk: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let capacity = usize::try_from(plaintext_len).map_err(|_| VaultError::Malformed {
        reason: "snapshot too large",
    })?;
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    let mut first_nonce: Option<[u8; 24]> = None;
    for n in 1..=count {
        let bytes = chunk(n).ok_or(VaultError::Malformed {
            reason: "snapshot chunk missing",
        })?;
        let sealed = Sealed::from_bytes(&bytes)?;
        let first: &[u8] = first_nonce.as_ref().map_or(&[], |nonce| nonce.as_slice());
        let opened = open_with(key, &aad(n, count, plaintext_len, first), &sealed)?;
        first_nonce.get_or_insert(sealed.nonce);
        if out.len() + opened.len() > capacity {
            return Err(VaultError::Malformed {
                reason: "snapshot longer than its header",
            });
        }
        out.extend_from_slice(&opened);
    }
    if out.len() != capacity {
        return Err(VaultError::Malformed {
            reason: "snapshot shorter than its header",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    fn key(seed: u8) -> Key256 {
        derive_key(&StoreKey::from_bytes(Zeroizing::new([seed; 32])))
    }

    fn fetch(chunks: &[Vec<u8>]) -> impl FnMut(u32) -> Option<Vec<u8>> + '_ {
        move |n| chunks.get(n as usize - 1).cloned()
    }

    #[test]
    fn chunks_round_trip_and_resist_tampering() {
        let entropy = SeededEntropy::new(9);
        let plaintext: Vec<u8> = (0..SNAPSHOT_CHUNK_BYTES * 2 + 17)
            .map(|n| (n % 251) as u8)
            .collect();
        let len = plaintext.len() as u64;
        let chunks = seal(&key(1), &plaintext, &entropy).unwrap();
        assert_eq!(chunks.len(), 3);
        let opened = open(&key(1), 3, len, &mut fetch(&chunks)).unwrap();
        assert_eq!(opened.as_slice(), plaintext.as_slice());

        // Another store's key, a dropped chunk, swapped chunks, a wrong length, a flipped bit.
        assert!(open(&key(2), 3, len, &mut fetch(&chunks)).is_err());
        assert!(open(&key(1), 2, len, &mut fetch(&chunks)).is_err());
        let swapped = vec![chunks[1].clone(), chunks[0].clone(), chunks[2].clone()];
        assert!(open(&key(1), 3, len, &mut fetch(&swapped)).is_err());
        assert!(open(&key(1), 3, len - 1, &mut fetch(&chunks)).is_err());
        let mut flipped = chunks.clone();
        flipped[2][40] ^= 1;
        assert!(open(&key(1), 3, len, &mut fetch(&flipped)).is_err());

        // A chunk from another snapshot of the same shape does not fit in.
        let other = seal(&key(1), &plaintext, &entropy).unwrap();
        let mixed = vec![chunks[0].clone(), other[1].clone(), chunks[2].clone()];
        assert!(open(&key(1), 3, len, &mut fetch(&mixed)).is_err());
    }

    #[test]
    fn an_empty_snapshot_is_one_chunk() {
        let entropy = SeededEntropy::new(2);
        let chunks = seal(&key(1), &[], &entropy).unwrap();
        assert_eq!(chunks.len(), 1);
        assert!(open(&key(1), 1, 0, &mut fetch(&chunks)).unwrap().is_empty());
    }

    #[test]
    fn the_snapshot_key_is_its_own() {
        let store_key = StoreKey::from_bytes(Zeroizing::new([5; 32]));
        assert_ne!(derive_key(&store_key).expose(), store_key.key().expose());
    }
}
