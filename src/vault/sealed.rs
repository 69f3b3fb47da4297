//! XChaCha20-Poly1305 sealing of personal fields and keys, with associated data that binds each
//! ciphertext to where it belongs (table, field, record) so it cannot be moved elsewhere.

use std::fmt;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::vault::VaultError;
use crate::vault::keys::{Key256, MemberKey};

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// First byte of the compact encoding: names the algorithm so it can change without guessing.
const FORMAT_XCHACHA20POLY1305: u8 = 1;
const FIELD_AAD_DOMAIN: &[u8] = b"frontdesk-field-v1";

/// A nonce and the ciphertext (with its 16-byte tag) it was sealed under.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

impl Sealed {
    /// Compact form: one format byte, the 24-byte nonce, then the ciphertext and tag.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + NONCE_LEN + self.ciphertext.len());
        out.push(FORMAT_XCHACHA20POLY1305);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let (&format, rest) = bytes
            .split_first()
            .ok_or(VaultError::Malformed { reason: "empty" })?;
        if format != FORMAT_XCHACHA20POLY1305 {
            return Err(VaultError::Malformed {
                reason: "unknown format byte",
            });
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(VaultError::Malformed {
                reason: "too short",
            });
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = nonce.try_into().map_err(|_| VaultError::Malformed {
            reason: "bad nonce",
        })?;
        Ok(Self {
            nonce,
            ciphertext: ciphertext.to_vec(),
        })
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealed {{ nonce: {} bytes, ciphertext: {} bytes }}",
            self.nonce.len(),
            self.ciphertext.len()
        )
    }
}

impl Serialize for Sealed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

impl<'de> Deserialize<'de> for Sealed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SealedVisitor;

        impl<'de> Visitor<'de> for SealedVisitor {
            type Value = Sealed;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("sealed bytes (format byte, nonce, ciphertext)")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Sealed, E> {
                Sealed::from_bytes(bytes).map_err(E::custom)
            }

            // Self-describing formats without a byte type (e.g. JSON) hand us a sequence.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sealed, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(byte) = seq.next_element::<u8>()? {
                    bytes.push(byte);
                }
                Sealed::from_bytes(&bytes).map_err(de::Error::custom)
            }
        }

        deserializer.deserialize_bytes(SealedVisitor)
    }
}

/// Where a field lives; bound into the ciphertext as associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldContext<'a> {
    pub table: &'a str,
    pub field: &'a str,
    pub record: RecordId,
}

impl<'a> FieldContext<'a> {
    pub const fn new(table: &'a str, field: &'a str, record: RecordId) -> Self {
        Self {
            table,
            field,
            record,
        }
    }

    /// Domain, then length-prefixed table and field, then the fixed 16-byte record id, so no
    /// two distinct contexts produce the same bytes.
    pub fn associated_data(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(
            FIELD_AAD_DOMAIN.len() + 8 + self.table.len() + self.field.len() + 16,
        );
        aad.extend_from_slice(FIELD_AAD_DOMAIN);
        push_length_prefixed(&mut aad, self.table.as_bytes());
        push_length_prefixed(&mut aad, self.field.as_bytes());
        aad.extend_from_slice(&self.record.to_bytes());
        aad
    }
}

/// Appends a 4-byte big-endian length and the bytes. Lengths beyond u32 saturate, which is
/// harmless here: table and field names are short compile-time constants.
pub(crate) fn push_length_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

pub fn seal_field(
    key: &MemberKey,
    context: FieldContext<'_>,
    plaintext: &[u8],
    entropy: &dyn Entropy,
) -> Result<Sealed, VaultError> {
    seal_with(key.key(), &context.associated_data(), plaintext, entropy)
}

pub fn open_field(
    key: &MemberKey,
    context: FieldContext<'_>,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    open_with(key.key(), &context.associated_data(), sealed)
}

pub fn open_field_string(
    key: &MemberKey,
    context: FieldContext<'_>,
    sealed: &Sealed,
) -> Result<Zeroizing<String>, VaultError> {
    into_text(open_field(key, context, sealed)?)
}

/// Opened bytes as text; bytes that are not UTF-8 are wiped, not kept in an error.
pub(crate) fn into_text(
    mut plaintext: Zeroizing<Vec<u8>>,
) -> Result<Zeroizing<String>, VaultError> {
    match String::from_utf8(std::mem::take(&mut *plaintext)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(err) => {
            err.into_bytes().zeroize();
            Err(VaultError::NotText)
        }
    }
}

/// Seals `plaintext` under `key` with a fresh random 24-byte nonce.
pub fn seal_with(
    key: &Key256,
    aad: &[u8],
    plaintext: &[u8],
    entropy: &dyn Entropy,
) -> Result<Sealed, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    entropy.fill(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    // Room for the tag up front, so the buffer holding plaintext is never reallocated and
    // left behind in freed memory.
    let mut buffer = Zeroizing::new(Vec::with_capacity(plaintext.len() + TAG_LEN));
    buffer.extend_from_slice(plaintext);
    cipher
        .encrypt_in_place(&XNonce::from(nonce), aad, &mut *buffer)
        .map_err(|_| VaultError::Encrypt {
            len: plaintext.len(),
        })?;
    Ok(Sealed {
        nonce,
        ciphertext: std::mem::take(&mut *buffer),
    })
}

