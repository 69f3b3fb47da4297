//! The key that authenticates the erasure ledger kept beside backups: derived from the store
//! key (HKDF, its own purpose), so only someone who can open the shop's backups can write a
//! ledger they accept, and nobody can edit one to un-erase a member without being noticed.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::vault::keys::{Key256, StoreKey};

const LEDGER_KEY_INFO: &[u8] = b"frontdesk erasure ledger v1";
/// What the key names the shop by: the tag of this constant, so a ledger made under another
/// store key is recognised as another shop's rather than as an altered one.
const SHOP_ID_INPUT: &[u8] = b"shop id";

pub struct LedgerKey(Key256);

impl LedgerKey {
    pub fn derive(store_key: &StoreKey) -> Self {
        Self(store_key.key().derive_subkey(LEDGER_KEY_INFO))
    }

    /// HMAC-SHA256 of `bytes` under the ledger key.
    pub fn tag(&self, bytes: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so keying with 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose())
            .expect("HMAC-SHA256 accepts a 32-byte key");
        mac.update(bytes);
        mac.finalize().into_bytes().into()
    }

    /// A public name for the store key (it reveals nothing about the key).
    pub fn shop_id(&self) -> [u8; 32] {
        self.tag(SHOP_ID_INPUT)
    }

    /// Whether `tag` is the tag of `bytes`, compared in constant time.
    pub fn verify(&self, bytes: &[u8], tag: &[u8; 32]) -> bool {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose())
            .expect("HMAC-SHA256 accepts a 32-byte key");
        mac.update(bytes);
        mac.verify_slice(tag).is_ok()
    }
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerKey(redacted)")
    }
}
