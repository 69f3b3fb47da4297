//! A disk that a test can fill and free at will, to check what the store and the service do
//! when writes fail with "No space left on device" and then succeed again. The application
//! never uses it: it opens the plain file.

use std::fs::OpenOptions;
use std::io;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::backends::FileBackend;
use redb::{BackendError, DatabaseError, StorageBackend};

/// ENOSPC on Linux and the BSDs, which std reports as [`io::ErrorKind::StorageFull`].
const ENOSPC: i32 = 28;
/// EROFS: the file system was remounted read-only under the running process.
const EROFS: i32 = 30;

/// Fills and frees the disk under every backend made by [`DiskSwitch::backends`], and can
/// remount it read-only (which works the same whether or not the tests run as root).
#[derive(Debug, Clone, Default)]
pub struct DiskSwitch {
    full: Arc<AtomicBool>,
    read_only: Arc<AtomicBool>,
}

impl DiskSwitch {
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on every write, sync and growth of the file fails with ENOSPC.
    pub fn fill(&self) {
        self.full.store(true, Ordering::SeqCst);
    }

    /// Space is back: writes succeed again.
    pub fn free(&self) {
        self.full.store(false, Ordering::SeqCst);
    }

    /// From now on every write, sync and growth of the file fails with EROFS, as after the
    /// kernel remounts a failing disk read-only.
    pub fn make_read_only(&self) {
        self.read_only.store(true, Ordering::SeqCst);
    }

    /// The disk is writable again.
    pub fn make_writable(&self) {
        self.read_only.store(false, Ordering::SeqCst);
    }

    /// Makes the store's backends: the plain file, behind this switch.
    pub fn backends(
        &self,
    ) -> impl Fn(&Path) -> Result<Box<dyn StorageBackend>, DatabaseError> + Send + Sync + 'static
    {
        let switch = self.clone();
        move |path: &Path| {
            let file = OpenOptions::new().read(true).write(true).open(path)?;
            Ok(Box::new(SwitchedFile {
                inner: FileBackend::new(file)?,
                switch: switch.clone(),
            }) as Box<dyn StorageBackend>)
        }
    }
}

#[derive(Debug)]
struct SwitchedFile {
    inner: FileBackend,
    switch: DiskSwitch,
}

impl SwitchedFile {
    fn has_room(&self) -> Result<(), io::Error> {
        if self.switch.read_only.load(Ordering::SeqCst) {
            Err(io::Error::from_raw_os_error(EROFS))
        } else if self.switch.full.load(Ordering::SeqCst) {
            Err(io::Error::from_raw_os_error(ENOSPC))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for SwitchedFile {
    fn len(&self) -> Result<u64, io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        // Shrinking frees space, so a full disk allows it; a read-only one does not.
        if len > self.inner.len()? || self.switch.read_only.load(Ordering::SeqCst) {
            self.has_room()?;
        }
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.has_room()?;
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.has_room()?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> Result<(), io::Error> {
        self.inner.close()
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
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
