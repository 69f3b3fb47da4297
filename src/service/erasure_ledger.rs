//! The erasure ledger beside the backups: `frontdesk-erasures.ledger` in each folder a backup
//! is written to, holding every erasure the shop has made (member ids and times, nothing
//! else), authenticated with a key derived from the store key. Each backup merges the store's
//! ledger into the file (never dropping a line already there); a restore reads it with the
//! ledger inside the backup and erases again every member erased after the backup was made —
//! also when the store itself is lost and only the backup folder remains.
//!
//! File layout: `"FDERASED"`, format (u16 LE), the shop id (32 bytes: a tag naming the store
//! key, so another shop's ledger is told apart from an altered one), the postcard-encoded
//! entries with their length (u32 LE), and an HMAC-SHA256 of everything before it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ServiceError;
use super::backup::BackupError;
use crate::ids::RecordId;
use crate::private_file::{self, Existing, PrivateFile};
use crate::store::records::ErasureRecord;
use crate::vault::{LedgerKey, StoreKey};

/// The ledger's file name, in the backup's folder.
pub const ERASURE_LEDGER_FILE: &str = "frontdesk-erasures.ledger";

const MAGIC: &[u8; 8] = b"FDERASED";
const FORMAT: u16 = 1;
const TAG_LEN: usize = 32;
/// A shop erases a handful of members a year; a ledger beyond this is not one.
const MAX_ENTRIES_LEN: u32 = 64 * 1024 * 1024;

/// The ledger file beside a backup at `backup`.
pub fn ledger_path_beside(backup: &Path) -> PathBuf {
    let folder = match backup.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    folder.join(ERASURE_LEDGER_FILE)
}

/// What the folder's ledger holds for this shop.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FolderLedger {
    Missing,
    /// Written under another store key: another shop's backups share the folder.
    OtherShop,
    Ours(Vec<ErasureRecord>),
}

/// Reads the ledger at `path`. An altered or damaged file is an error: a restore must not go
/// on as if erasures it cannot read had never happened.
pub(super) fn read_ledger(path: &Path, key: &LedgerKey) -> Result<FolderLedger, ServiceError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FolderLedger::Missing);
        }
        Err(err) => return Err(BackupError::io_error("read the erasure ledger")(err).into()),
    };
    let altered = || -> ServiceError { BackupError::LedgerAltered(path.to_path_buf()).into() };
    let fixed = MAGIC.len() + 2 + 32 + 4;
    if bytes.len() < fixed + TAG_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err(altered());
    }
    let format = u16::from_le_bytes([bytes[8], bytes[9]]);
    if format != FORMAT {
        return Err(altered());
    }
    let shop: [u8; 32] = bytes[10..42].try_into().map_err(|_| altered())?;
    if shop != key.shop_id() {
        return Ok(FolderLedger::OtherShop);
    }
    let len = u32::from_le_bytes([bytes[42], bytes[43], bytes[44], bytes[45]]);
    if len > MAX_ENTRIES_LEN || bytes.len() != fixed + len as usize + TAG_LEN {
        return Err(altered());
    }
    let (signed, tag) = bytes.split_at(fixed + len as usize);
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| altered())?;
    if !key.verify(signed, &tag) {
        return Err(altered());
    }
    let entries: Vec<ErasureRecord> =
        postcard::from_bytes(&signed[fixed..]).map_err(|_| altered())?;
    Ok(FolderLedger::Ours(entries))
}

fn encode(entries: &[ErasureRecord], key: &LedgerKey) -> Result<Vec<u8>, ServiceError> {
    let body = postcard::to_stdvec(entries)
        .map_err(|_| BackupError::Damaged("the erasure ledger could not be encoded"))?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|len| *len <= MAX_ENTRIES_LEN)
        .ok_or(BackupError::Damaged("the erasure ledger is too large"))?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + 2 + 32 + 4 + body.len() + TAG_LEN);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&key.shop_id());
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&body);
    let tag = key.tag(&bytes);
    bytes.extend_from_slice(&tag);
    Ok(bytes)
}

