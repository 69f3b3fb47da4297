//! Key wrapping: the store key under each staff credential, member keys under a subkey of the
//! store key, each wrap bound to its owner so it cannot be replayed for someone else.

use std::fmt;

use zeroize::Zeroizing;

use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::vault::VaultError;
use crate::vault::blind_index::{BlindIndexKind, BlindIndexer, BlindToken};
use crate::vault::keys::{Key256, KeyEncryptionKey, MemberKey, StoreKey};
use crate::vault::sealed::{FieldContext, Sealed, into_text, open_with, seal_with};

const STORE_KEY_WRAP_DOMAIN: &[u8] = b"frontdesk-store-key-wrap-v1";
const MEMBER_KEY_WRAP_DOMAIN: &[u8] = b"frontdesk-member-key-wrap-v1";
const MEMBER_WRAP_HKDF_INFO: &[u8] = b"frontdesk member-key-wrap v1";

/// Which credential a wrapped store key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrapContext {
    Staff { staff_id: RecordId },
    RecoveryCode { staff_id: RecordId, index: u8 },
}

impl WrapContext {
    fn associated_data(self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(STORE_KEY_WRAP_DOMAIN.len() + 18);
        aad.extend_from_slice(STORE_KEY_WRAP_DOMAIN);
        match self {
            WrapContext::Staff { staff_id } => {
                aad.push(1);
                aad.extend_from_slice(&staff_id.to_bytes());
            }
            WrapContext::RecoveryCode { staff_id, index } => {
                aad.push(2);
                aad.extend_from_slice(&staff_id.to_bytes());
                aad.push(index);
            }
        }
        aad
    }
}

fn member_wrap_aad(member_id: RecordId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(MEMBER_KEY_WRAP_DOMAIN.len() + 16);
    aad.extend_from_slice(MEMBER_KEY_WRAP_DOMAIN);
    aad.extend_from_slice(&member_id.to_bytes());
    aad
}

fn key_from_plaintext(
    plaintext: Zeroizing<Vec<u8>>,
    error: VaultError,
) -> Result<Key256, VaultError> {
    Key256::from_slice(&plaintext).ok_or(error)
}

pub fn wrap_store_key(
    kek: &KeyEncryptionKey,
    store_key: &StoreKey,
    context: WrapContext,
    entropy: &dyn Entropy,
) -> Result<Sealed, VaultError> {
    seal_with(
        kek.key(),
        &context.associated_data(),
        store_key.key().expose(),
        entropy,
    )
}

/// Fails with [`VaultError::WrongCredential`] for a wrong key, a wrap made for another
/// credential, or an altered wrap: the caller cannot (and should not) tell these apart.
pub fn unwrap_store_key(
    kek: &KeyEncryptionKey,
    wrapped: &Sealed,
    context: WrapContext,
) -> Result<StoreKey, VaultError> {
    let plaintext = open_with(kek.key(), &context.associated_data(), wrapped)
        .map_err(|_| VaultError::WrongCredential)?;
    key_from_plaintext(plaintext, VaultError::WrongCredential).map(StoreKey::from_key)
}

fn member_wrap_key(store_key: &StoreKey) -> Key256 {
    store_key.key().derive_subkey(MEMBER_WRAP_HKDF_INFO)
}

fn wrap_member_key_with(
    wrap_key: &Key256,
    member_key: &MemberKey,
    member_id: RecordId,
    entropy: &dyn Entropy,
) -> Result<Sealed, VaultError> {
    seal_with(
        wrap_key,
        &member_wrap_aad(member_id),
        member_key.key().expose(),
        entropy,
    )
}

fn unwrap_member_key_with(
    wrap_key: &Key256,
    wrapped: &Sealed,
    member_id: RecordId,
) -> Result<MemberKey, VaultError> {
    let plaintext = open_with(wrap_key, &member_wrap_aad(member_id), wrapped)?;
    key_from_plaintext(plaintext, VaultError::Decrypt).map(MemberKey::from_key)
}

/// Derives the member-wrap key on every call; prefer [`UnlockedVault::wrap_member_key`].
pub fn wrap_member_key(
    store_key: &StoreKey,
    member_key: &MemberKey,
    member_id: RecordId,
    entropy: &dyn Entropy,
) -> Result<Sealed, VaultError> {
    wrap_member_key_with(&member_wrap_key(store_key), member_key, member_id, entropy)
}

/// Derives the member-wrap key on every call; prefer [`UnlockedVault::unwrap_member_key`].
pub fn unwrap_member_key(
    store_key: &StoreKey,
    wrapped: &Sealed,
    member_id: RecordId,
) -> Result<MemberKey, VaultError> {
    unwrap_member_key_with(&member_wrap_key(store_key), wrapped, member_id)
}

