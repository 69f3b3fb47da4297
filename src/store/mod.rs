//! The one redb file that holds the shop: opening it safely, the schema, and typed access to
//! its tables inside read and write transactions.

mod codec;
mod error;
mod read_only;
pub mod records;
pub mod schema;
mod snapshot;
mod transactions;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use redb::{ConcurrencyMode, Database, DatabaseError, ReadableDatabase};

pub use codec::decode as decode_record;
pub(crate) use codec::encode as encode_record;
pub use error::StoreError;
pub use read_only::ReadOnlyStore;
pub use snapshot::{RawRow, SnapshotEvent, TableKind, known_tables};
pub use transactions::{AuditStream, ReadAccess, StoreReader, StoreWriter};

/// The store's file name inside the data directory.
pub const STORE_FILE_NAME: &str = "frontdesk.redb";

/// Enough page cache for the hot tables of a large shop while keeping resident memory modest.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

pub struct Store {
    db: Database,
    path: PathBuf,
    sharing: Sharing,
}

/// How this process shares the file with other frontdesk processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The only process with the file open: the counter TUI, one-shot commands.
    Exclusive,
    /// `frontdesk serve` and the commands that run beside it (`backup`, `verify`): redb's
    /// multi-process mode, one write transaction at a time across processes.
    BesideServer,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    pub fn file_in(dir: &Path) -> PathBuf {
        dir.join(STORE_FILE_NAME)
    }

    /// Whether `dir` already holds a store file.
    pub fn exists_in(dir: &Path) -> bool {
        Self::file_in(dir).is_file()
    }

    /// Creates a new, empty store in `dir` (creating the directory, private to this user, if
    /// needed). Refuses to touch a directory that already holds a store.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        ensure_private_dir(dir)?;
        let path = Self::file_in(dir);
        if path.exists() {
            return Err(StoreError::AlreadyInitialised(dir.to_path_buf()));
        }
        let db = builder()
            .create(&path)
            .map_err(|err| open_error(dir, &path, err))?;
        restrict_to_owner(&path)?;
        let store = Store {
            db,
            path,
            sharing: Sharing::Exclusive,
        };
        let tx = store.begin_write_raw()?;
        schema::create_all(&tx)?;
        tx.commit()?;
        Ok(store)
    }

    /// Opens the existing store in `dir` for this process alone, running forward migrations.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(dir, Sharing::Exclusive)
    }

    /// Opens the existing store in `dir` so that `frontdesk serve` and the commands that run
    /// beside it can share it; a process holding it [`Sharing::Exclusive`] keeps them out.
    pub fn open_shared(dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(dir, Sharing::BesideServer)
    }

    fn open_with(dir: &Path, sharing: Sharing) -> Result<Store, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::DataDirMissing(dir.to_path_buf()));
        }
        let path = Self::file_in(dir);
        if !path.is_file() {
            return Err(StoreError::NotInitialised(dir.to_path_buf()));
        }
        let mut builder = builder();
        if sharing == Sharing::BesideServer {
            builder.set_concurrency_mode(ConcurrencyMode::MultiWriter);
        }
        let db = builder
            .open(&path)
            .map_err(|err| open_error(dir, &path, err))?;
        let store = Store { db, path, sharing };
        let tx = store.begin_write_raw()?;
        let found = schema::migrate(&tx)?;
        if found == schema::SCHEMA_VERSION {
            tx.abort()?;
        } else {
            tx.commit()?;
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sharing(&self) -> Sharing {
        self.sharing
    }

    pub fn read(&self) -> Result<StoreReader, StoreError> {
        Ok(StoreReader::new(self.db.begin_read()?))
    }

    /// A write transaction. Nothing is visible to others until [`StoreWriter::commit`].
    pub fn write(&self) -> Result<StoreWriter, StoreError> {
        Ok(StoreWriter::new(self.begin_write_raw()?))
    }

    fn begin_write_raw(&self) -> Result<redb::WriteTransaction, StoreError> {
        let mut tx = self.db.begin_write()?;
        // Records allocator state with each commit so reopening after a power cut is quick.
        tx.set_quick_repair(true);
        Ok(tx)
    }

    /// Rewrites the file without free pages, so deleted ciphertext is not left behind.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        while self.db.compact()? {}
        Ok(())
    }

    /// redb's own structural check of the file. It repairs as it goes, so it needs the file
    /// to itself: a shared store is refused with [`StoreError::InUse`].
    pub fn check_integrity(&mut self) -> Result<bool, StoreError> {
        if self.sharing == Sharing::BesideServer {
            return Err(StoreError::InUse(self.path.clone()));
        }
        self.db
            .check_integrity()
            .map_err(|err| StoreError::from(redb::Error::from(err)))
    }
}

fn builder() -> redb::Builder {
    let mut builder = Database::builder();
    builder.set_cache_size(CACHE_BYTES);
    builder
}

