//! The one redb file that holds the shop: opening it safely, the schema, and typed access to
//! its tables inside read and write transactions.

pub mod alerts;
mod codec;
pub mod daily_totals;
mod error;
mod file;
mod legacy;
mod name_snapshot;
pub mod postgres;
mod read_only;
pub mod records;
pub mod schema;
mod snapshot;
#[doc(hidden)]
pub mod testing;
mod transactions;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, TryLockError};

use redb::{ConcurrencyMode, Database, DatabaseError, ReadableDatabase, StorageBackend};

use file::{FileAccess, FileHealth};
use postgres::{ChangeHandler, ConnectSettings, PgStore};

pub use codec::decode as decode_record;
pub use codec::encode as encode_record;
pub use error::StoreError;
pub use name_snapshot::NameSnapshotHeader;
pub use postgres::{ChangeNotice, names_postgres};
pub use read_only::ReadOnlyStore;
pub use snapshot::{RawRow, SnapshotEvent, TableKind, known_tables};
pub use transactions::{
    AuditStream, FIRST_SITE, NewMembers, ReadAccess, StoreReader, StoreWriter, receipt_key,
};

/// The store's file name inside the data directory.
pub const STORE_FILE_NAME: &str = "frontdesk.redb";

/// Enough page cache for the hot tables of a large shop while keeping resident memory modest.
/// Unlock no longer reads every member (it loads the saved name index), so the cache holds
/// the working set rather than a full scan. Measured at 1M members after unlock: 150 MB
/// resident with 64 MiB, 203 MB with 128 MiB (`benches/demo_store.rs`).
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// How often one operation tries to reopen a failed store while other threads are starting
/// transactions, before it reports the failure and leaves the reopen to the next operation.
const REOPEN_ATTEMPTS: usize = 16;

/// The redb file engine: one shop's store in one file.
pub struct FileStore {
    live: RwLock<Live>,
    path: PathBuf,
    sharing: Sharing,
    access: FileAccess,
}

/// The open database and what its file has been through. After a failed read or write redb
/// refuses everything until the database is reopened, so the next operation reopens it.
struct Live {
    /// `None` after a failed reopen: the next operation tries again.
    db: Option<Database>,
    health: Arc<FileHealth>,
}

impl Live {
    fn usable(&self) -> Option<&Database> {
        self.db.as_ref().filter(|_| self.health.failure().is_none())
    }

    /// Why the database cannot be used now.
    fn refusal(&self) -> StoreError {
        self.health
            .failure()
            .map(|failure| failure.to_error())
            .unwrap_or_else(not_reopened)
    }
}