/// Every member in `a` or `b` once, with the earliest time either gives.
pub(super) fn merge(a: &[ErasureRecord], b: &[ErasureRecord]) -> Vec<ErasureRecord> {
    let mut by_member: BTreeMap<RecordId, ErasureRecord> = BTreeMap::new();
    for entry in a.iter().chain(b) {
        by_member
            .entry(entry.member)
            .and_modify(|kept| {
                if entry.at < kept.at {
                    kept.at = entry.at;
                }
            })
            .or_insert(*entry);
    }
    let mut merged: Vec<ErasureRecord> = by_member.into_values().collect();
    merged.sort_by_key(|entry| (entry.at, entry.member));
    merged
}

/// Refuses a folder whose ledger is another shop's or was altered, before anything is written
/// there: a large backup should not be written only to be refused at its last step.
pub(super) fn check_beside(backup: &Path, store_key: &StoreKey) -> Result<(), ServiceError> {
    let path = ledger_path_beside(backup);
    match read_ledger(&path, &LedgerKey::derive(store_key))? {
        FolderLedger::OtherShop => Err(BackupError::LedgerOfAnotherShop(path).into()),
        FolderLedger::Missing | FolderLedger::Ours(_) => Ok(()),
    }
}

/// Merges `entries` into the ledger beside `backup` (creating it, 0600) and returns how many
/// erasures it now holds. A ledger of another shop, or one that was altered, is left alone
/// and the backup's folder is refused for it.
pub(super) fn write_beside(
    backup: &Path,
    store_key: &StoreKey,
    entries: &[ErasureRecord],
) -> Result<usize, ServiceError> {
    let key = LedgerKey::derive(store_key);
    let path = ledger_path_beside(backup);
    let merged = match read_ledger(&path, &key)? {
        FolderLedger::Missing => merge(entries, &[]),
        FolderLedger::Ours(existing) => merge(&existing, entries),
        FolderLedger::OtherShop => {
            return Err(BackupError::LedgerOfAnotherShop(path).into());
        }
    };
    let bytes = encode(&merged, &key)?;
    let mut file = PrivateFile::create(&path, Existing::Replace)?;
    file.write_all(&bytes).map_err(|err| {
        ServiceError::File(private_file::PrivateFileError::Io {
            doing: "write",
            path: file.partial().to_path_buf(),
            reason: err.to_string(),
        })
    })?;
    file.commit()?;
    Ok(merged.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use zeroize::Zeroizing;

    fn key(byte: u8) -> StoreKey {
        StoreKey::from_bytes(Zeroizing::new([byte; 32]))
    }

    fn entry(member: u128, seconds: i64) -> ErasureRecord {
        ErasureRecord {
            member: RecordId::from_u128(member),
            at: DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap(),
        }
    }

    #[test]
    fn entries_merge_into_the_folder_ledger_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("a.fdbackup");
        assert_eq!(write_beside(&backup, &key(1), &[entry(1, 0)]).unwrap(), 1);
        assert_eq!(
            write_beside(&backup, &key(1), &[entry(2, 5), entry(1, 9)]).unwrap(),
            2
        );
        let read = read_ledger(&ledger_path_beside(&backup), &LedgerKey::derive(&key(1)));
        assert_eq!(
            read.unwrap(),
            FolderLedger::Ours(vec![entry(1, 0), entry(2, 5)])
        );
    }

    #[test]
    fn an_altered_ledger_is_refused_and_another_shops_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("a.fdbackup");
        write_beside(&backup, &key(1), &[entry(1, 0), entry(2, 1)]).unwrap();
        let path = ledger_path_beside(&backup);
        assert_eq!(
            read_ledger(&path, &LedgerKey::derive(&key(2))).unwrap(),
            FolderLedger::OtherShop
        );
        let original = std::fs::read(&path).unwrap();
        for position in [9, 50, original.len() - 40, original.len() - 1] {
            let mut bytes = original.clone();
            bytes[position] ^= 1;
            std::fs::write(&path, &bytes).unwrap();
            let read = read_ledger(&path, &LedgerKey::derive(&key(1)));
            assert!(
                matches!(
                    read,
                    Err(ServiceError::Backup(BackupError::LedgerAltered(_)))
                ),
                "byte {position}: {read:?}"
            );
        }
        // Dropping an entry (to un-erase someone) is an alteration too.
        std::fs::write(&path, &original[..original.len() - 1]).unwrap();
        assert!(read_ledger(&path, &LedgerKey::derive(&key(1))).is_err());
    }
}