/// The store key and everything derived from it, held for as long as the store is unlocked.
/// Shared across sessions (it is `Send + Sync`); dropping it zeroizes every key.
pub struct UnlockedVault {
    store_key: StoreKey,
    member_wrap_key: Key256,
    staff_secret_key: Key256,
    operational_text_key: Key256,
    name_snapshot_key: Key256,
    blind: BlindIndexer,
}

/// HKDF info for the key that seals free text staff write about the shop's operations
/// (why a booking was cancelled), which may name a customer.
const OPERATIONAL_TEXT_INFO: &[u8] = b"frontdesk operational-text v1";

/// HKDF info for the key that seals staff TOTP secrets; distinct from every other derivation.
const STAFF_SECRET_INFO: &[u8] = b"frontdesk staff-secret v1";

fn staff_secret_aad(staff_id: RecordId) -> Vec<u8> {
    let mut aad = b"frontdesk-staff-totp-v1".to_vec();
    aad.extend_from_slice(&staff_id.to_bytes());
    aad
}

impl UnlockedVault {
    pub fn new(store_key: StoreKey) -> Self {
        Self {
            member_wrap_key: member_wrap_key(&store_key),
            staff_secret_key: store_key.key().derive_subkey(STAFF_SECRET_INFO),
            operational_text_key: store_key.key().derive_subkey(OPERATIONAL_TEXT_INFO),
            name_snapshot_key: crate::vault::name_snapshot::derive_key(&store_key),
            blind: BlindIndexer::from_store_key(&store_key),
            store_key,
        }
    }

    /// For wrapping the store key under a new staff credential.
    pub fn store_key(&self) -> &StoreKey {
        &self.store_key
    }

    pub fn blind_indexer(&self) -> &BlindIndexer {
        &self.blind
    }

    pub fn wrap_member_key(
        &self,
        member_key: &MemberKey,
        member_id: RecordId,
        entropy: &dyn Entropy,
    ) -> Result<Sealed, VaultError> {
        wrap_member_key_with(&self.member_wrap_key, member_key, member_id, entropy)
    }

    pub fn unwrap_member_key(
        &self,
        wrapped: &Sealed,
        member_id: RecordId,
    ) -> Result<MemberKey, VaultError> {
        unwrap_member_key_with(&self.member_wrap_key, wrapped, member_id)
    }

    /// Seals the saved name index in chunks (see [`crate::vault::name_snapshot`]).
    pub fn seal_name_snapshot(
        &self,
        plaintext: &[u8],
        entropy: &dyn Entropy,
    ) -> Result<Vec<Vec<u8>>, VaultError> {
        crate::vault::name_snapshot::seal(&self.name_snapshot_key, plaintext, entropy)
    }

    /// Opens a saved name index of `count` chunks fetched by `chunk` (numbered from 1).
    pub fn open_name_snapshot(
        &self,
        count: u32,
        plaintext_len: u64,
        chunk: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        crate::vault::name_snapshot::open(&self.name_snapshot_key, count, plaintext_len, chunk)
    }

    pub fn blind_index(&self, kind: BlindIndexKind, normalized: &str) -> BlindToken {
        self.blind.token(kind, normalized)
    }

    /// Seals a staff member's TOTP secret. It can only be checked once the store is
    /// unlocked, so a copied file gives an attacker neither passwords nor second factors.
    pub fn seal_staff_secret(
        &self,
        staff_id: RecordId,
        secret: &[u8],
        entropy: &dyn Entropy,
    ) -> Result<Sealed, VaultError> {
        seal_with(
            &self.staff_secret_key,
            &staff_secret_aad(staff_id),
            secret,
            entropy,
        )
    }

    pub fn open_staff_secret(
        &self,
        staff_id: RecordId,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        open_with(&self.staff_secret_key, &staff_secret_aad(staff_id), sealed)
    }
}

impl UnlockedVault {
    /// Seals free text written about the shop's operations, bound to where it is stored.
    pub fn seal_operational_text(
        &self,
        context: FieldContext<'_>,
        text: &str,
        entropy: &dyn Entropy,
    ) -> Result<Sealed, VaultError> {
        seal_with(
            &self.operational_text_key,
            &context.associated_data(),
            text.as_bytes(),
            entropy,
        )
    }

    pub fn open_operational_text(
        &self,
        context: FieldContext<'_>,
        sealed: &Sealed,
    ) -> Result<Zeroizing<String>, VaultError> {
        into_text(open_with(
            &self.operational_text_key,
            &context.associated_data(),
            sealed,
        )?)
    }
}