fn not_reopened() -> StoreError {
    StoreError::StorageFailed("the store could not be opened again".to_owned())
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

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl FileStore {
    pub fn file_in(dir: &Path) -> PathBuf {
        dir.join(STORE_FILE_NAME)
    }

    /// Whether `dir` already holds a store file.
    pub fn exists_in(dir: &Path) -> bool {
        Self::file_in(dir).is_file()
    }

    /// Creates a new, empty store in `dir` (creating the directory, private to this user, if
    /// needed). Refuses to touch a directory that already holds a store.
    pub fn create(dir: &Path) -> Result<FileStore, StoreError> {
        Self::create_with(dir, FileAccess::Plain)
    }

    /// [`Store::create`] on a backend the caller makes (a new one for each reopen), for tests
    /// that make the disk fail; see [`testing::DiskSwitch`].
    #[doc(hidden)]
    pub fn create_with_backend(
        dir: &Path,
        backends: impl Fn(&Path) -> Result<Box<dyn StorageBackend>, DatabaseError>
        + Send
        + Sync
        + 'static,
    ) -> Result<FileStore, StoreError> {
        Self::create_with(dir, FileAccess::Custom(Box::new(backends)))
    }

    fn create_with(dir: &Path, access: FileAccess) -> Result<FileStore, StoreError> {
        ensure_private_dir(dir)?;
        let path = Self::file_in(dir);
        if path.exists() {
            return Err(StoreError::AlreadyInitialised(dir.to_path_buf()));
        }
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|err| open_error(dir, &path, err.into()))?;
        restrict_to_owner(&path)?;
        let live = open_database(&access, dir, &path, Sharing::Exclusive, Emptiness::Allowed)?;
        let store = FileStore {
            live: RwLock::new(live),
            path,
            sharing: Sharing::Exclusive,
            access,
        };
        let tx = store.begin_write_raw()?;
        schema::create_all(&tx)?;
        tx.commit()?;
        Ok(store)
    }

    /// Opens the existing store in `dir` for this process alone, running forward migrations.
    pub fn open(dir: &Path) -> Result<FileStore, StoreError> {
        Self::open_with(dir, Sharing::Exclusive)
    }

    /// Opens the existing store in `dir` so that `frontdesk serve` and the commands that run
    /// beside it can share it; a process holding it [`Sharing::Exclusive`] keeps them out.
    pub fn open_shared(dir: &Path) -> Result<FileStore, StoreError> {
        Self::open_with(dir, Sharing::BesideServer)
    }

    /// [`Store::open`] or [`Store::open_shared`] on a backend the caller makes (a new one for
    /// each reopen), for tests that make the disk fail; see [`testing::DiskSwitch`].
    #[doc(hidden)]
    pub fn open_with_backend(
        dir: &Path,
        sharing: Sharing,
        backends: impl Fn(&Path) -> Result<Box<dyn StorageBackend>, DatabaseError>
        + Send
        + Sync
        + 'static,
    ) -> Result<FileStore, StoreError> {
        Self::open_on(dir, sharing, FileAccess::Custom(Box::new(backends)))
    }

    fn open_with(dir: &Path, sharing: Sharing) -> Result<FileStore, StoreError> {
        Self::open_on(dir, sharing, FileAccess::Plain)
    }

    fn open_on(dir: &Path, sharing: Sharing, access: FileAccess) -> Result<FileStore, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::DataDirMissing(dir.to_path_buf()));
        }
        let path = Self::file_in(dir);
        if !path.is_file() {
            return Err(StoreError::NotInitialised(dir.to_path_buf()));
        }
        let live = open_database(&access, dir, &path, sharing, Emptiness::Refused)?;
        let store = FileStore {
            live: RwLock::new(live),
            path,
            sharing,
            access,
        };
        let damaged = |err| naming_file(&store.path, err);
        let tx = store.begin_write_raw().map_err(damaged)?;
        let found = schema::migrate(&tx).map_err(damaged)?;
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
        self.with_database(|db, health| {
            let tx = db.begin_read().map_err(|err| noted(health, err))?;
            Ok(StoreReader::new(tx))
        })
    }

    /// A write transaction. Nothing is visible to others until [`StoreWriter::commit`].
    pub fn write(&self) -> Result<StoreWriter, StoreError> {
        self.with_database(|db, health| {
            Ok(StoreWriter::new(
                begin_write_on(db, health)?,
                Arc::clone(health),
            ))
        })
    }

    fn begin_write_raw(&self) -> Result<redb::WriteTransaction, StoreError> {
        self.with_database(begin_write_on)
    }

    /// Runs `begin` on the database, reopening it first if an earlier read or write failed.
    /// While the disk is still full (or the file still failing) the answer is that failure.
    fn with_database<T>(
        &self,
        begin: impl Fn(&Database, &Arc<FileHealth>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        for _ in 0..REOPEN_ATTEMPTS {
            {
                let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
                if let Some(db) = live.usable() {
                    return begin(db, &live.health);
                }
            }
            // Never wait for the exclusive lock: a thread inside `begin` may be waiting for a
            // write transaction whose owner needs a read lock to finish. Those threads are
            // quick against a failed file (redb refuses them at once), so look again soon.
            match self.live.try_write() {
                Ok(mut live) => reopen(&self.access, &self.path, self.sharing, &mut live)?,
                Err(TryLockError::Poisoned(poisoned)) => reopen(
                    &self.access,
                    &self.path,
                    self.sharing,
                    &mut poisoned.into_inner(),
                )?,
                Err(TryLockError::WouldBlock) => std::thread::yield_now(),
            }
        }
        let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
        match live.usable() {
            Some(db) => begin(db, &live.health),
            None => Err(live.refusal()),
        }
    }

    /// The database for work that needs it to itself, reopened first if it failed.
    fn database_mut(&mut self) -> Result<&mut Database, StoreError> {
        let live = self.live.get_mut().unwrap_or_else(PoisonError::into_inner);
        reopen(&self.access, &self.path, self.sharing, live)?;
        // `reopen` succeeds only with a database in place.
        live.db.as_mut().ok_or_else(not_reopened)
    }

    /// Rewrites the file without free pages, so deleted ciphertext is not left behind.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        let db = self.database_mut()?;
        while db.compact()? {}
        Ok(())
    }

    /// Compacts the file if an erasure asked for it since the last compaction; `Ok(true)`
    /// when it did. Needs the file to itself: a store shared beside the server leaves it to
    /// the next exclusive holder.
    pub fn compact_if_due(&mut self) -> Result<bool, StoreError> {
        if self.sharing == Sharing::BesideServer {
            return Ok(false);
        }
        let due = self
            .read()?
            .bytes_by_name(schema::META, schema::META_COMPACTION_DUE)?
            .is_some();
        if !due {
            return Ok(false);
        }
        let writer = self.begin_write_raw()?;
        writer
            .open_table(schema::META)?
            .remove(schema::META_COMPACTION_DUE)?;
        writer.commit()?;
        self.compact()?;
        Ok(true)
    }

    /// redb's own structural check of the file. It repairs as it goes, so it needs the file
    /// to itself: a shared store is refused with [`StoreError::InUse`].
    pub fn check_integrity(&mut self) -> Result<bool, StoreError> {
        if self.sharing == Sharing::BesideServer {
            return Err(StoreError::InUse(self.path.clone()));
        }
        let db = self.database_mut()?;
        // A page damaged in a way redb does not expect makes it panic: that is damage found.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.check_integrity())) {
            Ok(checked) => checked.map_err(|err| StoreError::from(redb::Error::from(err))),
            Err(_) => Ok(false),
        }
    }
}

