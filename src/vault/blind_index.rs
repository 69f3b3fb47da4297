//! Blind indexes: HMAC-SHA256 tokens of normalised lookup values, one HKDF-derived key per kind,
//! so the store can find a phone, email, plate or member number without holding it in clear.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::vault::keys::{Key256, StoreKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BlindIndexKind {
    PhoneFull,
    PhoneLast4,
    Email,
    Plate,
    MemberNumber,
    /// A plate without its leading province character (`A12345` for `苏A12345`), so the
    /// desk finds the car when only letters and digits are typed.
    PlateTail,
}

impl BlindIndexKind {
    pub const ALL: [BlindIndexKind; 6] = [
        BlindIndexKind::PhoneFull,
        BlindIndexKind::PhoneLast4,
        BlindIndexKind::Email,
        BlindIndexKind::Plate,
        BlindIndexKind::MemberNumber,
        BlindIndexKind::PlateTail,
    ];

    fn position(self) -> usize {
        match self {
            BlindIndexKind::PhoneFull => 0,
            BlindIndexKind::PhoneLast4 => 1,
            BlindIndexKind::Email => 2,
            BlindIndexKind::Plate => 3,
            BlindIndexKind::MemberNumber => 4,
            BlindIndexKind::PlateTail => 5,
        }
    }

    /// HKDF info for this kind's key; distinct from every other derivation of the store key.
    fn hkdf_info(self) -> &'static [u8] {
        match self {
            BlindIndexKind::PhoneFull => b"frontdesk blind-index v1 phone-full",
            BlindIndexKind::PhoneLast4 => b"frontdesk blind-index v1 phone-last4",
            BlindIndexKind::Email => b"frontdesk blind-index v1 email",
            BlindIndexKind::Plate => b"frontdesk blind-index v1 plate",
            BlindIndexKind::MemberNumber => b"frontdesk blind-index v1 member-number",
            BlindIndexKind::PlateTail => b"frontdesk blind-index v1 plate-tail",
        }
    }
}

/// A keyed hash of a lookup value. Not the value, but equal values give equal tokens, so it is
/// still treated as sensitive: Debug shows only a short prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlindToken([u8; 32]);

impl BlindToken {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Debug for BlindToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BlindToken({}…)",
            data_encoding::HEXLOWER.encode(&self.0[..4])
        )
    }
}

/// The per-kind HMAC keys, derived once from the store key at unlock.
pub struct BlindIndexer {
    keys: [Key256; BlindIndexKind::ALL.len()],
}

impl BlindIndexer {
    pub fn from_store_key(store_key: &StoreKey) -> Self {
        let store = store_key.key();
        Self {
            keys: BlindIndexKind::ALL.map(|kind| store.derive_subkey(kind.hkdf_info())),
        }
    }

    /// `normalized` must already be in the kind's canonical form (digits only, lower-cased
    /// email, upper-cased plate without separators, …): tokens of different spellings differ.
    pub fn token(&self, kind: BlindIndexKind, normalized: &str) -> BlindToken {
        let key = &self.keys[kind.position()];
        // HMAC accepts keys of any length, so keying with 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose())
            .expect("HMAC-SHA256 accepts a 32-byte key");
        mac.update(normalized.as_bytes());
        BlindToken(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for BlindIndexer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexer(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn indexer(byte: u8) -> BlindIndexer {
        BlindIndexer::from_store_key(&StoreKey::from_bytes(Zeroizing::new([byte; 32])))
    }

    #[test]
    fn tokens_are_deterministic() {
        let a = indexer(1);
        let b = indexer(1);
        assert_eq!(
            a.token(BlindIndexKind::PhoneFull, "8613812345678"),
            b.token(BlindIndexKind::PhoneFull, "8613812345678")
        );
        assert_ne!(
            a.token(BlindIndexKind::PhoneFull, "8613812345678"),
            a.token(BlindIndexKind::PhoneFull, "8613812345679")
        );
    }

    #[test]
    fn kinds_give_different_tokens_for_the_same_value() {
        let indexer = indexer(1);
        let tokens: std::collections::HashSet<_> = BlindIndexKind::ALL
            .iter()
            .map(|&kind| indexer.token(kind, "5678"))
            .collect();
        assert_eq!(tokens.len(), BlindIndexKind::ALL.len());
    }

    #[test]
    fn store_keys_give_different_tokens() {
        assert_ne!(
            indexer(1).token(BlindIndexKind::Plate, "苏A12345"),
            indexer(2).token(BlindIndexKind::Plate, "苏A12345")
        );
    }

    #[test]
    fn token_is_not_a_plain_hash_of_the_store_key_material() {
        // The blind key is derived, not the store key itself.
        let store = StoreKey::from_bytes(Zeroizing::new([1; 32]));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[1; 32]).unwrap();
        mac.update(b"5678");
        let direct: [u8; 32] = mac.finalize().into_bytes().into();
        let token = BlindIndexer::from_store_key(&store).token(BlindIndexKind::PhoneLast4, "5678");
        assert_ne!(token.to_bytes(), direct);
    }

    #[test]
    fn debug_is_terse() {
        let token = indexer(1).token(BlindIndexKind::Email, "jane@example.com");
        let text = format!("{token:?}");
        let full_hex = data_encoding::HEXLOWER.encode(token.as_bytes());
        assert!(text.len() < 32, "{text}");
        assert!(!text.contains(&full_hex[8..16]));
        assert_eq!(format!("{:?}", indexer(1)), "BlindIndexer(redacted)");
    }
}
