//! Pseudonyms for the analysis export: a keyed hash of a member's id under a key derived from
//! the store key and an export salt, so the same member gets the same pseudonym only within
//! exports that share the salt, and nobody without the store key can link a pseudonym back.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ids::RecordId;
use crate::vault::keys::{PSEUDONYM_HKDF_INFO, StoreKey};

/// Bytes of the HMAC kept in a pseudonym (shown as twice as many hex digits).
pub const PSEUDONYM_BYTES: usize = 16;

/// An export salt: fresh and random for an export that must not link to any other, or kept
/// in the store under a series name so the series' exports share pseudonyms.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportSalt([u8; 32]);

impl ExportSalt {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ExportSalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExportSalt(redacted)")
    }
}

/// Turns member ids into pseudonyms for one export.
pub struct Pseudonymiser {
    /// Keyed once; each pseudonym starts from a copy of this state.
    keyed: Hmac<Sha256>,
}

impl Pseudonymiser {
    pub fn new(store_key: &StoreKey, salt: &ExportSalt) -> Self {
        let key = store_key
            .key()
            .derive_salted_subkey(salt.as_bytes(), PSEUDONYM_HKDF_INFO);
        // HMAC accepts keys of any length, so keying with 32 bytes cannot fail.
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose())
            .expect("HMAC-SHA256 accepts a 32-byte key");
        Self { keyed }
    }

    /// Lower-case hex of the first 16 bytes of HMAC-SHA256(key, the id's 16 bytes).
    pub fn pseudonym(&self, member: RecordId) -> String {
        let mut mac = self.keyed.clone();
        mac.update(&member.to_bytes());
        let digest = mac.finalize().into_bytes();
        data_encoding::HEXLOWER.encode(&digest[..PSEUDONYM_BYTES])
    }
}

impl fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymiser(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn store_key(byte: u8) -> StoreKey {
        StoreKey::from_bytes(Zeroizing::new([byte; 32]))
    }

    #[test]
    fn pseudonyms_are_stable_under_one_salt_and_differ_under_another() {
        let member = RecordId::from_u128(42);
        let salt = ExportSalt::from_bytes([7; 32]);
        let a = Pseudonymiser::new(&store_key(1), &salt);
        let b = Pseudonymiser::new(&store_key(1), &salt);
        assert_eq!(a.pseudonym(member), b.pseudonym(member));
        assert_eq!(a.pseudonym(member).len(), 2 * PSEUDONYM_BYTES);
        assert_ne!(a.pseudonym(member), a.pseudonym(RecordId::from_u128(43)));
        let other_salt = Pseudonymiser::new(&store_key(1), &ExportSalt::from_bytes([8; 32]));
        assert_ne!(a.pseudonym(member), other_salt.pseudonym(member));
        let other_store = Pseudonymiser::new(&store_key(2), &salt);
        assert_ne!(a.pseudonym(member), other_store.pseudonym(member));
    }

    #[test]
    fn debug_shows_no_key_or_salt() {
        let salt = ExportSalt::from_bytes([0xAB; 32]);
        let p = Pseudonymiser::new(&store_key(1), &salt);
        assert_eq!(format!("{salt:?}"), "ExportSalt(redacted)");
        assert_eq!(format!("{p:?}"), "Pseudonymiser(redacted)");
    }
}