/// The shop's store on one of two engines: the redb file in the data directory (one shop,
/// the default) or a PostgreSQL database (a chain of shops, `--store postgres://…`). The
/// service sees the same tables, transactions and bytes on both.
pub struct Store {
    engine: StoreEngine,
}

enum StoreEngine {
    File(FileStore),
    /// The database, and this machine's data directory (exports, receipts, backups).
    Postgres(PgStore, PathBuf),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.engine {
            StoreEngine::File(file) => file.fmt(f),
            StoreEngine::Postgres(pg, _) => pg.fmt(f),
        }
    }
}

impl Store {
    pub fn file_in(dir: &Path) -> PathBuf {
        FileStore::file_in(dir)
    }

    /// Whether `dir` already holds a store file.
    pub fn exists_in(dir: &Path) -> bool {
        FileStore::exists_in(dir)
    }

    /// Creates a new, empty store in `dir` (creating the directory, private to this user, if
    /// needed). Refuses to touch a directory that already holds a store.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        FileStore::create(dir).map(Store::on_file)
    }

    /// [`Store::create`] on a backend the caller makes (a new one for each reopen), for tests
    /// that make the disk fail; see [`testing::DiskSwitch`].
    #[doc(hidden)]
    pub fn create_with_backend(
        dir: &Path,
        backends: impl Fn(&Path) -> Result<Box<dyn StorageBackend>, DatabaseError>
        + Send
        + Sync
        + 'static,
    ) -> Result<Store, StoreError> {
        FileStore::create_with_backend(dir, backends).map(Store::on_file)
    }

    /// Opens the existing store in `dir` for this process alone, running forward migrations.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        FileStore::open(dir).map(Store::on_file)
    }

    /// Opens the existing store in `dir` so that `frontdesk serve` and the commands that run
    /// beside it can share it; a process holding it [`Sharing::Exclusive`] keeps them out.
    pub fn open_shared(dir: &Path) -> Result<Store, StoreError> {
        FileStore::open_shared(dir).map(Store::on_file)
    }

    /// [`Store::open`] or [`Store::open_shared`] on a backend the caller makes (a new one for
    /// each reopen), for tests that make the disk fail; see [`testing::DiskSwitch`].
    #[doc(hidden)]
    pub fn open_with_backend(
        dir: &Path,
        sharing: Sharing,
        backends: impl Fn(&Path) -> Result<Box<dyn StorageBackend>, DatabaseError>
        + Send
        + Sync
        + 'static,
    ) -> Result<Store, StoreError> {
        FileStore::open_with_backend(dir, sharing, backends).map(Store::on_file)
    }

    /// Creates a store in an empty PostgreSQL database (`location` as `--store` takes it);
    /// `local_dir` is this machine's data directory, for exports, receipts and backups.
    pub fn create_postgres(location: &str, local_dir: &Path) -> Result<Store, StoreError> {
        let settings = ConnectSettings::parse(location)?;
        Ok(Store {
            engine: StoreEngine::Postgres(PgStore::create(settings)?, local_dir.to_path_buf()),
        })
    }

    /// Opens the store in a PostgreSQL database. Many processes (one `serve` per site) may
    /// hold it at once; their writes are serialised by the database.
    pub fn open_postgres(location: &str, local_dir: &Path) -> Result<Store, StoreError> {
        let settings = ConnectSettings::parse(location)?;
        Ok(Store {
            engine: StoreEngine::Postgres(PgStore::open(settings)?, local_dir.to_path_buf()),
        })
    }

    /// This machine's data directory: the one holding the store file, or the one given with
    /// a PostgreSQL store. Exports, receipts and backups are written under it.
    pub fn local_dir(&self) -> &Path {
        match &self.engine {
            StoreEngine::File(file) => file.path().parent().unwrap_or_else(|| Path::new(".")),
            StoreEngine::Postgres(_, dir) => dir,
        }
    }

    /// Copies every table of this store, exactly as a backup carries them, into an empty
    /// PostgreSQL database in one transaction, and checks each table's row count there before
    /// committing. Returns each table's name and rows. On any failure the database is left
    /// as it was (empty); this store is only read.
    pub fn copy_into_postgres(&self, location: &str) -> Result<Vec<(String, u64)>, StoreError> {
        copy_into_postgres(&self.read()?, location)
    }

    /// Removes a frontdesk store's tables from a PostgreSQL database, leaving it empty.
    pub fn remove_postgres_store(location: &str) -> Result<(), StoreError> {
        PgStore::remove_store(ConnectSettings::parse(location)?)
    }

    fn on_file(file: FileStore) -> Store {
        Store {
            engine: StoreEngine::File(file),
        }
    }

    /// Whether the store is on a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, StoreEngine::Postgres(..))
    }

    /// The store file, or for PostgreSQL a description of the database (for messages).
    pub fn path(&self) -> &Path {
        match &self.engine {
            StoreEngine::File(file) => file.path(),
            StoreEngine::Postgres(pg, _) => Path::new(pg.describe()),
        }
    }

    /// How the store is shared. A PostgreSQL store is always shared with other processes.
    pub fn sharing(&self) -> Sharing {
        match &self.engine {
            StoreEngine::File(file) => file.sharing(),
            StoreEngine::Postgres(..) => Sharing::BesideServer,
        }
    }

    pub fn read(&self) -> Result<StoreReader, StoreError> {
        match &self.engine {
            StoreEngine::File(file) => file.read(),
            StoreEngine::Postgres(pg, _) => Ok(StoreReader::on_postgres(pg.begin_read()?)),
        }
    }

    /// A write transaction. Nothing is visible to others until [`StoreWriter::commit`].
    /// On PostgreSQL it waits for writers at other sites, as redb's waits for other
    /// sessions.
    pub fn write(&self) -> Result<StoreWriter, StoreError> {
        match &self.engine {
            StoreEngine::File(file) => file.write(),
            StoreEngine::Postgres(pg, _) => Ok(StoreWriter::on_postgres(pg.begin_write()?)),
        }
    }

    /// Rewrites the file without free pages, so deleted ciphertext is not left behind.
    /// PostgreSQL reclaims deleted rows with its own vacuum.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        match &mut self.engine {
            StoreEngine::File(file) => file.compact(),
            StoreEngine::Postgres(..) => Ok(()),
        }
    }

    /// Compacts the file if an erasure asked for it since the last compaction; `Ok(true)`
    /// when it did. Needs the file to itself: a store shared beside the server leaves it to
    /// the next exclusive holder.
    pub fn compact_if_due(&mut self) -> Result<bool, StoreError> {
        match &mut self.engine {
            StoreEngine::File(file) => file.compact_if_due(),
            StoreEngine::Postgres(..) => Ok(false),
        }
    }

    /// redb's own structural check of the file; PostgreSQL checks its own pages, so there is
    /// nothing to add there.
    pub fn check_integrity(&mut self) -> Result<bool, StoreError> {
        match &mut self.engine {
            StoreEngine::File(file) => file.check_integrity(),
            StoreEngine::Postgres(..) => Ok(true),
        }
    }

    /// Calls `handler` with each change another process commits to a PostgreSQL store; a
    /// store file has no other writers to hear from, so nothing is ever called.
    pub fn watch_other_processes(&self, handler: ChangeHandler) {
        if let StoreEngine::Postgres(pg, _) = &self.engine {
            pg.watch_other_processes(handler);
        }
    }
}

