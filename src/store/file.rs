//! The store file beneath redb, watched. After one failed read or write (a full disk, most
//! often) redb refuses all further work with "Previous I/O error occurred" until the database
//! is closed and opened again. The watch tells the store that this has happened, and whether
//! redb has let go of the file, so the store can reopen it once the disk recovers.

use std::fs::OpenOptions;
use std::io;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use redb::backends::FileBackend;
use redb::{BackendError, DatabaseError, StorageBackend};

use super::StoreError;

/// Makes a fresh backend over the existing store file at the given path; called again for
/// every reopen, because redb consumes the backend it opens.
pub type BackendFactory =
    dyn Fn(&Path) -> Result<Box<dyn StorageBackend>, DatabaseError> + Send + Sync;

/// How the store reaches its file.
pub(super) enum FileAccess {
    /// The file itself: what the application uses.
    Plain,
    /// A backend made by the caller, so tests can make the disk fail and recover.
    Custom(Box<BackendFactory>),
}

impl FileAccess {
    /// A backend over `path`, watched, with the health it reports to.
    pub(super) fn watched(
        &self,
        path: &Path,
    ) -> Result<(WatchedFile, Arc<FileHealth>), DatabaseError> {
        let inner: Box<dyn StorageBackend> = match self {
            FileAccess::Plain => {
                let file = OpenOptions::new().read(true).write(true).open(path)?;
                Box::new(FileBackend::new(file)?)
            }
            FileAccess::Custom(make) => make(path)?,
        };
        let health = Arc::new(FileHealth::default());
        let watched = WatchedFile {
            inner,
            health: Arc::clone(&health),
        };
        Ok((watched, health))
    }
}

/// The first way the file failed, which every later refusal repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FileFailure {
    DiskFull,
    Other(String),
}

impl FileFailure {
    pub(super) fn of(err: &io::Error) -> FileFailure {
        if is_disk_full(err) {
            FileFailure::DiskFull
        } else {
            FileFailure::Other(err.to_string())
        }
    }

    pub(super) fn to_error(&self) -> StoreError {
        match self {
            FileFailure::DiskFull => StoreError::DiskFull,
            FileFailure::Other(reason) => StoreError::StorageFailed(reason.clone()),
        }
    }
}

/// No space left on the device, or none left in this user's quota: either way, freeing space
/// is what helps.
pub(super) fn is_disk_full(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// What the watch has seen of one opened file.
#[derive(Debug, Default)]
pub(super) struct FileHealth {
    failure: OnceLock<FileFailure>,
    /// redb has closed the backend: it no longer holds the file's locks, so it may be opened
    /// again. A write transaction alive when the database is dropped delays this to its end.
    closed: AtomicBool,
}

impl FileHealth {
    pub(super) fn failure(&self) -> Option<&FileFailure> {
        self.failure.get()
    }

    pub(super) fn record(&self, failure: FileFailure) {
        // Only the first failure is kept: the later ones are its consequences.
        let _ = self.failure.set(failure);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// A failed commit in terms of what went wrong underneath: a transaction that was under
    /// way when another one filled the disk is refused by redb as "previous I/O error".
    pub(super) fn explain(&self, err: StoreError) -> StoreError {
        match (err, self.failure()) {
            (StoreError::StorageFailed(_), Some(FileFailure::DiskFull)) => StoreError::DiskFull,
            (err, _) => err,
        }
    }
}

/// A backend that passes everything through and notes every failure redb treats as fatal.
#[derive(Debug)]
pub(super) struct WatchedFile {
    inner: Box<dyn StorageBackend>,
    health: Arc<FileHealth>,
}

impl WatchedFile {
    fn watch<T>(&self, result: Result<T, io::Error>) -> Result<T, io::Error> {
        if let Err(err) = &result {
            self.health.record(FileFailure::of(err));
        }
        result
    }
}

impl StorageBackend for WatchedFile {
    fn len(&self) -> Result<u64, io::Error> {
        self.watch(self.inner.len())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.watch(self.inner.read(offset, out))
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.watch(self.inner.set_len(len))
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.watch(self.inner.sync_data())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.watch(self.inner.write(offset, data))
    }

    fn close(&self) -> Result<(), io::Error> {
        let result = self.inner.close();
        self.health.closed.store(true, Ordering::Release);
        result
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        let result = self.inner.unlock_range(start, end);
        // redb treats a lock it could not release as a failure of the whole file.
        if let Err(err) = &result {
            self.health.record(FileFailure::Other(err.to_string()));
        }
        result
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
