//! 256-bit secret keys and the role newtypes that keep store, member and key-encryption keys
//! from being mixed up. Keys live on the heap and are zeroized when dropped.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::entropy::Entropy;
use crate::vault::VaultError;

/// A 256-bit secret key. Boxed so that moving a key around copies a pointer, not the secret.
pub struct Key256(Box<Zeroizing<[u8; 32]>>);

impl Key256 {
    pub fn generate(entropy: &dyn Entropy) -> Result<Self, VaultError> {
        let mut bytes = Box::new(Zeroizing::new([0u8; 32]));
        entropy.fill(bytes.as_mut_slice())?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
        let mut boxed = Box::new(Zeroizing::new([0u8; 32]));
        boxed.copy_from_slice(bytes.as_slice());
        Self(boxed)
    }

    /// `None` unless `bytes` is exactly 32 bytes long.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 32 {
            return None;
        }
        let mut boxed = Box::new(Zeroizing::new([0u8; 32]));
        boxed.copy_from_slice(bytes);
        Some(Self(boxed))
    }

    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// HKDF-SHA256 subkey for one purpose; `info` must be unique to that purpose.
    pub(crate) fn derive_subkey(&self, info: &[u8]) -> Key256 {
        let hkdf = Hkdf::<Sha256>::new(None, self.expose());
        let mut okm = Box::new(Zeroizing::new([0u8; 32]));
        // 32 bytes is far below HKDF-SHA256's 8160-byte output limit, so this cannot fail.
        hkdf.expand(info, okm.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Key256(okm)
    }

    /// HKDF-SHA256 subkey for one purpose with a per-use `salt` (HKDF's extract salt): the
    /// same parent and purpose under two salts give unrelated keys.
    pub(crate) fn derive_salted_subkey(&self, salt: &[u8], info: &[u8]) -> Key256 {
        let hkdf = Hkdf::<Sha256>::new(Some(salt), self.expose());
        let mut okm = Box::new(Zeroizing::new([0u8; 32]));
        // 32 bytes is far below HKDF-SHA256's 8160-byte output limit, so this cannot fail.
        hkdf.expand(info, okm.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Key256(okm)
    }
}

/// HKDF info of the pseudonymised export's key; the export salt is the HKDF salt.
pub(crate) const PSEUDONYM_HKDF_INFO: &[u8] = b"frontdesk pseudonym v1 member-export";

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key256(redacted)")
    }
}

macro_rules! role_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(Key256);

        impl $name {
            pub fn generate(entropy: &dyn Entropy) -> Result<Self, VaultError> {
                Key256::generate(entropy).map(Self)
            }

            pub fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
                Self(Key256::from_bytes(bytes))
            }

            pub fn from_key(key: Key256) -> Self {
                Self(key)
            }

            pub(crate) fn key(&self) -> &Key256 {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(redacted)"))
            }
        }
    };
}

role_key! {
    /// The one random key of a store: wraps member keys and seeds the blind-index keys.
    StoreKey
}

role_key! {
    /// One member's data key: encrypts that member's personal fields; destroying it erases them.
    MemberKey
}

role_key! {
    /// Derived from a staff password or recovery code; only ever wraps the store key.
    KeyEncryptionKey
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn generated_keys_differ_and_from_bytes_keeps_the_bytes() {
        let entropy = SeededEntropy::new(1);
        let a = Key256::generate(&entropy).unwrap();
        let b = Key256::generate(&entropy).unwrap();
        assert_ne!(a.expose(), b.expose());
        let c = Key256::from_bytes(Zeroizing::new(*a.expose()));
        assert_eq!(a.expose(), c.expose());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = Key256::from_bytes(Zeroizing::new([0xAB; 32]));
        let store = StoreKey::from_bytes(Zeroizing::new([0xAB; 32]));
        let member = MemberKey::from_bytes(Zeroizing::new([0xAB; 32]));
        let kek = KeyEncryptionKey::from_bytes(Zeroizing::new([0xAB; 32]));
        for text in [
            format!("{key:?}"),
            format!("{store:?}"),
            format!("{member:?}"),
            format!("{kek:?}"),
        ] {
            assert!(text.ends_with("(redacted)"), "{text}");
            assert!(!text.to_lowercase().contains("ab"), "{text}");
            assert!(!text.contains("171"), "{text}");
        }
        assert_eq!(format!("{store:?}"), "StoreKey(redacted)");
    }

    #[test]
    fn subkeys_depend_on_purpose_and_parent() {
        let parent = Key256::from_bytes(Zeroizing::new([1; 32]));
        let other = Key256::from_bytes(Zeroizing::new([2; 32]));
        let a = parent.derive_subkey(b"purpose a");
        assert_eq!(a.expose(), parent.derive_subkey(b"purpose a").expose());
        assert_ne!(a.expose(), parent.derive_subkey(b"purpose b").expose());
        assert_ne!(a.expose(), other.derive_subkey(b"purpose a").expose());
        assert_ne!(a.expose(), parent.expose());
    }

    #[test]
    fn salted_subkeys_depend_on_the_salt() {
        let parent = Key256::from_bytes(Zeroizing::new([1; 32]));
        let a = parent.derive_salted_subkey(b"salt one", PSEUDONYM_HKDF_INFO);
        let again = parent.derive_salted_subkey(b"salt one", PSEUDONYM_HKDF_INFO);
        let b = parent.derive_salted_subkey(b"salt two", PSEUDONYM_HKDF_INFO);
        assert_eq!(a.expose(), again.expose());
        assert_ne!(a.expose(), b.expose());
        assert_ne!(
            a.expose(),
            parent.derive_subkey(PSEUDONYM_HKDF_INFO).expose()
        );
    }
}