/// [`Store::copy_into_postgres`] from any consistent read, such as a store file opened
/// read-only so that a migration leaves it byte for byte as it was.
pub fn copy_into_postgres(
    reader: &StoreReader,
    location: &str,
) -> Result<Vec<(String, u64)>, StoreError> {
    let settings = ConnectSettings::parse(location)?;
    PgStore::create_filled(settings, |pg| snapshot::copy_tables(reader, pg))
}

fn builder(sharing: Sharing) -> redb::Builder {
    let mut builder = Database::builder();
    builder.set_cache_size(CACHE_BYTES);
    if sharing == Sharing::BesideServer {
        builder.set_concurrency_mode(ConcurrencyMode::MultiWriter);
    }
    builder
}

/// Whether an empty file may become a new database: only when `create` has just made it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Emptiness {
    Allowed,
    Refused,
}

fn open_database(
    access: &FileAccess,
    dir: &Path,
    path: &Path,
    sharing: Sharing,
    emptiness: Emptiness,
) -> Result<Live, StoreError> {
    let (file, health) = access
        .watched(path)
        .map_err(|err| open_error(dir, path, err))?;
    if emptiness == Emptiness::Refused
        && file
            .len()
            .map_err(|err| open_error(dir, path, err.into()))?
            == 0
    {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            detail: "the file is empty".to_owned(),
        });
    }
    // redb trusts the pages it reads while opening, and some damage (a flipped bit in a table
    // page) makes it panic rather than return an error: that is a damaged file too.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        builder(sharing).create_with_backend(file)
    }))
    .map_err(|_| StoreError::Damaged {
        path: path.to_path_buf(),
        detail: "its tables cannot be read".to_owned(),
    })?;
    let db = opened.map_err(|err| open_error(dir, path, err))?;
    Ok(Live {
        db: Some(db),
        health,
    })
}