pub fn open_with(
    key: &Key256,
    aad: &[u8],
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let mut buffer = Zeroizing::new(sealed.ciphertext.clone());
    cipher
        .decrypt_in_place(&XNonce::from(sealed.nonce), aad, &mut *buffer)
        .map_err(|_| VaultError::Decrypt)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    const NAME: &[u8] = "欧阳娜娜 Jane Example".as_bytes();

    fn member_key(seed: u64) -> MemberKey {
        MemberKey::generate(&SeededEntropy::new(seed)).unwrap()
    }

    fn context(field: &'static str, record: u128) -> FieldContext<'static> {
        FieldContext::new("members", field, RecordId::from_u128(record))
    }

    #[test]
    fn round_trip() {
        let entropy = SeededEntropy::new(9);
        let key = member_key(1);
        let sealed = seal_field(&key, context("name", 1), NAME, &entropy).unwrap();
        assert_eq!(sealed.ciphertext.len(), NAME.len() + TAG_LEN);
        let opened = open_field(&key, context("name", 1), &sealed).unwrap();
        assert_eq!(opened.as_slice(), NAME);
        let text = open_field_string(&key, context("name", 1), &sealed).unwrap();
        assert_eq!(text.as_bytes(), NAME);
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let entropy = SeededEntropy::new(9);
        let key = member_key(1);
        let sealed = seal_field(&key, context("notes", 1), b"", &entropy).unwrap();
        assert!(
            open_field(&key, context("notes", 1), &sealed)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn ciphertext_moved_to_another_record_field_or_table_fails() {
        let entropy = SeededEntropy::new(9);
        let key = member_key(1);
        let sealed = seal_field(&key, context("name", 1), NAME, &entropy).unwrap();
        let elsewhere = [
            context("name", 2),
            context("email", 1),
            FieldContext::new("staff", "name", RecordId::from_u128(1)),
        ];
        for other in elsewhere {
            assert!(matches!(
                open_field(&key, other, &sealed),
                Err(VaultError::Decrypt)
            ));
        }
    }

    #[test]
    fn table_and_field_boundaries_are_unambiguous() {
        let record = RecordId::from_u128(5);
        let a = FieldContext::new("ab", "c", record).associated_data();
        let b = FieldContext::new("a", "bc", record).associated_data();
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_key_fails() {
        let entropy = SeededEntropy::new(9);
        let sealed = seal_field(&member_key(1), context("name", 1), NAME, &entropy).unwrap();
        assert!(matches!(
            open_field(&member_key(2), context("name", 1), &sealed),
            Err(VaultError::Decrypt)
        ));
    }

    #[test]
    fn any_flipped_byte_fails() {
        let entropy = SeededEntropy::new(9);
        let key = member_key(1);
        let sealed = seal_field(&key, context("name", 1), NAME, &entropy).unwrap();
        for index in 0..sealed.ciphertext.len() {
            let mut altered = sealed.clone();
            altered.ciphertext[index] ^= 0x01;
            assert!(open_field(&key, context("name", 1), &altered).is_err());
        }
        let mut altered_nonce = sealed.clone();
        altered_nonce.nonce[3] ^= 0x80;
        assert!(open_field(&key, context("name", 1), &altered_nonce).is_err());
        let mut truncated = sealed;
        truncated.ciphertext.truncate(TAG_LEN - 1);
        assert!(open_field(&key, context("name", 1), &truncated).is_err());
    }

    #[test]
    fn ciphertext_does_not_contain_the_plaintext() {
        let entropy = SeededEntropy::new(9);
        let plaintext = b"13812345678 jane@example.com";
        let sealed = seal_field(&member_key(1), context("phone", 1), plaintext, &entropy).unwrap();
        let encoded = sealed.to_bytes();
        for window in [&plaintext[..8], &plaintext[12..20]] {
            assert!(!encoded.windows(window.len()).any(|w| w == window));
        }
    }

    #[test]
    fn nonces_are_fresh_per_seal() {
        let entropy = SeededEntropy::new(9);
        let key = member_key(1);
        let a = seal_field(&key, context("name", 1), NAME, &entropy).unwrap();
        let b = seal_field(&key, context("name", 1), NAME, &entropy).unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn non_utf8_plaintext_is_refused_as_text() {
        let entropy = SeededEntropy::new(9);
        let key = member_key(1);
        let sealed = seal_field(&key, context("name", 1), &[0xff, 0xfe], &entropy).unwrap();
        assert!(matches!(
            open_field_string(&key, context("name", 1), &sealed),
            Err(VaultError::NotText)
        ));
    }

    #[test]
    fn compact_encoding_round_trips_through_bytes_and_postcard() {
        let entropy = SeededEntropy::new(9);
        let sealed = seal_field(&member_key(1), context("name", 1), NAME, &entropy).unwrap();
        assert_eq!(Sealed::from_bytes(&sealed.to_bytes()).unwrap(), sealed);
        let encoded = postcard::to_stdvec(&sealed).unwrap();
        // One length byte, one format byte, nonce, ciphertext.
        assert_eq!(encoded.len(), 2 + NONCE_LEN + sealed.ciphertext.len());
        let decoded: Sealed = postcard::from_bytes(&encoded).unwrap();
        assert_eq!(decoded, sealed);
    }

    #[test]
    fn malformed_encodings_are_refused() {
        assert!(Sealed::from_bytes(&[]).is_err());
        assert!(Sealed::from_bytes(&[2; 64]).is_err());
        assert!(Sealed::from_bytes(&[1; 30]).is_err());
    }

    #[test]
    fn debug_shows_only_lengths() {
        let entropy = SeededEntropy::new(9);
        let sealed = seal_field(&member_key(1), context("name", 1), NAME, &entropy).unwrap();
        let text = format!("{sealed:?}");
        assert_eq!(
            text,
            format!(
                "Sealed {{ nonce: 24 bytes, ciphertext: {} bytes }}",
                sealed.ciphertext.len()
            )
        );
    }
}