impl fmt::Debug for UnlockedVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnlockedVault(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    fn staff(n: u128) -> WrapContext {
        WrapContext::Staff {
            staff_id: RecordId::from_u128(n),
        }
    }

    #[test]
    fn store_key_round_trips_through_a_wrap() {
        let entropy = SeededEntropy::new(3);
        let kek = KeyEncryptionKey::generate(&entropy).unwrap();
        let store_key = StoreKey::generate(&entropy).unwrap();
        let wrapped = wrap_store_key(&kek, &store_key, staff(1), &entropy).unwrap();
        let unwrapped = unwrap_store_key(&kek, &wrapped, staff(1)).unwrap();
        assert_eq!(unwrapped.key().expose(), store_key.key().expose());
    }

    #[test]
    fn wrong_kek_cannot_unwrap() {
        let entropy = SeededEntropy::new(3);
        let kek = KeyEncryptionKey::generate(&entropy).unwrap();
        let other = KeyEncryptionKey::generate(&entropy).unwrap();
        let store_key = StoreKey::generate(&entropy).unwrap();
        let wrapped = wrap_store_key(&kek, &store_key, staff(1), &entropy).unwrap();
        assert!(matches!(
            unwrap_store_key(&other, &wrapped, staff(1)),
            Err(VaultError::WrongCredential)
        ));
    }

    #[test]
    fn a_wrap_is_bound_to_its_credential() {
        let entropy = SeededEntropy::new(3);
        let kek = KeyEncryptionKey::generate(&entropy).unwrap();
        let store_key = StoreKey::generate(&entropy).unwrap();
        let wrapped = wrap_store_key(&kek, &store_key, staff(1), &entropy).unwrap();
        let recovery = |staff_id, index| WrapContext::RecoveryCode {
            staff_id: RecordId::from_u128(staff_id),
            index,
        };
        for other in [staff(2), recovery(1, 0), recovery(1, 1)] {
            assert!(matches!(
                unwrap_store_key(&kek, &wrapped, other),
                Err(VaultError::WrongCredential)
            ));
        }
        let code_wrap = wrap_store_key(&kek, &store_key, recovery(1, 3), &entropy).unwrap();
        assert!(unwrap_store_key(&kek, &code_wrap, recovery(1, 3)).is_ok());
        assert!(unwrap_store_key(&kek, &code_wrap, recovery(1, 4)).is_err());
        assert!(unwrap_store_key(&kek, &code_wrap, recovery(2, 3)).is_err());
    }

    #[test]
    fn member_keys_round_trip_and_are_bound_to_their_member() {
        let entropy = SeededEntropy::new(4);
        let store_key = StoreKey::generate(&entropy).unwrap();
        let member_key = MemberKey::generate(&entropy).unwrap();
        let alice = RecordId::from_u128(10);
        let bob = RecordId::from_u128(11);
        let wrapped = wrap_member_key(&store_key, &member_key, alice, &entropy).unwrap();

        let vault = UnlockedVault::new(store_key);
        let unwrapped = vault.unwrap_member_key(&wrapped, alice).unwrap();
        assert_eq!(unwrapped.key().expose(), member_key.key().expose());
        assert!(matches!(
            vault.unwrap_member_key(&wrapped, bob),
            Err(VaultError::Decrypt)
        ));

        let cached = vault.wrap_member_key(&member_key, bob, &entropy).unwrap();
        let again = unwrap_member_key(vault.store_key(), &cached, bob).unwrap();
        assert_eq!(again.key().expose(), member_key.key().expose());
        assert!(unwrap_member_key(vault.store_key(), &cached, alice).is_err());
    }

    #[test]
    fn member_keys_are_not_wrapped_by_the_store_key_directly() {
        let entropy = SeededEntropy::new(5);
        let store_key = StoreKey::generate(&entropy).unwrap();
        let member_key = MemberKey::generate(&entropy).unwrap();
        let member = RecordId::from_u128(10);
        let wrapped = wrap_member_key(&store_key, &member_key, member, &entropy).unwrap();
        assert!(open_with(store_key.key(), &member_wrap_aad(member), &wrapped).is_err());
    }

    #[test]
    fn another_stores_key_cannot_unwrap_member_keys() {
        let entropy = SeededEntropy::new(6);
        let vault = UnlockedVault::new(StoreKey::generate(&entropy).unwrap());
        let other = UnlockedVault::new(StoreKey::generate(&entropy).unwrap());
        let member = RecordId::from_u128(10);
        let wrapped = vault
            .wrap_member_key(&MemberKey::generate(&entropy).unwrap(), member, &entropy)
            .unwrap();
        assert!(other.unwrap_member_key(&wrapped, member).is_err());
    }

    #[test]
    fn unlocked_vault_is_shareable_and_redacted() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UnlockedVault>();
        let vault = UnlockedVault::new(StoreKey::from_bytes(Zeroizing::new([7; 32])));
        assert_eq!(format!("{vault:?}"), "UnlockedVault(redacted)");
        assert_eq!(
            vault.blind_index(BlindIndexKind::PhoneLast4, "5678"),
            BlindIndexer::from_store_key(vault.store_key())
                .token(BlindIndexKind::PhoneLast4, "5678")
        );
    }
}