/// Closes a database whose file failed and opens it again. redb holds the file until the last
/// write transaction on it ends, so until then this reports the failure and changes nothing;
/// if the open fails (the disk is still full), the next operation tries again.
fn reopen(
    access: &FileAccess,
    path: &Path,
    sharing: Sharing,
    live: &mut Live,
) -> Result<(), StoreError> {
    if live.usable().is_some() {
        return Ok(());
    }
    if let Some(db) = live.db.take() {
        // Its error repeats the failure already noted, or says a write transaction is still
        // running elsewhere: `is_closed` tells the two apart.
        let _ = db.close();
    }
    if !live.health.is_closed() {
        return Err(live.refusal());
    }
    let dir = path.parent().unwrap_or(path);
    *live = open_database(access, dir, path, sharing, Emptiness::Refused)?;
    Ok(())
}

fn begin_write_on(
    db: &Database,
    health: &Arc<FileHealth>,
) -> Result<redb::WriteTransaction, StoreError> {
    let mut tx = db.begin_write().map_err(|err| noted(health, err))?;
    // Records allocator state with each commit so reopening after a power cut is quick.
    tx.set_quick_repair(true);
    Ok(tx)
}

/// redb's error as a [`StoreError`]; one that says the file failed earlier marks it for
/// reopening even if the watch missed the cause.
fn noted(health: &FileHealth, err: redb::TransactionError) -> StoreError {
    let err = StoreError::from(err);
    if let StoreError::StorageFailed(reason) = &err {
        health.record(file::FileFailure::Other(reason.clone()));
    }
    health.explain(err)
}

