//! The vault (SPEC §4): key types, field encryption, key wrapping, blind indexes and the
//! in-memory name index. Pure cryptography over bytes; storage and password hashing live elsewhere.

pub mod backup_stream;
pub mod blind_index;
pub mod keyring;
pub mod keys;
pub mod ledger_key;
pub mod name_index;
pub mod name_snapshot;
pub mod pseudonym;
pub mod sealed;

pub use blind_index::{BlindIndexKind, BlindIndexer, BlindToken};
pub use keyring::{
    UnlockedVault, WrapContext, unwrap_member_key, unwrap_store_key, wrap_member_key,
    wrap_store_key,
};
pub use keys::{Key256, KeyEncryptionKey, MemberKey, StoreKey};
pub use ledger_key::LedgerKey;
pub use name_index::NameIndex;
pub use pseudonym::{ExportSalt, Pseudonymiser};
pub use sealed::{
    FieldContext, Sealed, open_field, open_field_string, open_with, seal_field, seal_with,
};

use crate::entropy::EntropyError;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("could not decrypt: wrong key or the data was altered")]
    Decrypt,
    #[error("the password or recovery code does not unlock this store; check it and try again")]
    WrongCredential,
    #[error(
        "could not encrypt {len} bytes: the data is too large to seal; nothing was saved, shorten it and try again"
    )]
    Encrypt { len: usize },
    #[error(
        "the decrypted field is not valid text; the record may be damaged, restore it from a backup"
    )]
    NotText,
    #[error(
        "sealed data is malformed ({reason}); the record may be damaged, restore it from a backup"
    )]
    Malformed { reason: &'static str },
    #[error(
        "the in-memory name index is full (over 4 GiB of name text or 4 billion entries); search by phone, plate or member number instead"
    )]
    NameIndexFull,
    #[error(transparent)]
    Entropy(#[from] EntropyError),
}