fn open_error(dir: &Path, path: &Path, err: DatabaseError) -> StoreError {
    match err {
        DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(path.to_path_buf()),
        DatabaseError::Storage(redb::StorageError::Io(io))
            if matches!(
                io.kind(),
                ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            StoreError::DataDirNotWritable {
                path: dir.to_path_buf(),
                reason: io.to_string(),
            }
        }
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == ErrorKind::WouldBlock =>
        {
            StoreError::InUse(path.to_path_buf())
        }
        DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => {
            StoreError::Corrupt(detail)
        }
        DatabaseError::UpgradeRequired(_) => StoreError::Corrupt(
            "the file is not a frontdesk store or uses an unknown file format".to_owned(),
        ),
        other => {
            let text = other.to_string();
            if text.contains("invalid") || text.contains("magic") || text.contains("header") {
                StoreError::Corrupt(text)
            } else {
                StoreError::Io(text)
            }
        }
    }
}

/// Creates `dir` (private to this user) if needed and checks it is a writable directory.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    let not_writable = |err: std::io::Error| StoreError::DataDirNotWritable {
        path: dir.to_path_buf(),
        reason: err.to_string(),
    };
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(not_writable)?;
        restrict_to_owner(dir)?;
    }
    if !dir.is_dir() {
        return Err(StoreError::DataDirNotWritable {
            path: dir.to_path_buf(),
            reason: "it is not a directory".to_owned(),
        });
    }
    let probe = dir.join(".frontdesk-write-test");
    fs::write(&probe, b"").map_err(not_writable)?;
    fs::remove_file(&probe).map_err(not_writable)?;
    Ok(())
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|err| {
        StoreError::DataDirNotWritable {
            path: path.to_path_buf(),
            reason: err.to_string(),
        }
    })
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    /// The schema version a file records, read the way `open` reads it.
    fn stored_version(tx: &redb::ReadTransaction) -> Option<u32> {
        tx.open_table(schema::META)
            .unwrap()
            .get(schema::META_SCHEMA_VERSION)
            .unwrap()
            .map(|v| schema::read_version(v.value()).unwrap())
    }

    #[test]
    fn a_schema_1_file_is_migrated_forward_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        // Make the file look like schema 1: no front-desk tables, version 1.
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            tx.delete_table(schema::BOOKINGS).unwrap();
            tx.delete_table(schema::LEDGER).unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 1u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        drop(Store::open(dir.path()).unwrap());
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_read().unwrap();
            let version = stored_version(&tx);
            assert_eq!(version, Some(schema::SCHEMA_VERSION));
            assert!(tx.open_table(schema::BOOKINGS).is_ok());
            assert!(tx.open_table(schema::LEDGER).is_ok());
            drop(tx);
            let tx = db.begin_write().unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 99u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        let newer = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(newer, StoreError::NewerVersion { found: 99, .. }),
            "{newer}"
        );
    }

    #[test]
    fn a_schema_2_file_gains_the_sales_and_consent_tables_and_keeps_its_records_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let visit_bytes: &[u8] = b"an already stored visit";
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            assert!(tx.delete_table(schema::SALES).unwrap());
            assert!(tx.delete_table(schema::CONSENTS).unwrap());
            tx.open_table(schema::VISITS)
                .unwrap()
                .insert(7u128, visit_bytes)
                .unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 2u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        drop(Store::open(dir.path()).unwrap());
        let db = Database::open(Store::file_in(dir.path())).unwrap();
        let tx = db.begin_read().unwrap();
        let version = stored_version(&tx);
        assert_eq!(version, Some(schema::SCHEMA_VERSION));
        assert!(tx.open_table(schema::SALES).is_ok());
        assert!(tx.open_table(schema::CONSENTS).is_ok());
        let visits = tx.open_table(schema::VISITS).unwrap();
        assert_eq!(visits.get(7u128).unwrap().unwrap().value(), visit_bytes);
    }

    #[test]
    fn a_schema_3_file_gains_the_staff_ssh_key_table_and_keeps_its_staff_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let staff_bytes: &[u8] = b"an already stored staff record";
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            assert!(tx.delete_table(schema::STAFF_SSH_KEYS).unwrap());
            tx.open_table(schema::STAFF)
                .unwrap()
                .insert(9u128, staff_bytes)
                .unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 3u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        drop(Store::open(dir.path()).unwrap());
        let db = Database::open(Store::file_in(dir.path())).unwrap();
        let tx = db.begin_read().unwrap();
        let version = stored_version(&tx);
        assert_eq!(version, Some(4));
        let keys = tx.open_table(schema::STAFF_SSH_KEYS).unwrap();
        assert!(redb::ReadableTableMetadata::is_empty(&keys).unwrap());
        let staff = tx.open_table(schema::STAFF).unwrap();
        assert_eq!(staff.get(9u128).unwrap().unwrap().value(), staff_bytes);
    }
}