/// A damaged-file error from opening `path` as one that names the file.
fn naming_file(path: &Path, err: StoreError) -> StoreError {
    match err {
        StoreError::Corrupt(detail) => StoreError::Damaged {
            path: path.to_path_buf(),
            detail,
        },
        other => other,
    }
}

fn open_error(dir: &Path, path: &Path, err: DatabaseError) -> StoreError {
    naming_file(path, open_error_of(dir, path, err))
}

fn open_error_of(dir: &Path, path: &Path, err: DatabaseError) -> StoreError {
    match err {
        DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(path.to_path_buf()),
        DatabaseError::Storage(redb::StorageError::Io(io)) if file::is_disk_full(&io) => {
            StoreError::DiskFull
        }
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
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == ErrorKind::UnexpectedEof =>
        {
            StoreError::Corrupt("it is shorter than a store's header".to_owned())
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
    // A leftover probe, or a link planted in its place, is removed, never written through.
    if fs::symlink_metadata(&probe).is_ok() {
        fs::remove_file(&probe).map_err(not_writable)?;
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(not_writable)?;
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

    #[cfg(unix)]
    #[test]
    fn the_write_probe_never_writes_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(".frontdesk-write-test")).unwrap();
        ensure_private_dir(dir.path()).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert!(fs::symlink_metadata(dir.path().join(".frontdesk-write-test")).is_err());
    }
    use crate::ids::RecordId;
    use redb::ReadableDatabase;
    use testing::DiskSwitch;

    fn visit(n: u128) -> RecordId {
        RecordId::from_u128(n)
    }

    /// Stores visit `n` in a transaction of its own.
    fn save_visit(store: &Store, n: u128) -> Result<(), StoreError> {
        let mut writer = store.write()?;
        writer.put(schema::VISITS, visit(n), &format!("visit {n}"))?;
        writer.commit()
    }

    fn has_visit(store: &Store, n: u128) -> bool {
        store
            .read()
            .unwrap()
            .bytes_by_id(schema::VISITS, n)
            .unwrap()
            .is_some()
    }

    #[test]
    fn a_full_disk_fails_the_change_and_the_store_reopens_itself_once_space_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskSwitch::new();
        let store = Store::create_with_backend(dir.path(), disk.backends()).unwrap();
        save_visit(&store, 1).unwrap();
        save_visit(&store, 2).unwrap();

        disk.fill();
        let failed = save_visit(&store, 3).unwrap_err();
        assert!(matches!(failed, StoreError::DiskFull), "{failed}");
        assert_eq!(
            failed.to_string(),
            "the disk is full: nothing of this change was saved; free space on the disk and try again"
        );
        // Every later attempt says the same, not redb's "close and re-open the database".
        for _ in 0..2 {
            let again = save_visit(&store, 4).unwrap_err();
            assert!(matches!(again, StoreError::DiskFull), "{again}");
        }

        disk.free();
        save_visit(&store, 5).unwrap();
        assert!(has_visit(&store, 1) && has_visit(&store, 2) && has_visit(&store, 5));
        assert!(!has_visit(&store, 3) && !has_visit(&store, 4));
        drop(store);

        // What was acknowledged is in the file itself, for the next process too.
        let reopened = Store::open(dir.path()).unwrap();
        assert!(has_visit(&reopened, 1) && has_visit(&reopened, 2) && has_visit(&reopened, 5));
        assert!(!has_visit(&reopened, 3) && !has_visit(&reopened, 4));
    }

    #[test]
    fn a_store_shared_beside_the_server_reopens_shared_after_a_full_disk() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let disk = DiskSwitch::new();
        let store =
            Store::open_with_backend(dir.path(), Sharing::BesideServer, disk.backends()).unwrap();
        save_visit(&store, 1).unwrap();

        disk.fill();
        assert!(matches!(save_visit(&store, 2), Err(StoreError::DiskFull)));
        disk.free();
        save_visit(&store, 3).unwrap();

        // Still shared: a command beside the server can open the file while it is open here.
        assert_eq!(store.sharing(), Sharing::BesideServer);
        let beside = Store::open_shared(dir.path()).unwrap();
        assert!(has_visit(&beside, 1) && has_visit(&beside, 3) && !has_visit(&beside, 2));
        assert!(matches!(Store::open(dir.path()), Err(StoreError::InUse(_))));
    }

    #[test]
    fn a_reader_alive_across_the_reopen_gets_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskSwitch::new();
        let store = Store::create_with_backend(dir.path(), disk.backends()).unwrap();
        save_visit(&store, 1).unwrap();
        let old_reader = store.read().unwrap();

        disk.fill();
        assert!(matches!(save_visit(&store, 2), Err(StoreError::DiskFull)));
        disk.free();
        save_visit(&store, 3).unwrap();

        // Its snapshot is gone with the old database; it says so instead of reading on.
        match old_reader.bytes_by_id(schema::VISITS, 3) {
            Ok(found) => assert!(found.is_none(), "an old snapshot never sees a later commit"),
            Err(err) => assert!(matches!(err, StoreError::StorageFailed(_)), "{err}"),
        }
        assert!(has_visit(&store, 1) && has_visit(&store, 3));
    }

    #[test]
    fn compaction_after_a_full_disk_reopens_the_store_first() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskSwitch::new();
        let mut store = Store::create_with_backend(dir.path(), disk.backends()).unwrap();
        save_visit(&store, 1).unwrap();
        disk.fill();
        assert!(matches!(save_visit(&store, 2), Err(StoreError::DiskFull)));
        assert!(matches!(store.compact(), Err(StoreError::DiskFull)));
        disk.free();
        store.compact().unwrap();
        assert!(store.check_integrity().unwrap());
        assert!(has_visit(&store, 1) && !has_visit(&store, 2));
    }

    #[test]
    fn an_empty_store_file_is_refused_as_damaged_not_made_into_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(Store::file_in(dir.path()), b"").unwrap();
        let refused = Store::open(dir.path()).unwrap_err();
        assert!(matches!(refused, StoreError::Damaged { .. }), "{refused}");
        assert_eq!(fs::metadata(Store::file_in(dir.path())).unwrap().len(), 0);
    }

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
        let booking_bytes: &[u8] = b"an already stored booking";
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            assert!(tx.delete_table(schema::SALES).unwrap());
            assert!(tx.delete_table(schema::CONSENTS).unwrap());
            tx.open_table(schema::BOOKINGS)
                .unwrap()
                .insert(7u128, booking_bytes)
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
        let bookings = tx.open_table(schema::BOOKINGS).unwrap();
        assert_eq!(bookings.get(7u128).unwrap().unwrap().value(), booking_bytes);
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
        assert_eq!(version, Some(schema::SCHEMA_VERSION));
        let keys = tx.open_table(schema::STAFF_SSH_KEYS).unwrap();
        assert!(redb::ReadableTableMetadata::is_empty(&keys).unwrap());
        let staff = tx.open_table(schema::STAFF).unwrap();
        assert_eq!(staff.get(9u128).unwrap().unwrap().value(), staff_bytes);
    }

    #[test]
    fn a_schema_5_file_gains_the_enrolment_table_with_every_account_enrolled() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let staff_bytes: &[u8] = b"an already stored staff record";
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            assert!(tx.delete_table(schema::STAFF_ENROLMENTS).unwrap());
            tx.open_table(schema::STAFF)
                .unwrap()
                .insert(9u128, staff_bytes)
                .unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 5u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let reader = store.read().unwrap();
        assert!(
            reader
                .staff_enrolment(RecordId::from_u128(9))
                .unwrap()
                .is_none()
        );
        assert!(reader.unfinished_setup().unwrap().is_none());
        drop(reader);
        drop(store);
        let db = Database::open(Store::file_in(dir.path())).unwrap();
        let tx = db.begin_read().unwrap();
        assert_eq!(stored_version(&tx), Some(schema::SCHEMA_VERSION));
        let staff = tx.open_table(schema::STAFF).unwrap();
        assert_eq!(staff.get(9u128).unwrap().unwrap().value(), staff_bytes);
    }

    #[test]
    fn a_schema_6_file_gains_empty_tombstone_and_erasure_tables_and_keeps_its_members() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let member_bytes: &[u8] = b"an already stored member record";
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            assert!(tx.delete_table(schema::MEMBER_TOMBSTONES).unwrap());
            assert!(tx.delete_table(schema::ERASURES).unwrap());
            tx.open_table(schema::MEMBERS)
                .unwrap()
                .insert(11u128, member_bytes)
                .unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 6u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let reader = store.read().unwrap();
        assert!(
            reader
                .member_tombstone(RecordId::from_u128(11))
                .unwrap()
                .is_none()
        );
        assert!(reader.member_tombstone_by_number(100001).unwrap().is_none());
        assert!(reader.erasures().unwrap().is_empty());
        drop(reader);
        drop(store);
        let db = Database::open(Store::file_in(dir.path())).unwrap();
        let tx = db.begin_read().unwrap();
        assert_eq!(stored_version(&tx), Some(schema::SCHEMA_VERSION));
        let members = tx.open_table(schema::MEMBERS).unwrap();
        assert_eq!(members.get(11u128).unwrap().unwrap().value(), member_bytes);
    }

    #[test]
    fn a_tombstone_is_found_by_id_and_by_number_and_gives_the_number_of_a_gone_member() {
        use records::{MemberTombstone, TombstoneReason};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let tombstone = MemberTombstone {
            id: RecordId::from_u128(42),
            member_number: 100042,
            reason: TombstoneReason::MergedInto {
                survivor: RecordId::from_u128(7),
            },
            at,
            member_since: at,
        };
        let mut writer = store.write().unwrap();
        writer.put_member_tombstone(&tombstone).unwrap();
        writer.commit().unwrap();
        let reader = store.read().unwrap();
        assert_eq!(
            reader.member_tombstone(tombstone.id).unwrap().as_ref(),
            Some(&tombstone)
        );
        assert_eq!(
            reader.member_tombstone_by_number(100042).unwrap().as_ref(),
            Some(&tombstone)
        );
        assert_eq!(reader.member_number_of(tombstone.id).unwrap(), Some(100042));
        assert!(reader.member(tombstone.id).unwrap().is_none());
    }
}
